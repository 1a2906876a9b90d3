"""Scans read by the paper engine: a PDF, TIFF, PNG or JPEG -> one reading per form it shows.

Pages are drawn and read one at a time (memory stays flat however many there are), grouped by
what their codes say (annex, case, form) and put in page order whatever order they were
scanned in; pages of the standard's layout printed without a code are known by their title and
table and grouped by annex within the file. Every value read becomes evidence (source: the page
and cell); what the engine was unsure of, or did not guess (handwriting), is flagged for the
person who reviews the scan. A file with no page the engine knows stays a plain scan for a
person to type from.
"""

from __future__ import annotations

import io
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ..paper.layout import DPI
from ..paper.read import Lookup, PageReading, read_page
from .evidence import Evidence
from .limits import Limits
from .reading import SCAN, ImportFailure, Reading, settle

_PDF = b"%PDF-"
_TIFF = (b"II*\x00", b"MM\x00*")
RENDER_SECONDS = 120


def pdf_page_count(data: bytes) -> int:
    """How many pages a PDF has (pypdf; ImportFailure when it cannot be opened)."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        return len(PdfReader(io.BytesIO(data)).pages)
    except (PdfReadError, ValueError, OSError) as exc:
        raise ImportFailure(f"the PDF cannot be read ({exc})") from exc


def page_images(data: bytes, limits: Limits) -> tuple[int, Iterator[np.ndarray]]:
    """How many pages a scan has, and each page as a grey image, one at a time (a PDF page
    drawn at 200 dpi); ImportFailure at once when the scan cannot be opened or has too many."""
    if data.startswith(_PDF):
        count = pdf_page_count(data)
        if count > limits.pages:
            raise ImportFailure(f"{count} pages; at most {limits.pages}")
        return count, _pdf_pages(data, count)
    if data.startswith(_TIFF):
        ok, frames = cv2.imdecodemulti(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
        if not ok or not frames:
            raise ImportFailure("the TIFF cannot be read")
        if len(frames) > limits.pages:
            raise ImportFailure(f"{len(frames)} pages; at most {limits.pages}")
        return len(frames), iter(frames)
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise ImportFailure("the picture is damaged (not a PNG, JPEG or TIFF)")
    return 1, iter([image])


def _pdf_pages(data: bytes, count: int) -> Iterator[np.ndarray]:
    with tempfile.TemporaryDirectory(prefix="scan-") as tmp:
        source = Path(tmp, "scan.pdf")
        source.write_bytes(data)
        for n in range(1, count + 1):
            out = Path(tmp, f"p{n}")
            subprocess.run(["pdftoppm", "-gray", "-r", str(DPI), "-f", str(n), "-l", str(n),
                            "-singlefile", "-png", str(source), str(out)], check=True,
                           capture_output=True, timeout=RENDER_SECONDS)
            image = cv2.imread(f"{out}.png", cv2.IMREAD_GRAYSCALE)
            Path(f"{out}.png").unlink(missing_ok=True)
            if image is None:
                raise ImportFailure(f"page {n} of the PDF cannot be drawn")
            yield image


def _key(page: PageReading, unnamed: dict[str, list[set[int]]]) -> tuple[str, str, int]:
    """Which form of the file a page belongs to: the one its code names; a page without a
    code joins the file's latest form of its annex unless that form has its page already."""
    assert page.annex is not None and page.page is not None
    if page.code is not None:
        return (page.code.annex, page.code.case_number, page.code.form_id or 0)
    groups = unnamed.setdefault(page.annex, [])
    if not groups or page.page in groups[-1]:
        groups.append(set())
    groups[-1].add(page.page)
    return (page.annex, "", -len(groups))  # negative: no form id, the n-th such form


def evidence_of(page: PageReading) -> list[Evidence]:
    """The report's evidence for every field read on a page."""
    out = []
    for f in page.fields:
        value = f.value if f.value is not None else ""
        out.append(Evidence(f.field, value, max(0.0, min(1.0, f.confidence)), f.flagged,
                            f.source, f.reason if f.flagged else "", ""))
    return out


def read_scan(name: str, data: bytes, lookup: Lookup, *, limits: Limits | None = None,
              progress: Callable[[int, int], None] | None = None) -> list[Reading]:
    """The forms a scan shows, each a :data:`SCAN` reading with what was read of it.

    ``progress(n, count)`` is told after each page (of ``count``). With no page known (by its
    code, or its title and table) the scan comes back as one plain reading for a person to
    type from, saying why.
    """
    limits = limits or Limits()
    forms: dict[tuple[str, str, int], list[PageReading]] = {}
    unnamed: dict[str, list[set[int]]] = {}
    problems: list[str] = []
    count, images = page_images(data, limits)
    for n, image in enumerate(images, start=1):
        page = read_page(image, lookup)
        del image
        if page.annex is None or page.page is None:
            problems.append(f"page {n}: {page.problem or 'not read'}")
        else:
            for f in page.fields:
                f.source = f"scan page {n}, form page {page.page}: {f.source}"
            forms.setdefault(_key(page, unnamed), []).append(page)
        if progress:
            progress(n, count)
    if not forms:
        return [Reading(name=name, kind=SCAN, warnings=problems)]
    readings = []
    for (annex, case_number, form_id), pages in forms.items():
        pages.sort(key=lambda p: p.page or 0)
        evidence = [e for p in pages for e in evidence_of(p)]
        data_read: dict[str, Any] = {}
        for e in evidence:
            if not e.flagged and e.value not in ("", None, []):
                data_read[e.field] = e.value
        kept, warnings = settle(annex, data_read, list(problems))
        if form_id < 0:
            warnings.insert(0, "no form code on the paper: the annex and its pages were known "
                               "by the title and the table; match the case by what was read")
        part = "" if len(forms) == 1 else f"{annex}-{case_number or 'no case'}-{form_id or 0}"
        readings.append(Reading(name=name, kind=SCAN, annex=annex, data=kept,
                                warnings=warnings, part=part, evidence=evidence,
                                case_number=case_number,
                                pages=[p.page for p in pages if p.page],
                                images={f.field: f.crop for p in pages for f in p.fields
                                        if f.crop}))
    return readings
