"""Build the Word templates B.docx, C.docx, D.docx and survey.docx from their declarations.

Run ``python form_templates/build_templates.py`` after a declaration changes. Every label, hint,
heading and title is taken from ``service.annexes`` (the satisfaction survey's from
``service.evaluation.survey``); the values, option sets, signatures and
pictures are docxtpl tags filled from the context that ``service.documents.render`` builds.
Agencies may edit the produced files in Word (see README.md in this folder for the tags).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from docx import Document
from docx.oxml import parse_xml
from docx.shared import Pt, Twips

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from service.annexes import ANNEXES, Annex, Field, Kind  # noqa: E402
from service.evaluation import survey  # noqa: E402

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NSDECL = f'xmlns:w="{W_NS}"'

#: The faces the official copy is set in; box glyphs come from a face that has them.
SERIF = "Noto Serif CJK SC"
SANS = "Noto Sans CJK SC"
BOX_FONT = "DejaVu Sans"

PAGE_W, PAGE_H = 11906, 16838  # A4 in twips
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 1134, 1134, 1134  # 2 cm
WIDTH = PAGE_W - 2 * MARGIN_X  # the table spans the text width
LABEL_W = 1500  # a label cell, about six characters of 10.5 pt
GROUP_W = 1500  # the merged cell naming a group (服务计划)
CELL_MARGIN = 85  # left and right padding of every cell
BODY_PT = 10.5  # 五号
TITLE_PT = 16  # 三号
ROW_MIN = 560  # twips: a one-line cell a pen can write in
LONG_MIN = 1000  # twips: a paragraph cell left blank for writing
SIGN_MIN = 800
HINT_COLOR = "595959"
COLUMN_WEIGHT = {Kind.INTEGER: 1, Kind.TEXT: 2, Kind.LONGTEXT: 4}


def run(text: str, *, font: str | None = None, bold: bool = False, underline: bool = False,
        color: str | None = None, size: float | None = None) -> str:
    """A w:r holding ``text`` (docxtpl tags included verbatim)."""
    props = []
    if font:
        props.append(f'<w:rFonts w:ascii="{font}" w:hAnsi="{font}" w:eastAsia="{font}" '
                     f'w:cs="{font}" w:hint="eastAsia"/>')
    if bold:
        props.append("<w:b/><w:bCs/>")
    if color:
        props.append(f'<w:color w:val="{color}"/>')
    if size:
        props.append(f'<w:sz w:val="{int(size * 2)}"/><w:szCs w:val="{int(size * 2)}"/>')
    if underline:
        props.append('<w:u w:val="single"/>')
    rpr = f"<w:rPr>{''.join(props)}</w:rPr>" if props else ""
    return f'<w:r>{rpr}<w:t xml:space="preserve">{text}</w:t></w:r>'


def para(*runs: str, jc: str = "left", keep: bool = False) -> str:
    """A w:p of runs; ``jc="distribute"`` spaces a label out as the paper form does."""
    keep_xml = "<w:keepNext/>" if keep else ""
    return (f'<w:p><w:pPr>{keep_xml}<w:spacing w:before="0" w:after="0"/>'
            f'<w:jc w:val="{jc}"/></w:pPr>{"".join(runs)}</w:p>')


@dataclass
class Cell:
    """One cell of the grid: its width in twips and its paragraphs."""

    width: int
    body: str
    vmerge: str | None = None  # "restart" or "continue"
    shade: bool = False


@dataclass
class Row:
    cells: list[Cell]
    min_height: int = ROW_MIN
    can_split: bool = False
    prefix: str = ""  # a docxtpl row tag ({%tr ... %}) placed before/after the row
    suffix: str = ""


def label_jc(text: str, width: int) -> str:
    """Distributed alignment for a label that fits on one line (as the paper form spaces
    性别 out to 性 别); a longer label wraps, justified."""
    ems = sum(1.0 if ord(ch) > 0x2E7F else 0.5 for ch in text)
    fits = ems * BODY_PT * 20 <= width - 2 * CELL_MARGIN
    return "distribute" if fits else "both"


def label_cell(text: str, width: int = LABEL_W, sub: str = "") -> Cell:
    body = para(run(escape(text)), jc=label_jc(text, width))
    if sub:
        body += para(run(escape(sub)), jc="center")
    return Cell(width, body)


def value_runs(f: Field) -> str:
    """The runs printing a text-like value, its hint when the cell is empty."""
    tag = f"{{{{ v.{f.name} }}}}"
    if f.prefix or f.suffix:
        return (run(escape(f.prefix) + " ") + run(tag) + run(" " + escape(f.suffix)))
    if f.hint:
        return (run(f"{{% if v.{f.name} %}}{tag}{{% else %}}")
                + run(escape(f.hint), color=HINT_COLOR) + run("{% endif %}"))
    return run(tag)


def options_runs(f: Field) -> str:
    """Every option of a set in order: its box, its printed text and its write-in."""
    return (run(f"{{% for o in opts.{f.name} %}}") + run("{{ o.box }}", font=BOX_FONT)
            + run("{{ o.text }}") + run("{{ o.note }}", underline=True)
            + run("{% if not loop.last %}\u3000{% endif %}{% endfor %}"))


def signature_runs(f: Field, with_date: bool) -> str:
    runs = run(f"{{{{ sig.{f.name}.image }}}}{{{{ sig.{f.name}.name }}}}")
    if with_date:
        runs += run(f"\u3000{{{{ sig.{f.name}.date }}}}")
    return runs


def value_body(f: Field, mate: Field | None = None) -> str:
    """The paragraphs of a field's value cell (and of a picture drawn in the same cell)."""
    if f.is_choice:
        body = para(options_runs(f))
    elif f.kind is Kind.SIGNATURE:
        body = ""
        if f.with_remark:
            body += para(run(f"{{{{ sig.{f.name}.remark }}}}"))
        body += para(signature_runs(f, with_date=not f.date_label))
    elif f.kind is Kind.IMAGE:
        body = para(run(f"{{{{ img.{f.name} }}}}"))
    else:
        body = para(value_runs(f))
    if mate is not None:
        body += para(run(f"{{{{ img.{mate.name} }}}}"), jc="center")
    return body


def field_cells(f: Field, width: int, mate: Field | None) -> list[Cell]:
    """A field's label and value cells in ``width`` twips; a signed date gets its own pair."""
    if f.kind is Kind.SIGNATURE and f.date_label:
        half = width // 2
        date = Cell(width - half - LABEL_W, para(run(f"{{{{ sig.{f.name}.date }}}}")))
        return [label_cell(f.label), Cell(half - LABEL_W, value_body(f)),
                label_cell(f.date_label), date]
    return [label_cell(f.label, sub=f.sub_label), Cell(width - LABEL_W, value_body(f, mate))]


def row_height(fields: list[Field]) -> tuple[int, bool]:
    kinds = {f.kind for f in fields}
    if kinds & {Kind.LONGTEXT, Kind.IMAGE}:
        return LONG_MIN, True
    if Kind.SIGNATURE in kinds:
        return SIGN_MIN, False
    return ROW_MIN, False


def table_rows(f: Field) -> list[Row]:
    """A table field: its label row, a header of column labels, one templated row per item."""
    weights = [COLUMN_WEIGHT.get(c.kind, 2) for c in f.columns]
    widths = [WIDTH * w // sum(weights) for w in weights]
    widths[-1] = WIDTH - sum(widths[:-1])
    head = Row([Cell(WIDTH, para(run(escape(f.label)), jc="center"))])
    header = Row([Cell(w, para(run(escape(c.label)), jc="center"))
                  for w, c in zip(widths, f.columns, strict=True)])
    body = Row([Cell(w, para(run(f"{{{{ r.{c.name} }}}}"),
                             jc="center" if c.kind is Kind.INTEGER else "left"))
                for w, c in zip(widths, f.columns, strict=True)],
               min_height=ROW_MIN, can_split=True,
               prefix=f"{{%tr for r in rows.{f.name} %}}", suffix="{%tr endfor %}")
    return [head, header, body]


def layout(annex: Annex) -> list[Row]:
    """The grid of an annex: section headings, then each declared row as label/value cells."""
    rows: list[Row] = []
    for section in annex.sections:
        if section.heading:
            rows.append(Row([Cell(WIDTH, para(run(escape(section.heading), bold=True),
                                              jc="center"), shade=True)]))
        previous_group = ""
        for names in section.rows:
            fields = [annex[n] for n in names]
            if fields[0].kind is Kind.TABLE:
                rows.extend(table_rows(fields[0]))
                previous_group = ""
                continue
            pictures = [f for f in fields if f.kind is Kind.IMAGE and len(fields) > 1]
            shown = [f for f in fields if f not in pictures]
            mate = pictures[0] if pictures else None
            group = shown[0].group
            cells: list[Cell] = []
            width = WIDTH
            if group:
                start = group != previous_group
                body = para(run(escape(group)), jc=label_jc(group, GROUP_W)) if start else para()
                cells.append(Cell(GROUP_W, body, vmerge="restart" if start else "continue"))
                width -= GROUP_W
            previous_group = group
            share = width // len(shown)
            for i, f in enumerate(shown):
                w = share if i < len(shown) - 1 else width - share * (len(shown) - 1)
                cells.extend(field_cells(f, w, mate if i == len(shown) - 1 else None))
            height, split = row_height(fields)
            rows.append(Row(cells, min_height=height, can_split=split))
    return rows


def grid_of(rows: list[Row]) -> list[int]:
    """The union of every row's cell boundaries: the table's grid columns."""
    edges = {0}
    for row in rows:
        x = 0
        for cell in row.cells:
            x += cell.width
            edges.add(x)
    ordered = sorted(edges)
    return [b - a for a, b in zip(ordered, ordered[1:], strict=False)]


def row_xml(row: Row, grid: list[int]) -> str:
    edges = [sum(grid[:i]) for i in range(len(grid) + 1)]
    cells = []
    x = 0
    for cell in row.cells:
        span = edges.index(x + cell.width) - edges.index(x)
        x += cell.width
        props = [f'<w:tcW w:w="{cell.width}" w:type="dxa"/>']
        if span > 1:
            props.append(f'<w:gridSpan w:val="{span}"/>')
        if cell.vmerge == "restart":
            props.append('<w:vMerge w:val="restart"/>')
        elif cell.vmerge == "continue":
            props.append("<w:vMerge/>")
        if cell.shade:
            props.append('<w:shd w:val="clear" w:color="auto" w:fill="F2F2F2"/>')
        props.append('<w:vAlign w:val="center"/>')
        cells.append(f"<w:tc><w:tcPr>{''.join(props)}</w:tcPr>{cell.body or para()}</w:tc>")
    split = "" if row.can_split else "<w:cantSplit/>"
    tr = (f'<w:tr><w:trPr>{split}<w:trHeight w:val="{row.min_height}" w:hRule="atLeast"/>'
          f"</w:trPr>{''.join(cells)}</w:tr>")
    if row.prefix:
        tr = _tag_row(row.prefix, len(grid)) + tr + _tag_row(row.suffix, len(grid))
    return tr


def _tag_row(tag: str, span: int) -> str:
    """A row that holds only a docxtpl row tag; docxtpl removes it when rendering."""
    return (f'<w:tr><w:tc><w:tcPr><w:gridSpan w:val="{span}"/></w:tcPr>'
            f"{para(run(tag))}</w:tc></w:tr>")


def table_xml(annex: Annex) -> str:
    """The annex's grid as a w:tbl."""
    return grid_table_xml(layout(annex))


def grid_table_xml(rows: list[Row]) -> str:
    """Rows as a bordered, fixed-layout w:tbl spanning the text width."""
    grid = grid_of(rows)
    border = "".join(f'<w:{side} w:val="single" w:sz="6" w:space="0" w:color="000000"/>'
                     for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
    columns = "".join(f'<w:gridCol w:w="{w}"/>' for w in grid)
    return (f'<w:tbl {NSDECL}><w:tblPr><w:tblW w:w="{WIDTH}" w:type="dxa"/>'
            f'<w:jc w:val="center"/><w:tblBorders>{border}</w:tblBorders>'
            '<w:tblLayout w:type="fixed"/>'
            f'<w:tblCellMar><w:left w:w="{CELL_MARGIN}" w:type="dxa"/>'
            f'<w:right w:w="{CELL_MARGIN}" w:type="dxa"/></w:tblCellMar></w:tblPr>'
            f"<w:tblGrid>{columns}</w:tblGrid>"
            f"{''.join(row_xml(r, grid) for r in rows)}</w:tbl>")


def set_fonts(document: Document) -> None:
    """Name the Simplified Chinese faces everywhere a face is chosen (no theme fonts)."""
    styles = document.styles.element
    defaults = styles.find(f"{{{W_NS}}}docDefaults")
    rpr = defaults.find(f"{{{W_NS}}}rPrDefault/{{{W_NS}}}rPr")
    for child in list(rpr):
        if child.tag in (f"{{{W_NS}}}rFonts", f"{{{W_NS}}}lang", f"{{{W_NS}}}sz",
                         f"{{{W_NS}}}szCs"):
            rpr.remove(child)
    size = int(BODY_PT * 2)
    rpr.insert(0, parse_xml(
        f'<w:rFonts {NSDECL} w:ascii="{SERIF}" w:hAnsi="{SERIF}" w:eastAsia="{SERIF}" '
        f'w:cs="{SERIF}"/>'))
    rpr.append(parse_xml(f'<w:sz {NSDECL} w:val="{size}"/>'))
    rpr.append(parse_xml(f'<w:szCs {NSDECL} w:val="{size}"/>'))
    rpr.append(parse_xml(f'<w:lang {NSDECL} w:val="zh-CN" w:eastAsia="zh-CN" w:bidi="ar-SA"/>'))
    for style in document.styles:
        element = style.element
        fonts = element.find(f"{{{W_NS}}}rPr/{{{W_NS}}}rFonts")
        if fonts is not None:
            for attr in list(fonts.attrib):
                if attr.endswith("Theme"):
                    del fonts.attrib[attr]
            for slot in ("ascii", "hAnsi", "eastAsia", "cs"):
                fonts.set(f"{{{W_NS}}}{slot}", SERIF)
    normal = document.styles["Normal"]
    normal.font.size = Pt(BODY_PT)


#: The QR code's side in the header (see service.documents.pagecode); the header starts close to the
#: page's edge so the code fits above the body's top margin.
CODE_MM = 14
HEADER_DISTANCE = 284  # 5 mm


def header_paragraph(code_tag: str) -> str:
    """The letterhead: the agency centred, the page's QR code at the right edge."""
    return (f'<w:p {NSDECL}><w:pPr><w:pBdr><w:bottom w:val="single" w:sz="6" w:space="1" '
            'w:color="000000"/></w:pBdr><w:tabs>'
            f'<w:tab w:val="center" w:pos="{WIDTH // 2}"/><w:tab w:val="right" w:pos="{WIDTH}"/>'
            '</w:tabs><w:spacing w:before="0" w:after="0"/></w:pPr>'
            f"<w:r><w:tab/></w:r>{run('{{ meta.agency }}', font=SANS, size=12)}"
            f"<w:r><w:tab/></w:r>{run(code_tag)}</w:p>")


def footer_paragraph() -> str:
    """The case number and 第 N 页 共 M 页."""
    def field(code: str) -> str:
        return (f'<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
                f'<w:r><w:instrText xml:space="preserve"> {code} </w:instrText></w:r>'
                f'<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1</w:t></w:r>'
                f'<w:r><w:fldChar w:fldCharType="end"/></w:r>')

    return (f'<w:p {NSDECL}><w:pPr><w:jc w:val="center"/></w:pPr>'
            f"{run('{{ meta.case_number }}　第 ', size=9)}{field('PAGE')}"
            f"{run(' 页 共 ', size=9)}{field('NUMPAGES')}{run(' 页', size=9)}</w:p>")


def header_footer(document: Document) -> None:
    """The letterhead (the agency and the page's code) and the page numbers; the first page
    has a header of its own so its code can say "page 1"; agencies may restyle both."""
    section = document.sections[0]
    section.different_first_page_header_footer = True
    for header, tag in ((section.first_page_header, "{{ meta.code_first }}"),
                        (section.header, "{{ meta.code }}")):
        header.is_linked_to_previous = False
        head = header.paragraphs[0]
        head._p.getparent().replace(head._p, parse_xml(header_paragraph(tag)))
    for footer in (section.first_page_footer, section.footer):
        footer.is_linked_to_previous = False
        foot = footer.paragraphs[0]
        foot._p.getparent().replace(foot._p, parse_xml(footer_paragraph()))


def build(annex: Annex, out: Path) -> None:
    """Write the template of ``annex`` to ``out``."""
    write_form(annex.title, table_xml(annex), out)


def write_form(title_text: str, table: str, out: Path) -> None:
    """Write a form template: A4, the letterhead with the page's code, ``title_text``, the case
    number and the grid ``table`` (a w:tbl), and the page numbers."""
    document = Document()
    set_fonts(document)
    section = document.sections[0]
    section.page_width, section.page_height = Twips(PAGE_W), Twips(PAGE_H)
    section.left_margin = section.right_margin = Twips(MARGIN_X)
    section.top_margin, section.bottom_margin = Twips(MARGIN_TOP), Twips(MARGIN_BOTTOM)
    section.header_distance = Twips(HEADER_DISTANCE)
    section.footer_distance = Twips(567)
    header_footer(document)
    body = document.element.body
    for p in list(body.iterchildren(f"{{{W_NS}}}p")):
        body.remove(p)
    sect = body.find(f"{{{W_NS}}}sectPr")
    title = parse_xml(
        f'<w:p {NSDECL}><w:pPr><w:spacing w:before="120" w:after="240"/><w:jc w:val="center"/>'
        f"</w:pPr>{run(escape(title_text), font=SANS, bold=True, size=TITLE_PT)}</w:p>")
    number = parse_xml(
        f'<w:p {NSDECL}><w:pPr><w:spacing w:before="0" w:after="60"/><w:jc w:val="right"/>'
        f"</w:pPr>{run('{{ meta.case_number }}', size=9)}</w:p>")
    sect.addprevious(title)
    sect.addprevious(number)
    sect.addprevious(parse_xml(table))
    sect.addprevious(parse_xml(f"<w:p {NSDECL}/>"))
    props = document.core_properties
    props.title, props.author, props.subject, props.comments = title_text, "", "", ""
    props.keywords, props.identifier, props.last_modified_by = "", "", ""
    props.revision = 1
    document.settings.element.append(parse_xml(
        f'<w:themeFontLang {NSDECL} w:val="zh-CN" w:eastAsia="zh-CN"/>'))
    slim(document)
    document.save(out)


# --- the satisfaction survey ------------------------------------------------------------------

#: The survey's file name beside the annexes' B.docx, C.docx, D.docx.
SURVEY_FILE = "survey.docx"
ITEM_W = 2638  # the items' column; the five points share the rest


def survey_rows() -> list[Row]:
    """The survey's grid from its declaration: case and date, who answered, one row per item
    with a box under each of the five points, and the comment."""
    half = WIDTH // 2
    rows = [
        Row([label_cell(survey.CASE_LABEL),
             Cell(half - LABEL_W, para(run("{{ meta.case_number }}"))),
             label_cell(survey.DATE_LABEL),
             Cell(WIDTH - half - LABEL_W, para(run("{{ v.filled_on }}")))]),
        Row([label_cell(survey.RESPONDENT_LABEL),
             Cell(WIDTH - LABEL_W, para(
                 run("{% for o in opts.respondent %}") + run("{{ o.box }}", font=BOX_FONT)
                 + run("{{ o.text }}")
                 + run("{% if not loop.last %}\u3000{% endif %}{% endfor %}")))]),
    ]
    point_w = (WIDTH - ITEM_W) // len(survey.POINTS)
    widths = [point_w] * len(survey.POINTS)
    widths[-1] = WIDTH - ITEM_W - point_w * (len(survey.POINTS) - 1)
    rows.append(Row([Cell(ITEM_W, para(run(escape(survey.ITEM_LABEL)), jc="center"), shade=True)]
                    + [Cell(w, para(run(escape(p)), jc="center"), shade=True)
                       for w, p in zip(widths, survey.POINTS, strict=True)]))
    for item in survey.ITEMS:
        rows.append(Row([label_cell(item.text, ITEM_W)]
                        + [Cell(w, para(run(f"{{{{ points.{item.key}[{n}] }}}}", font=BOX_FONT),
                                        jc="center"))
                           for n, w in enumerate(widths)]))
    rows.append(Row([label_cell(survey.COMMENT.text),
                     Cell(WIDTH - LABEL_W, para(run(f"{{{{ v.{survey.COMMENT.key} }}}}")))],
                    min_height=LONG_MIN * 2, can_split=True))
    return rows


def survey_table_xml() -> str:
    """The survey's grid as a w:tbl, bordered as the annexes' tables."""
    return grid_table_xml(survey_rows())


def build_survey(out: Path) -> None:
    """Write the survey's template to ``out``."""
    write_form(survey.TITLE, survey_table_xml(), out)


#: Styles the templates use; the rest of python-docx's default set only slows every render.
KEPT_STYLES = {"Normal", "DefaultParagraphFont", "TableNormal", "NoList", "Header", "Footer",
               "HeaderChar", "FooterChar", "TableGrid"}


def slim(document: Document) -> None:
    """Drop the parts and styles a form does not use (thumbnail, custom XML, latent and unused
    styles, the duplicate styles-with-effects part): smaller files, faster renders."""
    package_rels = document.part.package.rels
    for key, rel in list(package_rels.items()):
        if rel.reltype.endswith("/thumbnail"):
            del package_rels[key]
    for key, rel in list(document.part.rels.items()):
        if rel.reltype.endswith(("/stylesWithEffects", "/customXml")):
            del document.part.rels[key]
    styles = document.styles.element
    for latent in styles.findall(f"{{{W_NS}}}latentStyles"):
        styles.remove(latent)
    for style in styles.findall(f"{{{W_NS}}}style"):
        if style.get(f"{{{W_NS}}}styleId") not in KEPT_STYLES:
            styles.remove(style)


def main(argv: list[str]) -> int:
    """Build the templates named on the command line (default: every annex and the survey;
    ``S`` names the survey)."""
    codes = [c.upper() for c in argv] or [*ANNEXES, survey.CODE]
    for code in codes:
        if code == survey.CODE:
            out = HERE / SURVEY_FILE
            build_survey(out)
        else:
            out = HERE / f"{code}.docx"
            build(ANNEXES[code], out)
        print(f"wrote {out.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
