"""From the cells of a form as typed (a Word table, paragraphs) to the data of its annex.

A label is found wherever the declaration's text stands, spaced out or not, with either width of
punctuation; its value is the text after it in the same cell, else the cell beside it, else the
cell below it. Several labels may share a cell. Annex D's goal table is found by its column
titles. What cannot be placed is said, never dropped silently.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..annexes import ANNEXES, Annex, Field, Kind
from .choices import read_choice
from .evidence import Evidence
from .labels import FIELD, IGNORE, SIGNATURE_DATE, LabelIndex, build_index, default_index
from .labels import detect_annex as _detect
from .reading import ImportFailure, Reading, conclude
from .synonyms import Synonyms
from .text import (
    MARKS,
    find_date,
    fold,
    parse_date,
    parse_integer,
    parse_time,
    parse_year_month,
    plain,
    squeeze,
    strip_value,
)

_COLON = re.compile(r"\s*[:]")
_SHORT_LABEL = 12


@dataclass
class Cell:
    """One cell as laid out: its table (or paragraph) block, row, grid column and text."""

    block: int
    row: int
    col: int
    span: int
    text: str
    folded: str = ""
    segments: list[tuple[str, Any, str]] = field(default_factory=list)
    free: str = ""  # text before the first label
    used: bool = False
    where: str = ""  # how the report names the cell ("table 1, row 3, cell 2", "paragraph 4")
    original: str = ""  # the text as it stood in the file, before hints were blanked

    def __post_init__(self) -> None:
        if not self.original:
            self.original = plain(self.text)
        if not self.where:
            if self.block % 2:
                self.where = (f"table {(self.block + 1) // 2}, row {self.row + 1}, "
                              f"cell {self.col + 1}")
            else:
                self.where = f"paragraph {self.row + 1} after table {self.block // 2}" \
                    if self.block else f"paragraph {self.row + 1}"

    @property
    def has_labels(self) -> bool:
        return bool(self.segments)


def detect_annex(cells: Sequence[Cell]) -> str | None:
    """Which annex these cells are, from the title or the labels."""
    return _detect(c.text for c in cells)


#: Notes and marks printed beside a label that say nothing of the value: (可多选), (必填), *.
_LABEL_NOTES = re.compile(r"[(\[]\s*(?:可\s*多\s*选|多\s*选|单\s*选|必\s*填|选\s*填|"
                          r"可\s*单\s*选|限\s*选\s*一\s*项)\s*[)\]]|(?<!\d)\*+|\*+(?!\d)")
#: The numbering of a heading in front of a label: 三、 (三) 3、 3. 第三部分
_NUMBERING = re.compile(r"\s*(?:[一二三四五六七八九十]{1,3}\s*[、.]|[(][一二三四五六七八九十\d]{1,3}[)]"
                        r"|\d{1,2}\s*[、.](?!\d)|第[一二三四五六七八九十]{1,3}部分\s*[:、]?)\s*")


def _blank(cell: Cell, start: int, end: int) -> None:
    cell.text = cell.text[:start] + " " * (end - start) + cell.text[end:]
    cell.folded = cell.folded[:start] + " " * (end - start) + cell.folded[end:]


def _blank_hints(cell: Cell, index: LabelIndex) -> None:
    cell.folded = fold(cell.text)
    for m in _LABEL_NOTES.finditer(cell.folded):
        _blank(cell, *m.span())
    if index.hints is None:
        return
    for m in index.hints.finditer(cell.folded):
        _blank(cell, *m.span())


def _accepts(folded: str, start: int, end: int, key: str) -> bool:
    """Whether a label found at ``start:end`` stands as a label, not inside a sentence."""
    before = folded[:start]
    after = folded[end:]
    line_start = before.rfind("\n") + 1
    if _NUMBERING.fullmatch(before[line_start:]) and (
            not after.strip() or _COLON.match(after) or after[:1] == "\n"):
        return True
    if not before.strip(" \t\n:;,|"):
        nxt = after[:1]
        return (len(key) >= 4 or not nxt or nxt.isspace() or nxt in ":(" + MARKS
                or not (nxt.isalnum()))
    if not (before[-1].isspace() or before[-1] in ",;|" + MARKS):
        return False
    return bool(_COLON.match(after)) or not after.strip()


def _segment(cell: Cell, index: LabelIndex) -> None:
    """Split a cell into the text before any label and (target, label, value) segments."""
    found: list[tuple[int, int, str, Any]] = []
    for m in index.pattern.finditer(cell.folded):
        key, target = index.target(m)
        if _accepts(cell.folded, m.start(), m.end(), key):
            found.append((m.start(), m.end(), key, target))
    if not found:
        cell.free = cell.text
        return
    cell.free = cell.text[:found[0][0]]
    for n, (_, end, key, target) in enumerate(found):
        stop = found[n + 1][0] if n + 1 < len(found) else len(cell.text)
        value = cell.text[end:stop]
        colon = _COLON.match(fold(value))
        value = value[colon.end():] if colon else value
        cell.segments.append((key, target, value))


class _Rows:
    """Cells by (block, row), for finding the cell beside or below another."""

    def __init__(self, cells: Sequence[Cell]) -> None:
        self.rows: dict[tuple[int, int], list[Cell]] = {}
        for c in cells:
            self.rows.setdefault((c.block, c.row), []).append(c)

    def beside(self, cell: Cell) -> Cell | None:
        row = self.rows[(cell.block, cell.row)]
        later = [c for c in row if c.col > cell.col]
        return later[0] if later else None

    def below(self, cell: Cell) -> Cell | None:
        for c in self.rows.get((cell.block, cell.row + 1), []):
            if c.col <= cell.col < c.col + c.span:
                return c
        return None


def _value_cell(cell: Cell, rows: _Rows) -> Cell | None:
    """The cell that holds the value of a label standing alone at the end of ``cell``."""
    beside = rows.beside(cell)
    if beside is not None and not beside.has_labels and not beside.used:
        return beside
    if beside is not None and not beside.has_labels:
        return None
    below = rows.below(cell)
    if below is not None and not below.has_labels and not below.used:
        return below
    return None


def _heading_like(text: str) -> bool:
    """A line that reads as a heading of its own (三、其他情况), not as part of a value."""
    m = _NUMBERING.match(fold(text))
    return bool(m and m.end() and len(squeeze(text[m.end():])) <= _SHORT_LABEL)


def _following_lines(first: Cell, rows: _Rows, value: str) -> tuple[str, Cell]:
    """A value of several paragraphs under a heading: the lines up to the next label."""
    if first.block % 2 or _heading_like(first.text):
        return value, first
    lines = [value]
    row = first.row + 1
    last = first
    while (first.block, row) in rows.rows:
        [nxt, *_] = rows.rows[(first.block, row)]
        if nxt.has_labels or nxt.used or _heading_like(nxt.text):
            break
        nxt.used = True
        lines.append(nxt.text)
        last = nxt
        row += 1
    if last is first:
        return value, first
    where = f"{first.where} to {last.where.split(' after ')[0]}"
    return "\n".join(lines), Cell(first.block, first.row, 0, 1, "\n".join(lines),
                                  where=where)


class _Builder:
    """Collects the values of one form while the cells are walked."""

    def __init__(self, annex: Annex, synonyms: Synonyms | None = None) -> None:
        self.annex = annex
        self.synonyms = synonyms
        self.data: dict[str, Any] = {}
        self.warnings: list[str] = []
        self.unmapped: dict[str, str] = {}
        self.last_signature: Field | None = None
        self.evidence: list[Evidence] = []

    def note(self, key: str, value: Any, cell: Cell | None, *, reason: str = "",
             how: str = "") -> None:
        """Record where ``key``'s value came from: flagged when there is a ``reason``;
        ``how`` says how a value not written as printed was read (not a doubt)."""
        confidence = 0.5 if reason else 0.95 if how else 1.0
        self.evidence.append(Evidence(
            key, value, confidence, bool(reason), cell.where if cell else "",
            reason or how, (cell.original if cell else "")[:200]))

    def put(self, f: Field, raw: str, cell: Cell | None = None) -> None:
        how: list[str] = []
        value, notes, warnings = convert(f, raw, self.synonyms, how)
        self.warnings.extend(warnings)
        if f.kind is Kind.SIGNATURE:
            self.last_signature = f
        if value in (None, "", [], {}) and not notes:
            if warnings:
                self.note(f.name, strip_value(raw), cell, reason="; ".join(warnings))
            return
        old = self.data.get(f.name)
        if old not in (None, "", [], {}) and old != value:
            message = f"{f.label}: written twice ({_show(old)} / {_show(value)}); the first is kept"
            self.warnings.append(message)
            self.note(f.name, old, cell, reason=message)
            return
        self.data[f.name] = value
        self.data.update(notes)
        self.note(f.name, value, cell, reason="; ".join(warnings), how="; ".join(how))
        for key, text in notes.items():
            self.note(key, text, cell, how="; ".join(how))

    def put_signature_date(self, raw: str, cell: Cell | None = None) -> None:
        f = self.last_signature
        if f is None:
            return
        found = find_date(raw)
        if found:
            self.data.setdefault(f.name, {})["date"] = found[0]
            self.note(f"{f.name}.date", found[0], cell)
        elif strip_value(raw):
            message = f"{f.date_label or f.label}: {strip_value(raw)} is not a date"
            self.warnings.append(message)
            self.note(f"{f.name}.date", strip_value(raw), cell, reason=message)


def _show(value: Any) -> str:
    return "、".join(value) if isinstance(value, list) else str(value)


def convert(f: Field, raw: str, synonyms: Synonyms | None = None,
            how: list[str] | None = None) -> tuple[Any, dict[str, str], list[str]]:
    """The value of ``f`` from the text written for it, with write-ins and warnings; how a
    value not written as printed was read is added to ``how``."""
    if f.is_choice:
        choice = read_choice(f, raw, synonyms)
        if choice.via and how is not None:
            how.append(choice.via)
        return choice.value, choice.notes, choice.warnings
    raw = plain(raw)
    text = strip_value(raw) if f.kind is not Kind.LONGTEXT else raw.strip(" \t\n\u3000:：")
    text = re.sub(r"^[_＿]+|[_＿]+$", "", text).strip()
    if not text:
        return "", {}, []
    match f.kind:
        case Kind.DATE:
            value: Any = parse_date(text)
            if value:
                return value, {}, []
            month = parse_year_month(text)
            if month:
                return "", {}, [f"{f.label}: {text} gives the month ({month}) but no day"]
            return "", {}, [f"{f.label}: {text} is not a date"]
        case Kind.YEAR_MONTH:
            value = parse_year_month(text)
            return ((value, {}, []) if value
                    else ("", {}, [f"{f.label}: {text} is not a year and month"]))
        case Kind.INTEGER | Kind.ORDINAL:
            value = parse_integer(text, prefix=f.prefix, suffix=f.suffix)
            return ((value, {}, []) if value is not None
                    else (None, {}, [f"{f.label}: {text} is not a whole number"]))
        case Kind.TIME:
            return parse_time(text), {}, []
        case Kind.SIGNATURE:
            return _signature(f, text), {}, []
        case Kind.IMAGE | Kind.TABLE:
            return "", {}, []
    return text, {}, []


_NAME = re.compile(r"[\u4e00-\u9fff·•]{2,5}|[A-Za-z][A-Za-z .'-]{1,40}")


def _signature(f: Field, text: str) -> dict[str, str]:
    """A signature cell as typed: its date, a typed name and (for a sign-off) the remark."""
    out: dict[str, str] = {}
    found = find_date(text)
    if found:
        out["date"] = found[0]
        s, e = found[1]
        text = text[:s] + " " + text[e:]
    text = re.sub(r"(?:签\s*名|签\s*字|签\s*署|日\s*期)\s*[:：]", " ", text)
    rest = strip_value(text)
    if not rest:
        return out
    words = rest.split()
    if f.with_remark:
        if len(words) > 1 and _NAME.fullmatch(words[-1]):
            out["name"] = words[-1]
            rest = strip_value(rest[:rest.rfind(words[-1])])
        if rest:
            out["remark"] = rest
    elif _NAME.fullmatch(rest) or len(rest) <= 20:
        out["name"] = rest
    return out


def _title(text: str) -> str:
    return squeeze(text).strip(":")


def _goal_table(cells: Sequence[Cell], index: LabelIndex, rows: _Rows
                ) -> list[tuple[dict[str, Any], dict[str, Cell]]]:
    """Annex D's goal rows (each with the cells it was read from), found under the row of its
    column titles."""
    if not index.columns:
        return []
    goals: list[tuple[dict[str, Any], dict[str, Cell]]] = []
    for (block, row), members in rows.rows.items():
        by_name = {index.columns[_title(c.text)]: c for c in members
                   if _title(c.text) in index.columns}  # the rightmost title wins
        if len(by_name) < 3:
            continue
        titled = {c.col: name for name, c in by_name.items()}
        for c in by_name.values():
            c.used = True
        below = row + 1
        while (block, below) in rows.rows:
            line = rows.rows[(block, below)]
            values = {titled[c.col]: c for c in line if c.col in titled}
            wide = any(sum(1 for col in titled if c.col <= col < c.col + c.span) > 1
                       for c in line)
            if not values or wide or any(c.has_labels for c in line):
                break
            goals.append(({name: strip_value(plain(c.text)) for name, c in values.items()},
                          values))
            for c in values.values():
                c.used = True
            below += 1
        break
    for g, _ in goals:
        if "seq" in g:
            g["seq"] = parse_integer(g["seq"]) if g["seq"] else None
    return [(g, c) for g, c in goals if any(v for k, v in g.items() if k != "seq")]


_LIST_ITEM = re.compile(r"\s*(\d{1,2})\s*[.、)]\s*(.+?)\s*(?:[:]\s*(.*?))?\s*(?:[(]([^()]*)[)])?\s*$")


def _goal_list(cells: Sequence[Cell], index: LabelIndex, rows: _Rows
               ) -> list[tuple[dict[str, Any], dict[str, Cell]]]:
    """Annex D's goals kept as a numbered list under the table's label: ``1. goal：status``
    (a remark in brackets)."""
    table = next((f for f in index.annex if f.kind is Kind.TABLE), None)
    if table is None:
        return []
    names = {c.name for c in table.columns}
    for cell in cells:
        if cell.used or cell.block % 2 or not any(
                t.kind == FIELD and t.name == table.name and not strip_value(v)
                for _, t, v in cell.segments):
            continue
        goals: list[tuple[dict[str, Any], dict[str, Cell]]] = []
        row = cell.row + 1
        while (cell.block, row) in rows.rows:
            [line, *_] = rows.rows[(cell.block, row)]
            m = _LIST_ITEM.fullmatch(fold(plain(line.text)))
            if line.has_labels or not m:
                break
            text = plain(line.text)
            goal = {"seq": int(m[1]), "goal": strip_value(text[m.start(2):m.end(2)])}
            if m[3] is not None and "status" in names:
                goal["status"] = strip_value(text[m.start(3):m.end(3)])
            if m[4] and "remark" in names:
                goal["remark"] = strip_value(text[m.start(4):m.end(4)])
            line.used = True
            goals.append((goal, dict.fromkeys(goal, line)))
            row += 1
        if goals:
            cell.used = True
            return goals
    return []


def _leftovers(cells: Sequence[Cell], rows: _Rows, out: _Builder) -> None:
    """Say what was not placed: unrecognised labels (kept for a mapping) and stray text."""
    for cell in cells:
        if cell.used or cell.has_labels or not strip_value(cell.free):
            continue
        text = strip_value(plain(cell.free))
        head, sep, tail = fold(text).partition(":")
        if sep and 0 < len(squeeze(head)) <= _SHORT_LABEL and not any(m in head for m in MARKS):
            label = strip_value(text[:len(head)])
            out.unmapped[label] = strip_value(text[len(head) + 1:])
            out.warnings.append(f"label not recognised: {label}")
            continue
        beside = rows.beside(cell)
        if (len(squeeze(text)) <= _SHORT_LABEL and not any(m in text for m in MARKS)
                and not re.search(r"\d", text) and beside is not None and not beside.used
                and not beside.has_labels):
            out.unmapped[text] = strip_value(plain(beside.text))
            out.warnings.append(f"label not recognised: {text}")
            beside.used = True
            continue
        out.warnings.append(f"text not placed in any field: {text[:40]}")


def read_cells(cells: Sequence[Cell], name: str, *, annex: str | None = None,
               aliases: Mapping[str, str] | None = None,
               synonyms: Synonyms | None = None) -> Reading:
    """Read the form laid out in ``cells``.

    ``annex`` forces the annex (else it is recognised); ``aliases`` maps labels a reviewer
    has identified to field names. Raises :class:`ImportFailure` when the cells are no annex.
    """
    code = annex or detect_annex(cells)
    if code is None:
        raise ImportFailure("not recognised as Annex B, C or D (no title, too few labels)")
    index = build_index(ANNEXES[code], aliases) if aliases else default_index(code)
    for cell in cells:
        _blank_hints(cell, index)
        _segment(cell, index)
    rows = _Rows(cells)
    out = _Builder(ANNEXES[code], synonyms)
    goals = _goal_table(cells, index, rows) or _goal_list(cells, index, rows)
    for cell in cells:
        if cell.used:
            continue
        cell.used = cell.has_labels
        for n, (_, target, value) in enumerate(cell.segments):
            last = n == len(cell.segments) - 1
            if target.kind == IGNORE:
                continue
            source = cell
            if not strip_value(value) and last:
                holder = _value_cell(cell, rows)
                if holder is not None:
                    holder.used = True
                    value = holder.text
                    source = holder
                    if target.kind == FIELD and out.annex[target.name].kind is Kind.LONGTEXT:
                        value, source = _following_lines(holder, rows, value)
            if target.kind == SIGNATURE_DATE:
                out.put_signature_date(value, source)
            elif target.kind == FIELD:
                f = out.annex[target.name]
                if f.kind is Kind.TABLE:
                    continue
                out.put(f, value, source)
    if goals:
        out.data["goals"] = [g for g, _ in goals]
        for n, (goal, members) in enumerate(goals):
            for column, value in goal.items():
                out.note(f"goals.{n}.{column}", value, members.get(column))
    _leftovers(cells, rows, out)
    data, warnings, evidence = conclude(code, out.data, out.warnings, out.evidence)
    return Reading(name=name, annex=code, data=data, warnings=warnings, unmapped=out.unmapped,
                   evidence=evidence)
