"""Reading a row of boxes: which options are ticked, and the write-ins after them.

The text comes with its ticks already decoded into :data:`~.text.TICKED` and
:data:`~.text.EMPTY` marks. Contradictions (two ticks in a one-of row, a write-in beside an
empty box, a tick before no option) are reported, never resolved by guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..annexes import Field, Kind, Option
from .synonyms import DEFAULTS, Synonyms
from .text import (
    EMPTY,
    FORMAT_END,
    FORMAT_MARKS,
    FORMAT_NAMES,
    MARKS,
    TICKED,
    fold,
    plain,
    spaced_pattern,
    squeeze,
    strip_value,
)

_CUE = re.compile(r"^[\s,:;、]*[(]?\s*(?:请\s*)?(?:注\s*明|说\s*明)\s*[)]?\s*[:]?")
_LIST_SPLIT = re.compile(r"[\s,;、|]+")


@dataclass
class Choice:
    """What a row of boxes says: the value, the write-ins and the contradictions found."""

    value: Any
    notes: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    via: str = ""  # how a value not printed as its option was read ("synonym 高中")


@lru_cache(maxsize=256)
def _option_patterns(f: Field) -> tuple[tuple[Option, re.Pattern[str]], ...]:
    ordered = sorted(f.options, key=lambda o: len(squeeze(o.text)), reverse=True)
    return tuple((o, re.compile(r"\s*" + spaced_pattern(o.text))) for o in ordered)


def _match_option(f: Field, text: str) -> tuple[Option, int] | None:
    """The option ``text`` starts with (the longest one), and where its text ends."""
    for option, pattern in _option_patterns(f):
        m = pattern.match(text)
        if m:
            return option, m.end()
    return None


def write_in(option: Option, rest: str) -> str:
    """The write-in typed after ``option``: ``rest`` minus the printed cue and blanks."""
    folded = fold(rest)
    start = 0
    if option.cue:
        m = re.match(r"\s*" + spaced_pattern(option.cue), folded)
        if m:
            start = m.end()
    m = _CUE.match(folded[start:])
    if m and m.end():
        start += m.end()
    return strip_value(rest[start:])


def _unmarked(f: Field, raw: str, synonyms: Synonyms | None = None
              ) -> tuple[list[Option], dict[str, str]]:
    """Options written out as words with no box at all (a typed answer), or a word the
    agency's synonyms map to an option."""
    words = [w for w in _LIST_SPLIT.split(fold(raw).strip()) if w]
    texts = {squeeze(o.text): o for o in f.options}
    if len(words) > 1 and all(squeeze(w) in texts for w in words):
        if len({squeeze(w) for w in words}) == len(f.options):
            return [], {}  # the options printed, none of them marked
        return [texts[squeeze(w)] for w in words], {}
    written = strip_value(raw)
    if written:  # a word the agency's synonyms know comes first: 电话联系 is 电话
        mapped = (synonyms or DEFAULTS).option(f, written)
        option = f.option(mapped[0]) if mapped else None
        exact = _match_option(f, fold(raw))
        if option is not None and mapped is not None and not (
                exact and not strip_value(raw[exact[1]:])):
            return [option], ({option.note: mapped[1]} if option.note and mapped[1] else {})
    found = _match_option(f, fold(raw))
    if not found:
        return [], {}
    option, end = found
    rest = raw[end:]
    if not option.note:
        return ([option], {}) if not strip_value(rest) else ([], {})
    return [option], {option.note: write_in(option, rest)}


_CLOSE = ")]}"
_BRACKETED = re.compile(r"[(\[]\s*([" + MARKS + r"]?)\s*[)\]]")


def _unbracket(raw: str) -> tuple[str, str]:
    """``raw`` and its folded form with bracketed marks as bare marks: (√) [√] as √, ( ) as □.

    The length is kept (the brackets become spaces) so positions still match ``raw``.
    """
    folded = fold(raw)
    out = list(folded)
    text = list(raw)
    for m in _BRACKETED.finditer(folded):
        s, e = m.span()
        mark = m[1] or EMPTY
        for i in range(s, e):
            out[i] = " "
            text[i] = " "
        out[s + 1 if e - s > 2 else s] = mark
        text[s + 1 if e - s > 2 else s] = mark
    return "".join(text), "".join(out)


_BOUNDARY = " \t\n\u3000,;:、|" + MARKS + FORMAT_MARKS


def _options_at(f: Field, folded: str) -> list[tuple[int, int, Option]]:
    """Where the options of ``f`` are printed in ``folded``, left to right."""
    found: list[tuple[int, int, Option]] = []
    i = 0
    while i < len(folded):
        if i == 0 or folded[i - 1] in _BOUNDARY or folded[i - 1] in _CLOSE:
            hit = _match_at(f, folded, i)
            if hit is not None:
                option, end = hit
                found.append((i, end, option))
                i = end
                continue
        i += 1
    return found


def _match_at(f: Field, folded: str, at: int) -> tuple[Option, int] | None:
    for option, pattern in _option_patterns(f):
        m = pattern.match(folded, at)
        if m and m.start() == at and not folded[at].isspace():
            return option, m.end()
    return None


@dataclass
class _Box:
    at: int
    ticked: bool
    option: Option | None = None
    sure: bool = True


def _pair(folded: str, spots: list[int], places: list[tuple[int, int, Option]]
          ) -> tuple[list[_Box], str]:
    """Which option each mark belongs to, and how (``before``, ``after`` or ``mixed``).

    A mark written right before an option (☑高中) or right after one (高中√, 已婚 √) goes with
    the nearer option; when both are as near, with the side the row's other marks take, and
    when nothing settles it the box is unsure.
    """
    boxes: list[_Box] = []
    votes = {"before": 0, "after": 0}
    undecided: list[tuple[_Box, int, int]] = []
    for at in spots:
        box = _Box(at, folded[at] == TICKED)
        prev = next((p for p in reversed(places) if p[1] <= at), None)
        nxt = next((p for p in places if p[0] > at), None)
        gap_prev = folded[prev[1]:at] if prev else None
        gap_next = folded[at + 1:nxt[0]] if nxt else None
        near_prev = len(gap_prev) if gap_prev is not None and not gap_prev.strip() else None
        near_next = len(gap_next) if gap_next is not None and not gap_next.strip() else None
        if near_prev is not None and (near_next is None or near_prev < near_next):
            box.option = prev[2] if prev else None
            votes["after"] += 1
        elif near_next is not None and (near_prev is None or near_next < near_prev):
            box.option = nxt[2] if nxt else None
            votes["before"] += 1
        elif near_prev is not None and near_next is not None:
            undecided.append((box, places.index(prev), places.index(nxt)))  # type: ignore
        elif gap_prev is not None and nxt is None:
            box.option = prev[2] if prev else None  # after a write-in, at the row's end
            box.sure = False
        boxes.append(box)
    side = ("before" if votes["before"] > votes["after"] else
            "after" if votes["after"] > votes["before"] else "")
    for box, p, n in undecided:
        if side:
            box.option = places[n if side == "before" else p][2]
        else:
            box.option = places[p][2]
            box.sure = False
    mixed = votes["before"] and votes["after"]
    return boxes, "mixed" if mixed else side


def _formatted(f: Field, raw: str, folded: str, places: list[tuple[int, int, Option]]
               ) -> tuple[list[Option], str]:
    """The options set apart by formatting alone (bold, underline, highlight, shading,
    colour) when the rest are plain, and the kind of formatting."""
    kinds: list[str] = []
    state = ""
    styled: dict[int, str] = {}
    for i, c in enumerate(raw):
        if c in FORMAT_MARKS:
            state = "" if c == FORMAT_END else FORMAT_NAMES[c]
        elif state:
            styled[i] = state
    chosen = []
    for start, end, option in places:
        inside = [styled.get(i) for i in range(start, end) if not folded[i].isspace()]
        if inside and all(inside):
            chosen.append(option)
            kinds.append(inside[0] or "")
    if not chosen or len(chosen) == len(places):
        return [], ""
    return chosen, "、".join(dict.fromkeys(kinds))


def read_choice(f: Field, raw: str, synonyms: Synonyms | None = None) -> Choice:
    """The value of choice field ``f`` from the text of its cell (with decoded ticks).

    Marks before or after their option, bracketed or bare, are paired with the nearer option;
    a row whose only evidence is formatting is read and flagged; every doubt is a warning.
    """
    label = f.label
    raw, folded = _unbracket(raw)
    places = _options_at(f, folded)
    spots = [i for i, c in enumerate(folded) if c in MARKS]
    warnings: list[str] = []
    chosen: list[Option]
    notes: dict[str, str]
    if not spots:
        chosen, style = _formatted(f, raw, folded, places)
        if chosen:
            warnings.append(f"{label}: chosen only by formatting ({style}); please confirm")
            notes = {}
            for _start, end, option in places:
                if option in chosen and option.note:
                    notes[option.note] = _write_in_after(f, option, raw, folded, end, places,
                                                         spots)
            return _result(f, chosen, notes, warnings)
        if len({o for _, _, o in places}) > 1:  # the row as printed, nothing marked
            return _result(f, [], {}, warnings)
        chosen, notes = _unmarked(f, plain(raw), synonyms)
        result = _result(f, chosen, notes, warnings)
        if chosen and not places:
            result.via = f"written “{strip_value(plain(raw))}”, read by the synonyms"
        return result
    boxes, side = _pair(folded, spots, places)
    if side == "mixed":
        warnings.append(f"{label}: marks stand both before and after their options; "
                        f"please check which option each belongs to")
    chosen = []
    notes = {}
    for box in boxes:
        if box.option is None:
            if box.ticked:
                stray = strip_value(plain(raw[box.at + 1:box.at + 20]))
                warnings.append(f"{label}: a tick beside text that is no option ({stray})")
            continue
        if not box.sure and box.ticked:
            warnings.append(f"{label}: a tick between two options; taken as "
                            f"{box.option.text}, please check")
        end = next(e for s, e, o in places if o is box.option)
        text = (_write_in_after(f, box.option, raw, folded, end, places, spots)
                if box.option.note else "")
        if box.ticked:
            if box.option not in chosen:
                chosen.append(box.option)
            if box.option.note:
                notes[box.option.note] = text
        elif text:
            warnings.append(f"{label}: write-in “{text}” beside {box.option.text}, "
                            f"which is not ticked; not kept")
    return _result(f, chosen, notes, warnings)


def _write_in_after(f: Field, option: Option, raw: str, folded: str, end: int,
                    places: list[tuple[int, int, Option]], spots: list[int]) -> str:
    """The write-in typed after ``option`` (ending at ``end``), up to the next option's box
    or text."""
    nxt = min([s for s, _, _ in places if s >= end] + [len(folded)])
    boxes_between = [i for i in spots if end <= i < nxt]
    stop = nxt
    for i in boxes_between:  # a box right before the next option belongs to it
        if not folded[i + 1:nxt].strip():
            stop = i
            break
    piece = "".join(" " if folded[i] in MARKS else raw[i] for i in range(end, stop))
    return write_in(option, plain(piece))


def _result(f: Field, chosen: list[Option], notes: dict[str, str], warnings: list[str]
            ) -> Choice:
    notes = {k: v for k, v in notes.items() if v}
    if f.kind is Kind.ONE_OF:
        if len(chosen) > 1:
            names = "、".join(o.text for o in chosen)
            warnings.append(f"{f.label}: {len(chosen)} options ticked ({names}) where one is "
                            f"allowed; none kept")
            return Choice("", {}, warnings)
        return Choice(chosen[0].text if chosen else "", notes, warnings)
    order = list(f.options)
    return Choice([o.text for o in sorted(chosen, key=order.index)], notes, warnings)


def read_listed(f: Field, raw: str, synonyms: Synonyms | None = None) -> Choice:
    """A choice written in a register cell: option texts separated by 、 , ; or spaces."""
    if any(c in MARKS for c in fold(raw)):
        return read_choice(f, raw, synonyms)
    if f.kind is Kind.ONE_OF:
        return read_choice(f, raw, synonyms)
    chosen: list[Option] = []
    notes: dict[str, str] = {}
    unknown: list[str] = []
    for part in re.split(r"[,;、，；\n]+", raw):
        if not strip_value(part):
            continue
        found = _match_option(f, fold(part))
        if not found:
            mapped = (synonyms or DEFAULTS).option(f, strip_value(part))
            option = f.option(mapped[0]) if mapped else None
            if option is None or mapped is None:
                unknown.append(strip_value(part))
                continue
            chosen.append(option)
            if option.note and mapped[1]:
                notes[option.note] = mapped[1]
            continue
        option, end = found
        chosen.append(option)
        if option.note:
            notes[option.note] = write_in(option, part[end:])
    warnings = [f"{f.label}: {u} is not one of the options" for u in unknown]
    order = list(f.options)
    value = [o.text for o in sorted(dict.fromkeys(chosen), key=order.index)]
    return Choice(value, {k: v for k, v in notes.items() if v}, warnings)


__all__ = ["EMPTY", "TICKED", "Choice", "read_choice", "read_listed", "write_in"]
