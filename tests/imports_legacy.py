"""Legacy forms as agencies typed them, made with python-docx, for the import tests and bench.

Every label, option and heading comes from the declarations; the variants are the ones found in
the wild: spaced labels, either width of colon, 其他/其它, values beside or below their label,
merged cells, several labels in one cell, and every encoding of a tick.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.text.paragraph import Paragraph

from service.annexes import ANNEXES, Annex, Field, Kind
from service.annexes.examples import example

W14 = 'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml"'
TICKS = ("glyph", "glyph_variants", "check_before", "wingdings", "wingdings2",
         "wingdings_text", "content_control", "form_field")
DATE_STYLES = ("{y}年{m}月{d}日", "{y}.{m}.{d}", "{y}/{m:02d}/{d:02d}", "{y}-{m}-{d}")
MONTH_STYLES = ("{y}年{m}月", "{y}.{m:02d}")


@dataclass(frozen=True)
class Style:
    """How one legacy file is typed."""

    tick: str = "glyph"
    spaced: bool = False  # 婚 姻 状 况
    colon: str = ""  # after each label: "", "：" or ":"
    qita_swapped: bool = False  # 其它 for 其他 and the other way round
    below: bool = False  # values in the row under their label
    one_cell: bool = False  # every row's labels and values in one cell
    date_style: int = 0
    title: bool = True


def expected(code: str) -> dict[str, Any]:
    """The example form of ``code`` as a text-only legacy file can carry it (no pictures)."""
    data = example(code)
    for f in ANNEXES[code]:
        if f.kind is Kind.SIGNATURE and data.get(f.name):  # typed, not drawn: a name
            data[f.name] = {k: v for k, v in data[f.name].items() if k != "image"}
            if not f.with_remark:
                data[f.name]["name"] = "陈晓敏"
        if f.kind is Kind.IMAGE:
            data[f.name] = ""
    return data


def _label(text: str, style: Style) -> str:
    shown = "\u3000".join(text) if style.spaced and len(text) <= 6 else text
    return shown + style.colon


def _swap(text: str, style: Style) -> str:
    if not style.qita_swapped:
        return text
    return text.replace("其他", "\0").replace("其它", "其他").replace("\0", "其它")


def _date(iso: str, style: Style) -> str:
    y, m, d = (int(x) for x in iso.split("-"))
    return DATE_STYLES[style.date_style % len(DATE_STYLES)].format(y=y, m=m, d=d)


def _month(ym: str, style: Style) -> str:
    y, m = (int(x) for x in ym.split("-"))
    return MONTH_STYLES[style.date_style % len(MONTH_STYLES)].format(y=y, m=m)


def _mark_xml(on: bool, tick: str, n: int) -> str | None:
    """The XML of one box, or None when the box is plain text."""
    if tick == "wingdings":
        return (f'<w:r {nsdecls("w")}><w:sym w:font="Wingdings" '
                f'w:char="{"F0FE" if on else "F0A8"}"/></w:r>')
    if tick == "wingdings2":
        return (f'<w:r {nsdecls("w")}><w:sym w:font="Wingdings 2" '
                f'w:char="{"F052" if on else "F0A3"}"/></w:r>')
    if tick == "wingdings_text":
        return (f'<w:r {nsdecls("w")}><w:rPr><w:rFonts w:ascii="Wingdings 2" '
                f'w:hAnsi="Wingdings 2"/></w:rPr><w:t>{"R" if on else "£"}</w:t></w:r>')
    if tick == "content_control":
        return (f'<w:sdt {nsdecls("w")} {W14}><w:sdtPr><w14:checkbox><w14:checked '
                f'w14:val="{1 if on else 0}"/><w14:checkedState w14:val="2612"/>'
                f'<w14:uncheckedState w14:val="2610"/></w14:checkbox></w:sdtPr><w:sdtContent>'
                f'<w:r><w:t>{"☒" if on else "☐"}</w:t></w:r></w:sdtContent></w:sdt>')
    if tick == "form_field":
        return (f'<w:r {nsdecls("w")}><w:fldChar w:fldCharType="begin"><w:ffData>'
                f'<w:name w:val="Check{n}"/><w:enabled/><w:calcOnExit w:val="0"/><w:checkBox>'
                f'<w:sizeAuto/><w:default w:val="{1 if on else 0}"/></w:checkBox></w:ffData>'
                f'</w:fldChar></w:r>')
    return None


def _glyph(on: bool, tick: str, n: int) -> str:
    if tick == "check_before":
        return "√" if on else ""
    if tick == "glyph_variants":
        return ("☑", "☒", "■", "√", "✓")[n % 5] if on else ("□", "☐")[n % 2]
    return "☑" if on else "☐"


def _choice_runs(f: Field, data: dict[str, Any], style: Style) -> list[tuple[str, str]]:
    """The runs of a row of boxes: ("text", s) or ("xml", s)."""
    value = data.get(f.name)
    ticked = set(value) if isinstance(value, list) else {value}
    runs: list[tuple[str, str]] = []
    for n, option in enumerate(f.options):
        on = option.text in ticked
        xml = _mark_xml(on, style.tick, n)
        if xml:
            runs.append(("xml", xml))
        else:
            runs.append(("text", _glyph(on, style.tick, n)))
        text = _swap(option.printed, style)
        if option.note and on:
            text += data.get(option.note, "")
        elif option.note:
            text += "____"
        runs.append(("text", text + "　"))
    return runs


def _value_runs(f: Field, data: dict[str, Any], style: Style) -> list[tuple[str, str]]:
    value = data.get(f.name)
    if f.is_choice:
        return _choice_runs(f, data, style)
    if value in (None, "", [], {}):
        return [("text", "")]
    match f.kind:
        case Kind.DATE:
            return [("text", _date(value, style))]
        case Kind.YEAR_MONTH:
            return [("text", _month(value, style))]
        case Kind.ORDINAL:
            return [("text", f"{f.prefix} {value} {f.suffix}")]
        case Kind.SIGNATURE:
            parts = [value.get("remark", ""), "" if f.date_label or f.with_remark else "陈晓敏",
                     "" if f.date_label else _date(value["date"], style)]
            return [("text", " ".join(p for p in parts if p))]
    return [("text", str(value))]


def _fill(paragraph: Paragraph, runs: list[tuple[str, str]]) -> None:
    for kind, text in runs:
        if kind == "xml":
            paragraph._p.append(parse_xml(text))
        else:
            for n, line in enumerate(text.split("\n")):
                if n:
                    paragraph.add_run().add_break()
                paragraph.add_run(line)


def _set(cell: Any, runs: list[tuple[str, str]]) -> None:
    paragraph = cell.paragraphs[0]
    texts = [t for k, t in runs if k == "text"]
    if len(runs) == len(texts) and any("\n" in t for t in texts):
        lines = "".join(texts).split("\n")
        paragraph.add_run(lines[0])
        for line in lines[1:]:
            cell.add_paragraph(line)
        return
    _fill(paragraph, runs)


def _pieces(f: Field, data: dict[str, Any], style: Style) -> list[tuple[str, list]]:
    """(label, value runs) for a field, the signature date label as its own piece."""
    label = f.label
    pieces = [(label, _value_runs(f, data, style))]
    if f.kind is Kind.SIGNATURE and f.date_label:
        sig = data.get(f.name) or {}
        pieces[0] = (label, [("text", "陈晓敏" if sig else "")])
        pieces.append((f.date_label, [("text", _date(sig["date"], style) if sig else "")]))
    return pieces


def _goal_table(document: Any, f: Field, data: dict[str, Any], style: Style) -> None:
    rows = data.get(f.name) or []
    table = document.add_table(rows=1 + max(len(rows), 2), cols=1 + len(f.columns))
    table.style = "Table Grid"
    for i, column in enumerate(f.columns):
        table.cell(0, i + 1).text = _label(column.label, style) if column.name != "status" \
            else column.label
    for r, row in enumerate(rows, start=1):
        for i, column in enumerate(f.columns):
            table.cell(r, i + 1).text = str(row.get(column.name, ""))
    merged = table.cell(0, 0).merge(table.cell(len(table.rows) - 1, 0))
    merged.text = _label(f.label, style)


def make_docx(code: str, data: dict[str, Any] | None = None, style: Style | None = None
              ) -> bytes:
    """A legacy Word form of annex ``code`` holding ``data`` (the example by default)."""
    style = style or Style()
    annex: Annex = ANNEXES[code]
    data = expected(code) if data is None else data
    document = Document()
    if style.title:
        document.add_paragraph(annex.title)
    for section in annex.sections:
        table = None
        if section.heading:
            document.add_paragraph(section.heading)
        for row in section.rows:
            fields = [annex[name] for name in row]
            if fields[0].kind is Kind.TABLE:
                _goal_table(document, fields[0], data, style)
                continue
            pieces = [p for f in fields for p in _pieces(f, data, style)]
            table = document.add_table(rows=2 if style.below else 1, cols=6)
            table.style = "Table Grid"
            if style.one_cell:
                cell = table.cell(0, 0).merge(table.cell(0, 5))
                runs: list[tuple[str, str]] = []
                for label, value in pieces:
                    runs.append(("text", _label(label, style) or label))
                    runs.append(("text", "：" if not style.colon else ""))
                    runs.extend(value)
                    runs.append(("text", "　"))
                _fill(cell.paragraphs[0], runs)
                continue
            if style.below:
                width = 6 // len(pieces) if len(pieces) <= 3 else 1
                for i, (label, value) in enumerate(pieces):
                    last = i == len(pieces) - 1
                    end = 5 if last else (i + 1) * width - 1
                    top = table.cell(0, i * width).merge(table.cell(0, end))
                    top.text = _label(label, style)
                    _set(table.cell(1, i * width).merge(table.cell(1, end)), value)
                continue
            width = 6 // len(pieces) if len(pieces) <= 3 else 1
            for i, (label, value) in enumerate(pieces):
                last = i == len(pieces) - 1
                table.cell(0, i * width).text = _label(label, style)
                end = 5 if last else (i + 1) * width - 1
                target = table.cell(0, i * width + 1)
                if end > i * width + 1:
                    target = target.merge(table.cell(0, end))
                _set(target, value)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_fillable_pdf(fields: list[tuple[str, str, str]], tooltips: dict[str, str] | None = None
                      ) -> bytes:
    """A one-page PDF with AcroForm fields: (name, "text" | "check" | "radio", value)."""
    from pypdf import PdfWriter
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        FloatObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    annotations = ArrayObject()
    for n, (name, kind, value) in enumerate(fields):
        rect = ArrayObject([FloatObject(50), FloatObject(800 - 20 * n), FloatObject(300),
                            FloatObject(815 - 20 * n)])
        widget = DictionaryObject({
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Widget"),
            NameObject("/T"): TextStringObject(name),
            NameObject("/Rect"): rect,
        })
        if kind == "text":
            widget[NameObject("/FT")] = NameObject("/Tx")
            widget[NameObject("/V")] = TextStringObject(value)
        else:
            widget[NameObject("/FT")] = NameObject("/Btn")
            if kind == "radio":
                widget[NameObject("/Ff")] = NumberObject(1 << 15)
            widget[NameObject("/V")] = NameObject("/" + value if value else "/Off")
        if tooltips and name in tooltips:
            widget[NameObject("/TU")] = TextStringObject(tooltips[name])
        annotations.append(writer._add_object(widget))
    page[NameObject("/Annots")] = annotations
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject(
        {NameObject("/Fields"): ArrayObject(list(annotations))})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_table_docx(title: str, rows: list[list[str]], *, merge_first_two: bool = False
                    ) -> bytes:
    """A Word file with ``title`` and one table of these cell texts (glyphs as typed)."""
    document = Document()
    document.add_paragraph(title)
    width = max(len(r) for r in rows)
    table = document.add_table(rows=len(rows), cols=width)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    if merge_first_two:
        merged = table.cell(0, 1).merge(table.cell(0, width - 1))
        merged.text = rows[0][1]
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


#: A small Annex B typed as one table, the way the web and browser tests upload it.
INTAKE_ROWS = [["初次接触日期", "2023年5月8日", "负责社工", "陈晓敏"],
               ["个案来源", "☑案主主动咨询 ☐社工探访/接访（请注明）： ☐转介人/单位（请注明）："],
               ["信访诉求及要求", "要求解决拆迁补偿问题"],
               ["案主姓名", "张三", "性别", "男"]]
