"""Every printed text of an annex as something to find in a legacy file.

Labels, headings, hints and column titles all come from the declarations in
:mod:`service.annexes`; the patterns tolerate spaced-out characters, full-width punctuation
and 其它 for 其他. A reviewer's mapping of an unrecognised label adds aliases.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from ..annexes import ANNEXES, Annex, Kind
from .text import fold, spaced_pattern, squeeze

FIELD = "field"
SIGNATURE_DATE = "signature_date"
IGNORE = "ignore"


@dataclass(frozen=True)
class Target:
    """What a printed text found in a file stands for."""

    kind: str  # FIELD, SIGNATURE_DATE or IGNORE
    name: str = ""  # the field's data key for FIELD


def _without_brackets(label: str) -> str:
    return re.sub(r"[(（][^)）]*[)）]", "", label)


def _targets(annex: Annex) -> dict[str, Target]:
    """Printed text (squeezed) -> target, longer texts winning over the ones they contain."""
    found: dict[str, Target] = {}

    def add(text: str, target: Target) -> None:
        key = squeeze(text)
        if len(key) >= 2 and key not in found:
            found[key] = target

    for f in annex:
        add(f.label, Target(FIELD, f.name))
    for f in annex:
        add(_without_brackets(f.label), Target(FIELD, f.name))
        if f.date_label:
            add(f.date_label, Target(SIGNATURE_DATE))
    ignored = [annex.title, annex.annex_label, *(s.heading for s in annex.sections)]
    ignored += [t for f in annex for t in (f.group, f.sub_label)]
    for text in ignored:
        if text:
            add(text, Target(IGNORE))
    return found


@dataclass(frozen=True)
class LabelIndex:
    """The labels of one annex compiled into one pattern."""

    annex: Annex
    targets: dict[str, Target]
    pattern: re.Pattern[str]
    names: dict[str, str]  # regex group name -> squeezed label
    hints: re.Pattern[str] | None
    columns: dict[str, str]  # squeezed column label -> column name

    def target(self, m: re.Match[str]) -> tuple[str, Target]:
        """The label a match found and what it stands for."""
        key = self.names[m.lastgroup or ""]
        return key, self.targets[key]


def build_index(annex: Annex, aliases: Mapping[str, str] | None = None) -> LabelIndex:
    """The label index of ``annex``, with ``aliases`` (label -> field name) added."""
    targets = _targets(annex)
    for label, name in (aliases or {}).items():
        if name in annex and len(squeeze(label)) >= 1:
            targets[squeeze(label)] = Target(FIELD, name)
    ordered = sorted(targets, key=len, reverse=True)
    names = {f"t{i}": key for i, key in enumerate(ordered)}
    pattern = re.compile("|".join(f"(?P<{g}>{spaced_pattern(k)})" for g, k in names.items()))
    hint_texts = sorted({f.hint for f in annex if f.hint}, key=len, reverse=True)
    hints = (re.compile("|".join(spaced_pattern(h) for h in hint_texts))
             if hint_texts else None)
    columns = {squeeze(c.label): c.name for f in annex if f.kind is Kind.TABLE
               for c in f.columns}
    return LabelIndex(annex, targets, pattern, names, hints, columns)


@lru_cache(maxsize=8)
def default_index(code: str) -> LabelIndex:
    """The label index of annex ``code`` without aliases (built once)."""
    return build_index(ANNEXES[code])


def detect_annex(texts: Iterable[str]) -> str | None:
    """Which annex a file is, from its title or, failing that, from its labels."""
    whole = squeeze("".join(texts))
    for annex in ANNEXES.values():
        if squeeze(annex.title) in whole:
            return annex.code
    for annex in ANNEXES.values():
        if squeeze(annex.short_title) in whole:
            return annex.code
    scores: dict[str, int] = {}
    shared = _shared_labels()
    for annex in ANNEXES.values():
        scores[annex.code] = sum(1 for f in annex if squeeze(f.label) not in shared
                                 and squeeze(f.label) in whole)
    best = max(scores, key=lambda c: scores[c])
    return best if scores[best] >= 3 else None


@lru_cache(maxsize=1)
def _shared_labels() -> frozenset[str]:
    seen: dict[str, int] = {}
    for annex in ANNEXES.values():
        for key in {squeeze(f.label) for f in annex}:
            seen[key] = seen.get(key, 0) + 1
    return frozenset(k for k, n in seen.items() if n > 1)


_DRESSING = re.compile(r"[*]+|[(\[]\s*(?:可多选|多选|单选|必填|选填)\s*[)\]]|^\s*[一二三四五六七八九十\d]{1,3}\s*[、.]")


def bare_label(text: str) -> str:
    """A header or label as typed, squeezed and without its dressing: asterisks, notes such
    as (可多选), a heading's number and colons (``*案主姓名：`` -> ``案主姓名``)."""
    return _DRESSING.sub("", squeeze(text)).strip(":")


def label_key(text: str) -> str:
    """The key under which a reviewer's mapping of a label is kept."""
    return squeeze(text)


__all__ = ["FIELD", "IGNORE", "SIGNATURE_DATE", "LabelIndex", "Target", "bare_label",
           "build_index",
           "default_index", "detect_annex", "fold", "label_key"]
