"""The QR code printed in the margin of every copy: which annex, template, page, case and form.

The payload names nothing personal: the annex code, a short fingerprint of the Word template
the copy was printed from (so a reader knows the exact layout), the page (0 when the printer
decides pagination and the page is to be found from the layout), and optionally the case
number and the form's id. It is plain text, e.g. ``XFSW1|C|3f2a9c1d|1|GZ-2024-0001|57``.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

import segno

PREFIX = "XFSW1"
_SEP = "|"
_VERSION = re.compile(r"^[0-9a-f]{8}$")
_ANNEX = re.compile(r"^[A-Z]$")


class CodeError(ValueError):
    """A QR payload that is not one of ours, or is damaged."""


@dataclass(frozen=True)
class PageCode:
    """What a printed page's code says about it."""

    annex: str
    template: str  # fingerprint of the template's bytes (see template_version)
    page: int = 0  # 1-based; 0: a continuation page whose number the layout tells
    case_number: str = ""
    form_id: int | None = None

    def payload(self) -> str:
        """The text stored in the QR code."""
        if not _ANNEX.match(self.annex) or not _VERSION.match(self.template):
            raise CodeError("annex or template version malformed")
        if self.page < 0:
            raise CodeError("page must be 0 or more")
        form = "" if self.form_id is None else str(int(self.form_id))
        return _SEP.join((PREFIX, self.annex, self.template, str(self.page),
                          quote(self.case_number, safe="-_./"), form))


def template_version(template: bytes) -> str:
    """The fingerprint of a Word template: the first 8 hex digits of its SHA-256."""
    return hashlib.sha256(template).hexdigest()[:8]


def parse(payload: str) -> PageCode:
    """The :class:`PageCode` in a QR payload; :class:`CodeError` if it is not ours."""
    parts = payload.strip().split(_SEP)
    if len(parts) != 6 or parts[0] != PREFIX:
        raise CodeError("not a form code")
    _, annex, template, page, case, form = parts
    if not _ANNEX.match(annex) or not _VERSION.match(template) or not page.isdigit():
        raise CodeError("damaged form code")
    if form and not form.isdigit():
        raise CodeError("damaged form code")
    return PageCode(annex=annex, template=template, page=int(page), case_number=unquote(case),
                    form_id=int(form) if form else None)


def qr_png(code: PageCode, *, scale: int = 8, border: int = 2) -> bytes:
    """The QR code of ``code`` as a black-on-white PNG (error correction level M)."""
    out = io.BytesIO()
    segno.make(code.payload(), error="m", micro=False, boost_error=False).save(
        out, kind="png", scale=scale, border=border)
    return out.getvalue()
