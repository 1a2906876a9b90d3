"""A visible export mark on every page of a PDF: who exported it and when.

The archive keeps its PDF/A copies unmarked; a copy handed out (a download, a bundle) carries
the mark, so a leaked printout names its source. The mark is set in a standard PDF font, so it
needs no embedded font and stays plain ASCII (user names are ASCII: see ``auth.users``).
Bytes in, bytes out: this knows no case, no user record and no request.
"""

from __future__ import annotations

import io
import re
from datetime import datetime

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    RectangleObject,
)

FONT_SIZE = 7
MARGIN = 14


class StampError(ValueError):
    """The file is not a PDF that can be marked."""


def mark_text(username: str, when: datetime, agency: str = "") -> str:
    """The line printed on each page, e.g. ``Exported by chen at 2024-05-08 09:30 UTC``."""
    text = f"Exported by {username} at {when.strftime('%Y-%m-%d %H:%M')} UTC"
    if agency:
        text += f" - {agency}"
    return _ascii(text)


def _ascii(text: str) -> str:
    return re.sub(r"[^\x20-\x7e]", "?", text)[:200]


def _pdf_string(text: str) -> str:
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def _stream(body: str) -> DecodedStreamObject:
    stream = DecodedStreamObject()
    stream.set_data(body.encode("ascii"))
    return stream


def _overlay(box: RectangleObject, text: str) -> DecodedStreamObject:
    x = float(box.left) + MARGIN
    y_bottom = float(box.bottom) + MARGIN / 2
    y_top = float(box.top) - MARGIN
    body = (f"q 0.75 0 0 rg BT /StampF1 {FONT_SIZE} Tf {x:.2f} {y_bottom:.2f} Td "
            f"{_pdf_string(text)} Tj ET "
            f"BT /StampF1 {FONT_SIZE} Tf {x:.2f} {y_top:.2f} Td {_pdf_string(text)} Tj ET Q")
    return _stream(body)


def stamp_pdf(data: bytes, text: str) -> bytes:
    """``data`` (a PDF) with ``text`` printed at the top and foot of every page."""
    text = _ascii(text)
    try:
        reader = PdfReader(io.BytesIO(data))
        writer = PdfWriter(clone_from=reader)
    except Exception as error:  # noqa: BLE001 - pypdf raises many kinds on a broken file
        raise StampError(f"Not a readable PDF: {error}") from error
    font = DictionaryObject({
        NameObject("/Type"): NameObject("/Font"),
        NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"),
        NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
    })
    font_ref = writer._add_object(font)
    for page in writer.pages:
        resources = page.get("/Resources")
        resources = resources.get_object() if resources is not None else DictionaryObject()
        fonts = resources.get("/Font")
        fonts = fonts.get_object() if fonts is not None else DictionaryObject()
        fonts[NameObject("/StampF1")] = font_ref
        resources[NameObject("/Font")] = fonts
        page[NameObject("/Resources")] = resources
        # The page's own drawing is wrapped in q ... Q so that whatever it leaves in the
        # graphics state cannot move or hide the mark drawn after it.
        mark = writer._add_object(_overlay(page.mediabox, text))
        contents = page.get("/Contents")
        parts: list = []
        if contents is not None:
            existing = contents.get_object()
            parts = list(existing) if isinstance(existing, ArrayObject) else [contents]
        page[NameObject("/Contents")] = ArrayObject(
            [writer._add_object(_stream("q\n")), *parts,
             writer._add_object(_stream("\nQ\n")), mark])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
