"""Word (.docx) forms typed by agencies: their tables and paragraphs as cells, ticks decoded.

Reads ``word/document.xml`` straight from the package with a parser that resolves no entities
and fetches nothing. Ticks come in many encodings and all become the same two marks: glyphs
(☑ ☒ ■ √ ✓ / □ ☐), Wingdings and Wingdings 2 symbols (``w:sym`` or text in the font), content
control check boxes (``w14:checkbox``) and legacy ``FORMCHECKBOX`` fields. A vertically merged
cell is read once, where it starts.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping

from lxml import etree

from .layout import Cell, read_cells
from .limits import Limits, check_zip
from .reading import ImportFailure, Reading
from .synonyms import Synonyms
from .text import EMPTY, FORMAT_END, SYMBOL_FONTS, TICKED

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"
_ON = {"1", "true", "on"}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                          remove_comments=True, remove_pis=True)
_CONTAINERS = {f"{W}{t}" for t in ("hyperlink", "ins", "smartTag", "fldSimple", "customXml",
                                   "sdtContent", "moveTo", "dir", "bdo")}
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _symbol(font: str, code: int) -> str | None:
    table = SYMBOL_FONTS.get(font.strip().lower())
    return table.get(code & 0xFF) if table else None


def _run_font(run: etree._Element) -> str:
    fonts = run.find(f"{W}rPr/{W}rFonts")
    if fonts is None:
        return ""
    return fonts.get(f"{W}ascii") or fonts.get(f"{W}hAnsi") or fonts.get(f"{W}cs") or ""


def _checkbox_field(begin: etree._Element) -> str | None:
    box = begin.find(f"{W}ffData/{W}checkBox")
    if box is None:
        return None
    checked = box.find(f"{W}checked")
    if checked is not None:
        return TICKED if checked.get(f"{W}val", "1").lower() in _ON else EMPTY
    default = box.find(f"{W}default")
    on = default is not None and default.get(f"{W}val", "0").lower() in _ON
    return TICKED if on else EMPTY


_OFF = {"0", "false", "off", "none"}


def _run_format(run: etree._Element) -> str:
    """The formatting mark of a run set apart by bold, underline, highlight, shading or
    colour (the first that applies), or ""."""
    props = run.find(f"{W}rPr")
    if props is None:
        return ""
    for tag, mark in (("b", "\ue010"), ("u", "\ue011"), ("highlight", "\ue012")):
        el = props.find(f"{W}{tag}")
        if el is not None and el.get(f"{W}val", "1").lower() not in _OFF:
            return mark
    shd = props.find(f"{W}shd")
    if shd is not None and shd.get(f"{W}fill", "auto").lower() not in ("auto", "ffffff", ""):
        return "\ue013"
    color = props.find(f"{W}color")
    if color is not None and color.get(f"{W}val", "auto").lower() not in ("auto", "000000"):
        return "\ue014"
    return ""


def _run_text(run: etree._Element, out: list[str]) -> None:
    font = _run_font(run)
    symbolic = font.strip().lower() in SYMBOL_FONTS
    for child in run:
        tag = child.tag
        if tag == f"{W}t":
            text = child.text or ""
            if symbolic:
                text = "".join(_symbol(font, ord(c)) or c for c in text)
            mark: str | None = _run_format(run) if text.strip() else ""
            out.append(f"{mark}{text}{FORMAT_END}" if mark else text)
        elif tag == f"{W}tab":
            out.append(" ")
        elif tag in (f"{W}br", f"{W}cr"):
            out.append("\n")
        elif tag == f"{W}sym":
            code = int(child.get(f"{W}char", "0"), 16)
            mark = _symbol(child.get(f"{W}font", ""), code)
            out.append(mark or " ")
        elif tag == f"{W}fldChar" and child.get(f"{W}fldCharType") == "begin":
            mark = _checkbox_field(child)
            if mark:
                out.append(mark)


def _content_control(sdt: etree._Element, out: list[str]) -> None:
    box = sdt.find(f"{W}sdtPr/{W14}checkbox")
    if box is not None:
        checked = box.find(f"{W14}checked")
        on = checked is not None and checked.get(f"{W14}val", "0").lower() in _ON
        out.append(TICKED if on else EMPTY)
        return
    content = sdt.find(f"{W}sdtContent")
    if content is not None:
        _inline(content, out)


def _inline(parent: etree._Element, out: list[str]) -> None:
    for child in parent:
        tag = child.tag
        if tag == f"{W}r":
            _run_text(child, out)
        elif tag == f"{W}sdt":
            _content_control(child, out)
        elif tag in _CONTAINERS:
            _inline(child, out)


def paragraph_text(p: etree._Element) -> str:
    """The text of a ``w:p`` with its ticks as marks."""
    out: list[str] = []
    _inline(p, out)
    return "".join(out)


def _cell_text(tc: etree._Element) -> str:
    lines: list[str] = []
    for child in tc:
        if child.tag == f"{W}p":
            lines.append(paragraph_text(child))
        elif child.tag == f"{W}tbl":
            for tr in child.iter(f"{W}tr"):
                lines.append(" ".join(_cell_text(tc2) for tc2 in tr.iter(f"{W}tc")))
        elif child.tag == f"{W}sdt":
            content = child.find(f"{W}sdtContent")
            if content is not None:
                lines.append(_cell_text(content))
    return "\n".join(lines)


def _int_attr(element: etree._Element | None, default: int) -> int:
    if element is None:
        return default
    try:
        return int(element.get(f"{W}val", default))
    except ValueError:
        return default


def _row_cells(tr: etree._Element) -> list[etree._Element]:
    cells: list[etree._Element] = []
    for child in tr:
        if child.tag == f"{W}tc":
            cells.append(child)
        elif child.tag in (f"{W}sdt", f"{W}customXml"):
            cells.extend(child.iter(f"{W}tc"))
    return cells


def _table(tbl: etree._Element, block: int, cells: list[Cell]) -> None:
    rows = [child for child in tbl if child.tag == f"{W}tr"]
    for r, tr in enumerate(rows):
        col = _int_attr(tr.find(f"{W}trPr/{W}gridBefore"), 0)
        for tc in _row_cells(tr):
            props = tc.find(f"{W}tcPr")
            span = _int_attr(props.find(f"{W}gridSpan") if props is not None else None, 1)
            merge = props.find(f"{W}vMerge") if props is not None else None
            continued = merge is not None and merge.get(f"{W}val", "continue") != "restart"
            hmerge = props.find(f"{W}hMerge") if props is not None else None
            continued = continued or (hmerge is not None
                                      and hmerge.get(f"{W}val", "continue") != "restart")
            if not continued:
                cells.append(Cell(block, r, col, span, _cell_text(tc)))
            col += span


def body_cells(root: etree._Element) -> list[Cell]:
    """Every table cell and body paragraph of a document, in reading order."""
    body = root.find(f"{W}body")
    if body is None:
        raise ImportFailure("the Word file has no document body")
    cells: list[Cell] = []
    block, row = 0, 0  # body paragraphs between two tables are rows of one block

    def walk(parent: etree._Element) -> None:
        nonlocal block, row
        for child in parent:
            if child.tag == f"{W}p":
                text = paragraph_text(child)
                if text.strip():
                    cells.append(Cell(block, row, 0, 1, text))
                    row += 1
            elif child.tag == f"{W}tbl":
                _table(child, block + 1, cells)
                block, row = block + 2, 0
            elif child.tag == f"{W}sdt":
                content = child.find(f"{W}sdtContent")
                if content is not None:
                    walk(content)
            elif child.tag == f"{W}customXml":
                walk(child)

    walk(body)
    return cells


def document_xml(data: bytes, limits: Limits) -> etree._Element:
    """The parsed main part of a .docx, after checking the package against ``limits``."""
    if data.startswith(_CFB_MAGIC):
        raise ImportFailure("the file is password-protected or an old binary Word file "
                            "saved as .docx")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            check_zip(package, limits)
            try:
                raw = package.read("word/document.xml")
            except KeyError:
                raise ImportFailure("not a Word document (no word/document.xml)") from None
    except zipfile.BadZipFile:
        raise ImportFailure("not a Word file, or the file is damaged") from None
    try:
        return etree.fromstring(raw, _PARSER)
    except etree.XMLSyntaxError as e:
        raise ImportFailure(f"the Word file is damaged ({e.msg})") from None


def split_forms(cells: list[Cell]) -> list[list[Cell]]:
    """The cells of each form in a file that holds several, in order (one list for one form).

    A form starts where an annex's title stands; a file with fewer than two titles is one form.
    """
    from ..annexes import ANNEXES
    from .text import fold, squeeze

    titles = [squeeze(a.title) for a in ANNEXES.values()]
    starts = []
    for n, c in enumerate(cells):
        if len(c.text) > 80 or "表" not in fold(c.text):
            continue
        text = squeeze(c.text)
        if len(text) <= 40 and any(t in text for t in titles):
            starts.append(n)
    if len(starts) < 2:
        return [cells]
    starts[0] = 0  # whatever precedes the first title belongs to the first form
    return [cells[a:b] for a, b in zip(starts, [*starts[1:], len(cells)], strict=True)]


def read_docx_forms(name: str, data: bytes, *, limits: Limits | None = None,
                    aliases: Mapping[str, Mapping[str, str]] | None = None,
                    synonyms: Synonyms | None = None) -> list[Reading]:
    """Every form in a Word file, in order: one reading each (``part`` names the form)."""
    from .layout import detect_annex

    root = document_xml(data, limits or Limits())
    chunks = split_forms(body_cells(root))
    readings = []
    for n, cells in enumerate(chunks, start=1):
        code = detect_annex(cells)
        reading = read_cells(cells, name, annex=code,
                             aliases=(aliases or {}).get(code or "", None), synonyms=synonyms)
        if len(chunks) > 1:
            reading.part = f"form {n}"
        readings.append(reading)
    return readings
