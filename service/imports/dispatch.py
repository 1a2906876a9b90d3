"""Which reader a file goes to, by its content first and its name second."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ..annexes import ANNEXES
from .docx import read_docx_forms
from .limits import Limits
from .office import doc_to_docx, is_odt
from .pdf import read_pdf
from .reading import SCAN, ImportFailure, Reading
from .register import read_register
from .synonyms import DEFAULTS, Synonyms

Aliases = Mapping[str, Mapping[str, str]]

_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"
_TIFF = (b"II*\x00", b"MM\x00*")
_PDF = b"%PDF-"
_ZIP = b"PK\x03\x04"
_CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_IMAGES = (".jpg", ".jpeg", ".png", ".tif", ".tiff")


def _with_labels(aliases: Aliases | None, synonyms: Synonyms) -> dict[str, dict[str, str]]:
    """A reviewer's label mapping over the agency's label synonyms, by annex."""
    out: dict[str, dict[str, str]] = {}
    for code, annex in ANNEXES.items():
        mine = {label: key for label, key in synonyms.labels.items() if key in annex}
        mine.update((aliases or {}).get(code, {}))
        if mine:
            out[code] = mine
    return out


def read_file(name: str, data: bytes, *, limits: Limits | None = None,
              aliases: Aliases | None = None, scans: bool = True,
              synonyms: Synonyms | None = None,
              pages: Callable[[int, int], None] | None = None) -> list[Reading]:
    """The forms in one file (one, or one per row of a register); :class:`ImportFailure`
    with the reason when the file cannot be read. A scan (a picture, a PDF of pictures) is
    read by the paper engine unless ``scans`` is false. ``synonyms`` are the agency's words
    for options and labels (the service's own when None). ``pages(n, count)`` is told after
    each page of a scan is read."""
    synonyms = synonyms or DEFAULTS
    readings = _read_file(name, data, limits=limits, aliases=_with_labels(aliases, synonyms),
                          synonyms=synonyms)
    if scans and len(readings) == 1 and readings[0].kind == SCAN and readings[0].annex is None:
        from ..paper.references import lookup
        from .paper import read_scan

        try:
            return read_scan(name, data, lookup, limits=limits, progress=pages)
        except ImportFailure as e:  # kept for a person to look at, as before it was read
            readings[0].warnings.append(f"the scan could not be read: {e}")
    return readings


def _read_file(name: str, data: bytes, *, limits: Limits | None = None,
               aliases: Aliases | None = None, synonyms: Synonyms = DEFAULTS
               ) -> list[Reading]:
    limits = limits or Limits()
    if len(data) > limits.file_bytes:
        raise ImportFailure(f"{len(data)} bytes; at most {limits.file_bytes}")
    if not data:
        raise ImportFailure("the file is empty")
    lower = name.lower()
    if data.startswith(_PDF):
        return [read_pdf(name, data, limits=limits, aliases=aliases)]
    if data.startswith((_PNG, _JPEG, *_TIFF)):
        return [Reading(name=name, kind=SCAN)]
    if lower.endswith(_IMAGES):
        raise ImportFailure("the picture is damaged (not a PNG, JPEG or TIFF)")
    if lower.endswith(".xlsx"):
        return read_register(name, data, xlsx=True, limits=limits, aliases=aliases,
                             synonyms=synonyms)
    if lower.endswith(".csv"):
        return read_register(name, data, xlsx=False, limits=limits, aliases=aliases,
                             synonyms=synonyms)
    if is_odt(data) or lower.endswith(".odt"):
        if not is_odt(data):
            raise ImportFailure("the .odt file is damaged (not an OpenDocument text)")
        return read_docx_forms(name, doc_to_docx(data, kind=".odt"), limits=limits,
                               aliases=aliases, synonyms=synonyms)
    if lower.endswith(".doc") and data.startswith(_CFB):
        return read_docx_forms(name, doc_to_docx(data), limits=limits, aliases=aliases,
                               synonyms=synonyms)
    if lower.endswith((".docx", ".docm", ".doc")) or data.startswith(_ZIP):
        return read_docx_forms(name, data, limits=limits, aliases=aliases, synonyms=synonyms)
    raise ImportFailure("not a file type the import reads (Word, OpenDocument, PDF, CSV, "
                        "XLSX, JPEG, PNG, TIFF)")
