"""Old binary Word (.doc) files, turned into .docx by the service's LibreOffice pool and then
read as such."""

from __future__ import annotations

from ..documents.convert import ConversionError, to_docx
from .reading import ImportFailure

DOC_TIMEOUT = 180.0


def doc_to_docx(data: bytes, *, timeout: float = DOC_TIMEOUT) -> bytes:
    """The .docx LibreOffice makes of a .doc; :class:`ImportFailure` if it cannot."""
    try:
        return to_docx(data, timeout=timeout)
    except ConversionError as e:
        raise ImportFailure(f"LibreOffice could not open the .doc ({e})") from None
