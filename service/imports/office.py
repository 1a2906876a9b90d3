"""Word files of other kinds (old binary .doc, OpenDocument .odt), turned into .docx by the
service's LibreOffice pool and then read as such. Only queue workers and the command line read
them: a web process never starts LibreOffice."""

from __future__ import annotations

from ..documents.convert import ConversionError, to_docx
from .reading import ImportFailure

DOC_TIMEOUT = 180.0
#: How an OpenDocument text file begins: a ZIP whose first member names its type.
ODT_MIMETYPE = b"mimetypeapplication/vnd.oasis.opendocument.text"


def is_odt(data: bytes) -> bool:
    """Whether ``data`` is an OpenDocument text file (.odt)."""
    return data.startswith(b"PK\x03\x04") and data[30:30 + len(ODT_MIMETYPE)] == ODT_MIMETYPE


def doc_to_docx(data: bytes, *, timeout: float = DOC_TIMEOUT, kind: str = ".doc") -> bytes:
    """The .docx LibreOffice makes of a .doc or .odt; :class:`ImportFailure` if it cannot."""
    try:
        return to_docx(data, timeout=timeout)
    except ConversionError as e:
        raise ImportFailure(f"LibreOffice could not open the {kind} ({e})") from None
