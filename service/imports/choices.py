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
from .text import EMPTY, MARKS, TICKED, fold, spaced_pattern, squeeze, strip_value

_CUE = re.compile(r"^[\s,:;、]*[(]?\s*(?:请\s*)?(?:注\s*明|说\s*明)\s*[)]?\s*[:]?")
_LIST_SPLIT = re.compile(r"[\s,;、|]+")


@dataclass
class Choice:
    """What a row of boxes says: the value, the write-ins and the contradictions found."""

    value: Any
    notes: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


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


@lru_cache(maxsize=256)
def _any_option(f: Field) -> re.Pattern[str]:
    texts = sorted((o.text for o in f.options), key=len, reverse=True)
    return re.compile(r"\s(?:" + "|".join(spaced_pattern(t) for t in texts) + ")")


def _next_option(f: Field, folded: str, start: int, end: int) -> int:
    """Where the next option printed without a box begins (or ``end``)."""
    m = _any_option(f).search(folded, start, end)
    return m.start() if m else end


def _marked(f: Field, raw: str) -> tuple[list[tuple[bool, Option, str]], list[str]]:
    """Each box in ``raw`` with its state, the option after it and the text after that."""
    folded = fold(raw)
    spots = [i for i, c in enumerate(folded) if c in MARKS]
    boxes: list[tuple[bool, Option, str]] = []
    stray: list[str] = []
    for n, at in enumerate(spots):
        end = spots[n + 1] if n + 1 < len(spots) else len(folded)
        found = _match_option(f, folded[at + 1:end])
        if found is None:
            if folded[at] == TICKED:
                stray.append(strip_value(raw[at + 1:end])[:40])
            continue
        option, length = found
        rest_at = at + 1 + length
        boxes.append((folded[at] == TICKED, option, raw[rest_at:_next_option(f, folded,
                                                                              rest_at, end)]))
    return boxes, stray


def _unmarked(f: Field, raw: str) -> tuple[list[Option], dict[str, str]]:
    """Options written out as words with no box at all (a typed answer)."""
    words = [w for w in _LIST_SPLIT.split(fold(raw).strip()) if w]
    texts = {squeeze(o.text): o for o in f.options}
    if len(words) > 1 and all(squeeze(w) in texts for w in words):
        if len({squeeze(w) for w in words}) == len(f.options):
            return [], {}  # the options printed, none of them marked
        return [texts[squeeze(w)] for w in words], {}
    found = _match_option(f, fold(raw))
    if not found:
        return [], {}
    option, end = found
    rest = raw[end:]
    if not option.note:
        return ([option], {}) if not strip_value(rest) else ([], {})
    return [option], {option.note: write_in(option, rest)}


def read_choice(f: Field, raw: str) -> Choice:
    """The value of choice field ``f`` from the text of its cell (with decoded ticks)."""
    label = f.label
    folded = fold(raw)
    if not any(c in MARKS for c in folded):
        chosen, notes = _unmarked(f, raw)
        warnings = []
    else:
        boxes, stray = _marked(f, raw)
        warnings = [f"{label}: a tick before text that is no option ({s})" for s in stray]
        chosen, notes = [], {}
        for ticked, option, rest in boxes:
            text = write_in(option, rest) if option.note else ""
            if ticked:
                if option not in chosen:
                    chosen.append(option)
                if option.note:
                    notes[option.note] = text
            elif text:
                warnings.append(f"{label}: write-in “{text}” beside {option.text}, "
                                f"which is not ticked; not kept")
    notes = {k: v for k, v in notes.items() if v}
    if f.kind is Kind.ONE_OF:
        if len(chosen) > 1:
            names = "、".join(o.text for o in chosen)
            warnings.append(f"{label}: {len(chosen)} options ticked ({names}) where one is "
                            f"allowed; none kept")
            return Choice("", {}, warnings)
        return Choice(chosen[0].text if chosen else "", notes, warnings)
    order = list(f.options)
    return Choice([o.text for o in sorted(chosen, key=order.index)], notes, warnings)


def read_listed(f: Field, raw: str) -> Choice:
    """A choice written in a register cell: option texts separated by 、 , ; or spaces."""
    if any(c in MARKS for c in fold(raw)):
        return read_choice(f, raw)
    if f.kind is Kind.ONE_OF:
        return read_choice(f, raw)
    chosen: list[Option] = []
    notes: dict[str, str] = {}
    unknown: list[str] = []
    for part in re.split(r"[,;、，；\n]+", raw):
        if not strip_value(part):
            continue
        found = _match_option(f, fold(part))
        if not found:
            unknown.append(strip_value(part))
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
