"""What each kind of notice says, in the reader's language.

A notice stores its kind and plain parameters (the case number); its words are drawn here at
the moment it is read or mailed, through the catalogs, so they follow the reader's language.
Nothing sensitive is a parameter: a notice names the case by its number, never the person or
the concern (those stay in the service, behind its access checks).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from .models import NoticeKind


def locale_of(user: Any) -> str:
    """The language to write to ``user`` in: theirs if known, else the default (Chinese)."""
    languages = current_app.config["LANGUAGES"]
    chosen = getattr(user, "locale", "") or ""
    return chosen if chosen in languages else languages[0]


@contextmanager
def in_language_of(user: Any) -> Iterator[str]:
    """Translate in ``user``'s language within the block."""
    code = locale_of(user)
    with force_locale(code):
        yield code


def headline(kind: str, params: dict[str, Any]) -> str:
    """One line saying what happened (the inbox row; the e-mail's subject)."""
    number = str(params.get("number", ""))
    if kind == NoticeKind.RISK_FLAG:
        return _("Case %(number)s was flagged as a risk to life (8.6)", number=number)
    return _("Notice about case %(number)s", number=number)


def body(kind: str, params: dict[str, Any], link: str) -> str:
    """The e-mail's text: what happened, what to do, where to read the rest."""
    lines = [headline(kind, params) + "."]
    if kind == NoticeKind.RISK_FLAG:
        lines.append(_("Flagged at %(at)s (UTC) by %(by)s.", at=params.get("at", ""),
                       by=params.get("by", "")))
        lines.append(_("Please sign in, read the concern on the case page and record what "
                       "was done, including any report made outside the service."))
    lines.append(_("Open the case: %(link)s", link=link))
    lines.append("")
    lines.append(_("This notice leaves out the case's details on purpose; they stay in the "
                   "service."))
    return "\n".join(lines)
