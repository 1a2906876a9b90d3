"""A corpus of legacy forms as offices really typed them, each with the data it holds.

Every form is made from random but valid data (the ground truth) and a random :class:`Variant`:
how ticks are written (glyphs before or after the option, in brackets, symbol fonts, content
controls, form fields, formatting alone), how labels are dressed (asterisks, notes such as
（可多选）, colons of either width, inner spaces), how dates and ordinals are written, how the form
is laid out (the standard's own table, values beside or below, one cell per row, paragraphs
under numbered headings), how Annex D's goals are kept (columns swapped, extra columns, a
numbered list) and whether several forms share one file. Labels and options come from the
declarations; nothing here reads a file.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, replace
from typing import Any

from docx import Document
from docx.enum.text import WD_BREAK, WD_COLOR_INDEX
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import RGBColor

from service.annexes import ANNEXES, Annex, Field, Kind
from service.annexes.validate import age_at

W14 = 'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml"'

TICKS = ("glyph", "glyph_variants", "after", "after_spaced", "after_loose", "bracket_after",
         "bracket_before",
         "square_bracket", "wingdings", "wingdings2", "wingdings_text", "symbol_font",
         "webdings", "content_control", "form_field", "format")
FORMATS = ("bold", "underline", "highlight", "shading", "colour")
LABELS = ("plain", "colon_full", "colon_half", "asterisk", "asterisk_colon", "spaced",
          "spaced_colon")
DATES = ("{y}年{m}月{d}日", "{y}.{m}.{d}", "{y}/{m:02d}/{d:02d}", "{y}-{m:02d}-{d:02d}",
         "{yy}/{m}/{d}", "{cy}年{cm}月{cd}日", "{y}年{m:02d}月{d:02d}日")
MONTHS = ("{y}年{m}月", "{y}.{m:02d}", "{y}.{m}", "{y}/{m}", "{cy}年{cm}月", "{y}-{m:02d}")
ORDINALS = ("第{n}次", "第 {n} 次", "{n}", "第{cn}次", "{cn}")
LAYOUTS = ("beside", "below", "one_cell", "paragraphs")
GOALS = ("standard", "swapped", "extra_column", "numbered_list", "no_seq")

_DIGITS = "〇一二三四五六七八九"
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
_GIVEN = "建国秀英志强丽华晓敏伟军芳明海燕桂兰德福春梅玉珍国平红霞"
_PHRASES = (
    "要求相关部门尽快处理小区加装电梯引发的邻里纠纷", "反映征地补偿款未足额发放",
    "情绪较激动，说话语速快", "案主与妻子同住，育有一子在外地工作",
    "以生态系统理论分析，案主的支持系统不足", "协助案主了解相关政策", "联系街道办确定协调会时间",
    "案主讲述了与楼上住户的争执经过", "社工倾听并回应其感受", "链接社区法律顾问提供咨询",
    "前后测情绪量表及满意度访谈", "多方联动是化解本案的关键", "今后可更早引入人民调解",
    "重访对象，先后到街道办、区住建局反映", "情绪疏导与政策宣导并行", "疏导案主情绪",
    "促成邻里协商", "已达成，签订协商协议", "部分达成，仍需跟进", "跟进及时，注意记录各方意见",
)
_PLACES = ("街道办事处会议室", "社区服务中心", "区信访接待大厅", "案主单位")


def chinese_number(n: int) -> str:
    """一 to 九十九, as 第__次 is written."""
    units = "零一二三四五六七八九"
    if n < 10:
        return units[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else units[tens]) + "十" + (units[ones] if ones else "")


def _cdigits(n: int) -> str:
    return "".join(_DIGITS[int(c)] for c in str(n))


def _cmonth(n: int) -> str:
    return chinese_number(n)


@dataclass(frozen=True)
class Variant:
    """How one office typed its forms."""

    tick: str = "glyph"
    fmt: str = "bold"  # which formatting marks the choice when tick == "format"
    label: str = "plain"
    date: int = 0
    month: int = 0
    ordinal: int = 0
    layout: str = "beside"
    goals: str = "standard"
    headings: bool = False  # long texts under numbered headings (三、社工反思及建议)
    multi_note: bool = True  # (可多选) printed after 问题/需要
    category_above: bool = False  # D's 类别 printed above the table as a paragraph
    signature_name: bool = True  # a typed name in the signature cells
    standard: bool = False  # the standard's own layout, exactly
    forms: int = 1  # forms in one file
    age_mismatch: bool = False  # 年龄 written that disagrees with 出生年月
    title: bool = True  # the form's title printed at the top
    wide_digits: bool = False  # dates and numbers typed in full-width digits (２０２３)
    blanks: bool = False  # values typed on underlines (王建国＿＿＿)
    extra_rows: bool = False  # rows the standard has not (个案编号, 备注)

    @property
    def tags(self) -> list[str]:
        """The variations this variant shows, for figures by kind."""
        if self.standard:
            return ["standard"]
        out = [f"tick:{self.tick}" + (f"/{self.fmt}" if self.tick == "format" else ""),
               f"label:{self.label}", f"date:{DATES[self.date]}", f"layout:{self.layout}"]
        if self.headings:
            out.append("headings")
        if self.forms > 1:
            out.append("several forms")
        out += [name for name in ("wide_digits", "blanks", "extra_rows") if getattr(self, name)]
        if not self.title:
            out.append("no title")
        return out


def random_variant(rng: random.Random) -> Variant:
    """A random office's way of typing."""
    return Variant(
        tick=rng.choice(TICKS), fmt=rng.choice(FORMATS), label=rng.choice(LABELS),
        date=rng.randrange(len(DATES)), month=rng.randrange(len(MONTHS)),
        ordinal=rng.randrange(len(ORDINALS)), layout=rng.choice(LAYOUTS),
        goals=rng.choice(GOALS), headings=rng.random() < 0.3, multi_note=rng.random() < 0.7,
        category_above=rng.random() < 0.3, signature_name=rng.random() < 0.8,
        forms=1 if rng.random() < 0.85 else rng.choice((2, 3)),
        age_mismatch=rng.random() < 0.05, title=rng.random() < 0.9,
        wide_digits=rng.random() < 0.1, blanks=rng.random() < 0.15,
        extra_rows=rng.random() < 0.2)


STANDARD = Variant(standard=True)


# --- the data --------------------------------------------------------------------------------

def _name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.sample(_GIVEN, rng.choice((1, 2))))


def _text(rng: random.Random, lines: int = 1) -> str:
    return "\n".join("，".join(rng.sample(_PHRASES, rng.choice((1, 2)))) + "。"
                     for _ in range(lines))


def _day(rng: random.Random, year: int | None = None) -> str:
    return f"{year or rng.randrange(2015, 2025)}-{rng.randrange(1, 13):02d}-" \
           f"{rng.randrange(1, 29):02d}"


def _choice(f: Field, rng: random.Random, data: dict[str, Any]) -> Any:
    if f.kind is Kind.ONE_OF:
        chosen = [rng.choice(f.options)]
    else:
        chosen = rng.sample(f.options, rng.randrange(1, min(4, len(f.options)) + 1))
        chosen.sort(key=list(f.options).index)
    for o in chosen:
        if o.note:
            data[o.note] = rng.choice(_PLACES) if f.name == "place" else rng.choice(
                ("协助查阅审批材料", "潮汕话", "与兄弟同住", "分居", "社区网格员转介"))
    texts = [o.text for o in chosen]
    return texts[0] if f.kind is Kind.ONE_OF else texts


def random_data(code: str, rng: random.Random) -> dict[str, Any]:
    """Valid data of annex ``code``, as a typed file can hold it (no pictures)."""
    annex = ANNEXES[code]
    data: dict[str, Any] = {}
    for f in annex:
        if f.reviewer_only and rng.random() < 0.4:
            continue
        if not f.required and f.kind is not Kind.SIGNATURE and rng.random() < 0.15:
            continue
        match f.kind:
            case Kind.TEXT:
                data[f.name] = (rng.choice(("男", "女")) if f.name == "gender" else
                                _name(rng) if f.name in ("client_name", "worker",
                                                         "interviewee") else
                                rng.choice(("本人", "妻子", "儿子")) if f.name == "relation"
                                else rng.choice(_PLACES) + str(rng.randrange(1, 99)) + "号")
            case Kind.PHONE:
                data[f.name] = "13" + "".join(str(rng.randrange(10)) for _ in range(9))
            case Kind.LONGTEXT:
                data[f.name] = _text(rng, rng.choice((1, 1, 2, 3)))
            case Kind.DATE:
                data[f.name] = _day(rng)
            case Kind.YEAR_MONTH:
                data[f.name] = f"{rng.randrange(1940, 2000)}-{rng.randrange(1, 13):02d}"
            case Kind.TIME:
                h = rng.randrange(8, 17)
                data[f.name] = f"{h:02d}:{rng.choice((0, 30)):02d}-{h + 1:02d}:00"
            case Kind.ORDINAL:
                data[f.name] = rng.randrange(1, 13)
            case Kind.ONE_OF | Kind.ANY_OF:
                data[f.name] = _choice(f, rng, data)
            case Kind.SIGNATURE:
                data[f.name] = {"date": _day(rng)}
                if f.with_remark:
                    data[f.name]["remark"] = rng.choice(("同意开案。", "同意，请跟进。"))
            case Kind.TABLE:
                data[f.name] = [{"seq": n + 1, "goal": rng.choice(_PHRASES[15:17]) + str(n + 1),
                                 "status": rng.choice(_PHRASES[17:19]),
                                 "remark": rng.choice(("", "", "协调会2次"))}
                                for n in range(rng.randrange(1, 5))]
    for f in annex:  # dates in order, age from the birth month, a transfer's reason
        if f.kind is Kind.INTEGER and f.derived_from:
            birth, on = (data.get(n) for n in f.derived_from)
            age = age_at(birth, on) if birth and on else None
            if age is not None:
                data[f.name] = age
            else:
                data.pop(f.name, None)
    if code == "D":
        if data["closed_on"] < data["opened_on"]:
            data["opened_on"], data["closed_on"] = data["closed_on"], data["opened_on"]
        if data.get("category") != "个案转介":
            data.pop("transfer_reason", None)
            data.pop("transfer_reason_other", None)
        elif "transfer_reason" not in data:
            data["transfer_reason"] = "社工的工作变动"
    return data


# --- the writing -----------------------------------------------------------------------------

Run = tuple[str, str, str]  # (kind "text"|"xml", text, format)


_WIDE = str.maketrans("0123456789", "０１２３４５６７８９")


def _date(iso: str, v: Variant) -> str:
    y, m, d = (int(x) for x in iso.split("-"))
    style = DATES[0] if v.standard else DATES[v.date]
    text = style.format(y=y, m=m, d=d, yy=y % 100, cy=_cdigits(y), cm=_cmonth(m),
                        cd=chinese_number(d))
    return text.translate(_WIDE) if v.wide_digits and not v.standard else text


def _month(ym: str, v: Variant) -> str:
    y, m = (int(x) for x in ym.split("-"))
    style = MONTHS[0] if v.standard else MONTHS[v.month]
    return style.format(y=y, m=m, cy=_cdigits(y), cm=_cmonth(m))


def _label(f: Field | str, v: Variant) -> str:
    text = f if isinstance(f, str) else f.label
    if isinstance(f, Field) and f.sub_label and (v.standard or v.multi_note):
        text += "（可多选）"
    if v.standard:
        return text
    match v.label:
        case "colon_full":
            return text + "："
        case "colon_half":
            return text + ":"
        case "asterisk":
            return text + "*"
        case "asterisk_colon":
            return "*" + text + "："
        case "spaced" | "spaced_colon":
            shown = " ".join(text) if len(text) <= 5 else text
            return shown + ("：" if v.label == "spaced_colon" else "")
    return text


def _sym(font: str, char: str) -> str:
    return f'<w:r {nsdecls("w")}><w:sym w:font="{font}" w:char="{char}"/></w:r>'


def _font_run(font: str, text: str) -> str:
    return (f'<w:r {nsdecls("w")}><w:rPr><w:rFonts w:ascii="{font}" w:hAnsi="{font}"/>'
            f'</w:rPr><w:t>{text}</w:t></w:r>')


def _box(on: bool, v: Variant, n: int) -> Run | None:
    """The run of a box before its option, or None when the style marks after the option."""
    match v.tick:
        case "glyph":
            return ("text", "☑" if on else "☐", "")
        case "glyph_variants":
            return ("text", ("☑", "☒", "■", "✓", "✔", "√")[n % 6] if on else ("□", "☐")[n % 2],
                    "")
        case "wingdings":
            return ("xml", _sym("Wingdings", "F0FE" if on else "F0A8"), "")
        case "wingdings2":
            return ("xml", _sym("Wingdings 2", "F052" if on else "F0A3"), "")
        case "wingdings_text":
            return ("xml", _font_run("Wingdings", "þ" if on else "¨"), "")
        case "symbol_font":
            return ("xml", _font_run("Symbol", "Ö") if on else _font_run("Wingdings", "o"), "")
        case "webdings":
            return ("xml", _font_run("Webdings", "a") if on else _font_run("Wingdings", "¨"),
                    "")
        case "content_control":
            return ("xml", f'<w:sdt {nsdecls("w")} {W14}><w:sdtPr><w14:checkbox><w14:checked '
                    f'w14:val="{1 if on else 0}"/></w14:checkbox></w:sdtPr><w:sdtContent>'
                    f'<w:r><w:t>{"☒" if on else "☐"}</w:t></w:r></w:sdtContent></w:sdt>', "")
        case "form_field":  # a legacy FORMCHECKBOX field, begin to end
            return ("xml", f'<w:r {nsdecls("w")}><w:fldChar w:fldCharType="begin"><w:ffData>'
                    f'<w:name w:val="Check{n}"/><w:enabled/><w:checkBox><w:sizeAuto/>'
                    f'<w:default w:val="{1 if on else 0}"/></w:checkBox></w:ffData>'
                    f'</w:fldChar></w:r>|<w:r {nsdecls("w")}><w:instrText xml:space="preserve">'
                    f' FORMCHECKBOX </w:instrText></w:r>|<w:r {nsdecls("w")}>'
                    f'<w:fldChar w:fldCharType="end"/></w:r>', "")
        case "bracket_before":
            return ("text", ("（√）" if n % 2 else "(√)") if on else ("（  ）" if n % 2 else
                                                                       "( )"), "")
    return None


def _after(on: bool, v: Variant, n: int) -> str:
    match v.tick:
        case "after":
            return "√" if on else ""
        case "after_spaced":
            return " √" if on else ""
        case "after_loose":  # as near to the next option as to its own: unsure, flagged
            return " √" if on else ""
        case "bracket_after":
            return ("（√）" if n % 2 else "(√)") if on else ("（ ）" if n % 2 else "( )")
        case "square_bracket":
            return "[√]" if on else "[ ]"
    return ""


def _choice_runs(f: Field, data: dict[str, Any], v: Variant) -> list[Run]:
    value = data.get(f.name)
    ticked = set(value) if isinstance(value, list) else {value}
    runs: list[Run] = []
    gap = " " if v.tick == "after_loose" else "　" if v.standard or v.tick != "after_spaced" \
        else "   "
    for n, option in enumerate(f.options):
        on = option.text in ticked
        if n:
            runs.append(("text", gap, ""))
        box = _box(on, v, n)
        if box:
            runs.append(box)
        fmt = v.fmt if v.tick == "format" and on else ""
        runs.append(("text", option.text, fmt))
        runs.append(("text", _after(on, v, n), ""))
        if option.note:
            written = data.get(option.note, "") if on else ""
            runs.append(("text", option.cue + (written or "____"), fmt if written else ""))
    return runs


def _signature_text(f: Field, data: dict[str, Any], v: Variant, name: str) -> list[Run]:
    value = data.get(f.name) or {}
    if not value:
        return []
    parts = [value.get("remark", ""), name if v.signature_name else "",
             "" if f.date_label else _date(value["date"], v)]
    return [("text", " ".join(p for p in parts if p), "")]


def _value_runs(f: Field, data: dict[str, Any], v: Variant, names: dict[str, str]
                ) -> list[Run]:
    value = data.get(f.name)
    if f.is_choice:
        return _choice_runs(f, data, v)
    if f.kind is Kind.SIGNATURE:
        return _signature_text(f, data, v, names.get(f.name, ""))
    if value in (None, "", [], {}):
        return []
    match f.kind:
        case Kind.DATE:
            return [("text", _date(value, v), "")]
        case Kind.YEAR_MONTH:
            return [("text", _month(value, v), "")]
        case Kind.ORDINAL:
            style = "第 {n} 次" if v.standard else ORDINALS[v.ordinal]
            return [("text", style.format(n=value, cn=chinese_number(value)), "")]
        case Kind.INTEGER if f.derived_from and v.age_mismatch:
            return [("text", f"{value + 3}岁", "")]
        case Kind.TEXT | Kind.PHONE if v.blanks and not v.standard:
            return [("text", f"{value}＿＿＿＿", "")]
    return [("text", str(value), "")]


@dataclass
class Sink:
    """A python-docx document being written, with helpers for runs and tables."""

    doc: Any

    def runs(self, paragraph: Any, runs: list[Run]) -> None:
        for kind, text, fmt in runs:
            if kind == "xml":
                for part in text.split("|"):
                    paragraph._p.append(parse_xml(part))
                continue
            for n, line in enumerate(text.split("\n")):
                if n:
                    paragraph.add_run().add_break()
                if not line:
                    continue
                run = paragraph.add_run(line)
                _format(run, fmt)

    def cell(self, cell: Any, runs: list[Run]) -> None:
        self.runs(cell.paragraphs[0], runs)

    def paragraph(self, runs: list[Run] | str) -> None:
        p = self.doc.add_paragraph()
        self.runs(p, [("text", runs, "")] if isinstance(runs, str) else runs)


def _format(run: Any, fmt: str) -> None:
    match fmt:
        case "bold":
            run.bold = True
        case "underline":
            run.underline = True
        case "highlight":
            run.font.highlight_color = WD_COLOR_INDEX.YELLOW
        case "colour":
            run.font.color.rgb = RGBColor(0xFF, 0, 0)
        case "shading":
            shd = parse_xml(f'<w:shd {nsdecls("w")} w:val="clear" w:color="auto" '
                            f'w:fill="D9D9D9"/>')
            run._r.get_or_add_rPr().append(shd)


def _pieces(f: Field, data: dict[str, Any], v: Variant, names: dict[str, str]
            ) -> list[tuple[str, list[Run]]]:
    """(label, value runs) of a field; a signature's date label is a piece of its own."""
    if f.kind is Kind.SIGNATURE and f.date_label:
        sig = data.get(f.name) or {}
        name = names.get(f.name, "") if v.signature_name and sig else ""
        return [(_label(f, v), [("text", name, "")] if name else []),
                (_label(f.date_label, v), [("text", _date(sig["date"], v), "")] if sig
                 else [])]
    return [(_label(f, v), _value_runs(f, data, v, names))]


def _heading(n: int) -> str:
    return chinese_number(n) + "、"


def _goal_rows(f: Field, data: dict[str, Any], v: Variant) -> tuple[list[str], list[list[str]]]:
    columns = [c for c in f.columns]
    if v.goals == "swapped":
        columns = [columns[0], columns[2], columns[1], columns[3]]
    if v.goals == "no_seq":
        columns = columns[1:]
    titles = [c.label for c in columns]
    rows = [[str(g.get(c.name, "")) for c in columns] for g in data.get(f.name, [])]
    if v.goals == "extra_column":
        titles.insert(2, "完成时间")
        for r in rows:
            r.insert(2, "2024年")
    return titles, rows


def _write_goals(sink: Sink, f: Field, data: dict[str, Any], v: Variant) -> None:
    if v.goals == "numbered_list" and not v.standard:
        sink.paragraph(_label(f, v))
        for g in data.get(f.name, []):
            remark = f"（{g['remark']}）" if g.get("remark") else ""
            sink.paragraph(f"{g['seq']}. {g['goal']}：{g['status']}{remark}")
        return
    titles, rows = _goal_rows(f, data, v if not v.standard else STANDARD)
    table = sink.doc.add_table(rows=1 + max(len(rows), 2), cols=1 + len(titles))
    table.style = "Table Grid"
    for i, t in enumerate(titles):
        table.cell(0, i + 1).text = t
    for r, row in enumerate(rows, start=1):
        for i, text in enumerate(row):
            table.cell(r, i + 1).text = text
    merged = table.cell(0, 0).merge(table.cell(len(table.rows) - 1, 0))
    merged.text = _label(f, v)


def rng_code(annex: Annex) -> str:
    """A case number as offices number their files."""
    return f"{annex.code}{len(annex.fields):03d}"


def _write_form(sink: Sink, annex: Annex, data: dict[str, Any], v: Variant,
                names: dict[str, str]) -> None:
    if v.title or v.standard or v.forms > 1:  # several forms in a file each have a title
        sink.paragraph(annex.title)
    heading_no = 0
    if v.extra_rows and not v.standard:
        table = sink.doc.add_table(rows=1, cols=4)
        table.style = "Table Grid"
        for i, text in enumerate(("个案编号", f"GZ-{rng_code(annex)}", "档案号", "2023-001")):
            table.cell(0, i).text = text
    for section in annex.sections:
        if section.heading:
            sink.paragraph(section.heading)
        for row in section.rows:
            fields = [annex[name] for name in row]
            if fields[0].kind is Kind.TABLE:
                _write_goals(sink, fields[0], data, v)
                continue
            if (not v.standard and v.category_above and fields[0].name == "category"):
                sink.paragraph([("text", _label(fields[0], v) + " ", ""),
                                *_value_runs(fields[0], data, v, names)])
                continue
            long = [f for f in fields if f.kind is Kind.LONGTEXT]
            if not v.standard and v.headings and long and len(fields) == 1:
                heading_no += 1
                sink.paragraph(_heading(heading_no) + fields[0].label)
                value = data.get(fields[0].name, "")
                for line in str(value).split("\n") if value else []:
                    sink.paragraph(line)
                continue
            pieces = [p for f in fields if f.kind is not Kind.IMAGE
                      for p in _pieces(f, data, v, names)]
            if not pieces:
                continue
            layout = "beside" if v.standard else v.layout
            if layout == "paragraphs":
                runs: list[Run] = []
                for label, value in pieces:
                    sep = "" if label.endswith(("：", ":")) else "："
                    runs += [("text", label + sep, ""), *value, ("text", "　　", "")]
                sink.paragraph(runs)
                continue
            if layout == "one_cell":
                table = sink.doc.add_table(rows=1, cols=1)
                table.style = "Table Grid"
                runs = []
                for label, value in pieces:
                    sep = "" if label.endswith(("：", ":")) else "："
                    runs += [("text", label + sep, ""), *value, ("text", "　　", "")]
                sink.cell(table.cell(0, 0), runs)
                continue
            below = layout == "below"
            table = sink.doc.add_table(rows=2 if below else 1,
                                       cols=len(pieces) if below else 2 * len(pieces))
            table.style = "Table Grid"
            for i, (label, value) in enumerate(pieces):
                if below:
                    table.cell(0, i).text = label
                    sink.cell(table.cell(1, i), value)
                else:
                    table.cell(0, 2 * i).text = label
                    sink.cell(table.cell(0, 2 * i + 1), value)


@dataclass(frozen=True)
class Sample:
    """One generated file: its bytes, the forms it holds (annex, truth) and how it was typed."""

    name: str
    content: bytes
    forms: tuple[tuple[str, dict[str, Any]], ...]
    variant: Variant


def truth(code: str, data: dict[str, Any], v: Variant, names: dict[str, str]
          ) -> dict[str, Any]:
    """What a right reading of the form holds: the data, with the typed signature names."""
    out = {k: (dict(x) if isinstance(x, dict) else x) for k, x in data.items()}
    for key, name in names.items():
        if v.signature_name and out.get(key):
            out[key]["name"] = name
    for f in ANNEXES[code]:
        if f.kind is Kind.INTEGER and f.derived_from and v.age_mismatch and f.name in out:
            out[f.name] += 3  # written as it stood, the disagreement flagged
    return out


def make_sample(n: int, rng: random.Random, variant: Variant | None = None,
                codes: tuple[str, ...] | None = None) -> Sample:
    """File ``n`` of a corpus: one or more forms typed the way ``variant`` says."""
    v = variant or random_variant(rng)
    document = Document()
    sink = Sink(document)
    forms = []
    codes = codes or tuple(rng.choice("BCD") for _ in range(v.forms))
    for i, code in enumerate(codes):
        if i:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        annex = ANNEXES[code]
        data = random_data(code, rng)
        names = {f.name: _name(rng) for f in annex if f.kind is Kind.SIGNATURE}
        _write_form(sink, annex, data, v, names)
        forms.append((code, truth(code, data, v, names)))
    out = io.BytesIO()
    document.save(out)
    return Sample(f"{n:04d}-{'+'.join(codes)}.docx", out.getvalue(), tuple(forms), v)


def corpus(count: int, seed: int = 11, *, standard_share: float = 0.2) -> list[Sample]:
    """``count`` files; about ``standard_share`` of them in the standard's own layout."""
    rng = random.Random(seed)
    out = []
    for n in range(count):
        variant = STANDARD if rng.random() < standard_share else None
        out.append(make_sample(n, rng, variant))
    return out


def odd_variant(v: Variant, **changes: Any) -> Variant:
    """``v`` with some choices changed (for tests that pin one variation)."""
    return replace(v, **changes)


__all__ = ["DATES", "LAYOUTS", "STANDARD", "TICKS", "Sample", "Variant", "chinese_number",
           "corpus", "make_sample", "odd_variant", "qn", "random_data", "random_variant",
           "truth"]


# --- registers (one case a row) ----------------------------------------------------------

def _synonym_of(field_key: str, option: str, rng: random.Random) -> str:
    """A word offices write for ``option`` (from the service's default synonyms), or itself."""
    from service.imports.synonyms import DEFAULT

    words = [w for w, o in DEFAULT.get(field_key, {}).items() if o == option and w != "*"]
    return rng.choice(words) if words and rng.random() < 0.6 else option


def _register_value(f: Field, data: dict[str, Any], v: Variant, rng: random.Random,
                    names: dict[str, str]) -> str | Any:
    value = data.get(f.name)
    if f.is_choice:
        chosen = value if isinstance(value, list) else [value] if value else []
        if f.name == "place" and chosen == ["其他"] and data.get("place_other"):
            return data["place_other"]  # a place name: 其他 by the synonyms' rule
        return rng.choice(("、", "，", ";")).join(_synonym_of(f.name, o, rng) for o in chosen)
    if f.kind is Kind.SIGNATURE:  # a register keeps the name and the date in one cell
        return " ".join(p for p in (value.get("remark", ""), names.get(f.name, ""),
                                    _date(value["date"], v)) if p) if value else ""
    if f.kind is Kind.DATE and value and rng.random() < 0.3:
        import datetime as dt

        return dt.date.fromisoformat(value)  # a real date cell
    runs = _value_runs(f, data, v, names)
    return "".join(r[1] for r in runs)


def make_register(n: int, rng: random.Random, code: str, rows: int = 12) -> Sample:
    """An XLSX register of annex ``code``: a title, a header of dressed labels, a row a form."""
    from openpyxl import Workbook

    annex = ANNEXES[code]
    v = random_variant(rng)
    fields = [f for f in annex if f.kind not in (Kind.IMAGE, Kind.TABLE)]
    book = Workbook()
    sheet = book.active
    sheet.append([annex.title])
    header = []
    for f in fields:
        header.append(_label(f.label, v).strip())
        for o in f.notes:
            header.append(rng.choice((f"{f.label}（{o.text}）", f"{f.label}{o.text}",
                                      o.note or "")))
    sheet.append(header)
    forms = []
    for _ in range(rows):
        data = random_data(code, rng)
        names = {f.name: _name(rng) for f in annex if f.kind is Kind.SIGNATURE}
        row: list[Any] = []
        for f in fields:
            row.append(_register_value(f, data, v, rng, names))
            for o in f.notes:
                place_name = f.name == "place" and data.get(f.name) == "其他"
                row.append("" if place_name else data.get(o.note or "", ""))
        sheet.append(row)
        truth_data = {k: x for k, x in data.items() if k != "goals"}
        forms.append((code, truth(code, truth_data, replace(v, signature_name=True), names)))
    out = io.BytesIO()
    book.save(out)
    return Sample(f"{n:04d}-register-{code}.xlsx", out.getvalue(), tuple(forms), v)
