"""Printed case bundles: cover (卷皮), contents (卷内目录), the documents and the note (备考表).

The three bundle pages are docxtpl templates in ``form_templates/`` turned into PDF/A by the
documents converter (:func:`render_pages`, done once when a case is filed). Assembling a bundle
(:func:`assemble`) is then a merge: every page gets its page number (stamped from a cached
page-number sheet, itself PDF/A with its font embedded), each part gets a bookmark, and the
result keeps the PDF/A-2b identification (XMP ``pdfaid``) and output intent of its parts,
which a plain page merge drops.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf
from docx import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.shared import Cm, Pt

from ..documents.convert import pdf_pages, to_pdf
from ..documents.render import render_template
from ..storage import atomic_write

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "form_templates"
COVER, CONTENTS, NOTE = "bundle_cover.docx", "bundle_contents.docx", "bundle_note.docx"
#: The page-number sheet holds this many numbers at first; it grows when a bundle needs more.
SHEET_NUMBERS = 400

Converter = Callable[[bytes], bytes]
Renderer = Callable[[Path, dict[str, Any]], bytes]


class BundleError(Exception):
    """A bundle could not be made (a part is missing or not a PDF)."""


@dataclass(frozen=True)
class Part:
    """One PDF of a bundle and its bookmark."""

    path: Path
    bookmark: str


@dataclass(frozen=True)
class Volume:
    """One case's bundle: its title (the outline entry in a batch) and parts in order."""

    title: str
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class ContentsRow:
    """A row of the 卷内目录."""

    no: int  # 序号 (the 件号)
    author: str  # 责任者
    title: str  # 题名
    date: str  # 日期
    pages: int  # how many pages the 件 has
    remark: str = ""  # 备注


def default_converter(docx: bytes) -> bytes:
    """The documents engine's Word -> PDF/A converter."""
    return to_pdf(docx)


def default_renderer(template: Path, context: dict[str, Any]) -> bytes:
    """The documents engine's docxtpl renderer."""
    return render_template(template, context)


@dataclass(frozen=True)
class Pages:
    """The rendered bundle pages of one case (PDF bytes)."""

    cover: bytes
    contents: bytes
    note: bytes


def render_pages(info: dict[str, Any], rows: Sequence[ContentsRow], *,
                 convert: Converter | None = None, render: Renderer | None = None,
                 templates: Path = TEMPLATES) -> Pages:
    """Cover, contents and note of a case, numbered as they will be bound.

    ``info`` holds the cover's facts: fonds_name, category, grade, title, start, end,
    retention, dang_hao, compiled_by, checked_by, date, remarks (a list of lines). Pages are
    numbered from the cover (page 1); the contents give each 件 its first page.
    """
    convert = convert or default_converter
    render = render or default_renderer
    note = convert(render(templates / NOTE, {**info, "remarks": info.get("remarks") or [""]}))
    note_pages = pdf_pages(note)
    cover_pages, contents_pages = 1, 1
    for _ in range(4):  # page counts settle in one or two rounds
        first = cover_pages + contents_pages + 1
        contents = convert(render(templates / CONTENTS,
                                  {**info, "rows": _numbered(rows, first)}))
        doc_pages = sum(r.pages for r in rows)
        total = cover_pages + pdf_pages(contents) + doc_pages + note_pages
        cover = convert(render(templates / COVER,
                               {**info, "items": len(rows), "pages": total}))
        if (pdf_pages(cover), pdf_pages(contents)) == (cover_pages, contents_pages):
            return Pages(cover=cover, contents=contents, note=note)
        cover_pages, contents_pages = pdf_pages(cover), pdf_pages(contents)
    raise BundleError("the bundle pages' page count does not settle")


def _numbered(rows: Sequence[ContentsRow], first: int) -> list[dict[str, Any]]:
    out = []
    page = first
    for r in rows:
        last = page + max(r.pages, 1) - 1
        out.append({"no": r.no, "author": r.author, "title": r.title, "date": r.date,
                    "page": str(page) if last == page else f"{page}-{last}",
                    "remark": r.remark})
        page = last + 1
    return out


class NumberSheet:
    """A cached PDF/A of page numbers: for number n, page 2n-2 prints it at the top right
    (a front side) and page 2n-1 at the top left (a back side)."""

    def __init__(self, cache: Path, convert: Converter | None = None) -> None:
        self.cache = cache
        self.convert = convert
        self._pdf: pikepdf.Pdf | None = None
        self._capacity = 0

    def path_for(self, numbers: int) -> Path:
        return self.cache / f"page-numbers-{numbers}.pdf"

    def pdf(self, needed: int) -> pikepdf.Pdf:
        """The sheet, holding at least ``needed`` numbers (made once, then read from cache)."""
        if self._pdf is not None and self._capacity >= needed:
            return self._pdf
        numbers = SHEET_NUMBERS
        while numbers < needed:
            numbers *= 2
        path = self.path_for(numbers)
        if not path.exists():
            convert = self.convert or default_converter
            atomic_write(path, convert(number_sheet_docx(numbers)))
        self._pdf = pikepdf.open(path)
        self._capacity = numbers
        return self._pdf

    def page(self, number: int, *, back: bool) -> pikepdf.Page:
        return self.pdf(number).pages[2 * (number - 1) + (1 if back else 0)]


def number_sheet_docx(numbers: int) -> bytes:
    """A Word file of 2 x ``numbers`` A4 pages, each with one page number near its top edge."""
    doc = DocxDocument()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(0.8), Cm(1)
    section.left_margin = section.right_margin = Cm(1.2)
    style = doc.styles["Normal"]
    style.font.name = "DejaVu Sans"
    style.font.size = Pt(10)
    for n in range(1, numbers + 1):
        for align in (WD_ALIGN_PARAGRAPH.RIGHT, WD_ALIGN_PARAGRAPH.LEFT):
            para = doc.add_paragraph()
            para.alignment = align
            para.add_run(str(n))
            if not (n == numbers and align == WD_ALIGN_PARAGRAPH.LEFT):
                para.add_run().add_break(WD_BREAK.PAGE)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def assemble(volumes: Sequence[Volume], out: Path, *, sheet: NumberSheet,
             duplex: bool = False, title: str = "",
             progress: Callable[[int, int], None] | None = None) -> int:
    """Bind ``volumes`` into one PDF/A-2b at ``out``; the number of pages written.

    Each volume's pages are numbered from 1. With ``duplex`` every part starts on a front
    (odd) side: an unnumbered blank page is put before it where needed, and numbers sit at
    the top right of front sides and the top left of back sides. One volume gives a flat
    outline (one bookmark per part); several give one entry per volume with its parts below.
    """
    if not volumes:
        raise BundleError("nothing to bind")
    pdf = pikepdf.new()
    sources: list[pikepdf.Pdf] = []
    outline: list[tuple[str, list[tuple[str, int]]]] = []
    try:
        for done, volume in enumerate(volumes):
            marks = _add_volume(pdf, volume, sources, sheet, duplex)
            outline.append((volume.title, marks))
            if progress:
                progress(done + 1, len(volumes))
        _write_outline(pdf, outline)
        _keep_pdfa(pdf, sources, title or volumes[0].title)
        pages = len(pdf.pages)
        buffer = io.BytesIO()
        pdf.save(buffer, object_stream_mode=pikepdf.ObjectStreamMode.generate,
                 deterministic_id=True)
    finally:
        for source in sources:
            source.close()
        pdf.close()
    atomic_write(out, buffer.getvalue())
    return pages


def _add_volume(pdf: pikepdf.Pdf, volume: Volume, sources: list[pikepdf.Pdf],
                sheet: NumberSheet, duplex: bool) -> list[tuple[str, int]]:
    marks: list[tuple[str, int]] = []
    number = 0
    if duplex and len(pdf.pages) % 2:
        _blank(pdf)
    for part in volume.parts:
        try:
            source = pikepdf.open(part.path)
        except (OSError, pikepdf.PdfError) as exc:
            raise BundleError(f"{part.path}: {exc}") from exc
        sources.append(source)
        if duplex and len(pdf.pages) % 2:
            _blank(pdf)
        marks.append((part.bookmark, len(pdf.pages)))
        for page in source.pages:
            pdf.pages.append(page)
            number += 1
            target = pdf.pages[-1]
            back = duplex and len(pdf.pages) % 2 == 0
            target.add_overlay(sheet.page(number, back=back), None)
    return marks


def _blank(pdf: pikepdf.Pdf) -> None:
    size = pdf.pages[-1].mediabox if len(pdf.pages) else [0, 0, 595.3, 841.9]
    pdf.add_blank_page(page_size=(float(size[2]) - float(size[0]),
                                  float(size[3]) - float(size[1])))


def _write_outline(pdf: pikepdf.Pdf, outline: list[tuple[str, list[tuple[str, int]]]]) -> None:
    with pdf.open_outline() as tree:
        tree.root.clear()
        if len(outline) == 1:
            tree.root.extend(pikepdf.OutlineItem(t, p) for t, p in outline[0][1])
            return
        for title, marks in outline:
            top = pikepdf.OutlineItem(title, marks[0][1] if marks else 0)
            top.children.extend(pikepdf.OutlineItem(t, p) for t, p in marks)
            tree.root.append(top)


def _keep_pdfa(pdf: pikepdf.Pdf, sources: list[pikepdf.Pdf], title: str) -> None:
    """Carry the parts' output intent and PDF/A identification over to the merged file."""
    intents = next((s.Root.OutputIntents for s in sources if "/OutputIntents" in s.Root), None)
    if intents is None:
        raise BundleError("the parts carry no PDF/A output intent")
    pdf.Root.OutputIntents = pikepdf.Array([_copy(pdf, i) for i in intents])
    part, conformance = _pdfa_id(sources[0])
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["pdfaid:part"] = part
        meta["pdfaid:conformance"] = conformance
        meta["dc:title"] = title
        meta["xmp:CreatorTool"] = "service.archive"
        meta["pdf:Producer"] = f"pikepdf {pikepdf.__version__}"


def _copy(pdf: pikepdf.Pdf, obj: Any) -> Any:
    """A foreign object copied into ``pdf``, direct dictionaries member by member."""
    if isinstance(obj, pikepdf.Dictionary) and not obj.is_indirect:
        return pikepdf.Dictionary({k: _copy(pdf, v) for k, v in obj.items()})
    if isinstance(obj, pikepdf.Object) and obj.is_indirect:
        return pdf.copy_foreign(obj)
    return obj


def _pdfa_id(source: pikepdf.Pdf) -> tuple[str, str]:
    meta = source.open_metadata()
    part, conformance = meta.get("pdfaid:part"), meta.get("pdfaid:conformance")
    if not part:
        raise BundleError("the parts are not PDF/A")
    return str(part), str(conformance or "B")


def pdfa_identification(path: Path) -> tuple[str, str, bool]:
    """(pdfaid:part, pdfaid:conformance, has an output intent) of a PDF, for checks."""
    with pikepdf.open(path) as pdf:
        meta = pdf.open_metadata()
        return (str(meta.get("pdfaid:part", "")), str(meta.get("pdfaid:conformance", "")),
                "/OutputIntents" in pdf.Root)
