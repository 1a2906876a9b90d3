"""Scoring readings of the legacy corpus against its ground truth, field by field.

A value is right when the reading holds exactly the truth at that path; it is wrong otherwise
(a different value, nothing where something was written, or something where nothing was). A
wrong value counts as flagged when the reading's evidence for that path, or its field, asks a
person to look.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from service.imports.evidence import paths
from service.imports.reading import Reading


def _leaves(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        for path, leaf in paths(value, key):
            if leaf not in (None, "", [], {}):
                out[path] = leaf
    return out


@dataclass
class Tally:
    """Counts over a corpus."""

    right: int = 0
    wrong: int = 0
    wrong_flagged: int = 0
    right_flagged: int = 0
    forms: int = 0
    misses: Counter[str] = field(default_factory=Counter)  # "field: tag" -> wrong count
    silent: list[str] = field(default_factory=list)  # examples of unflagged wrong values

    @property
    def share_right(self) -> float:
        return self.right / max(1, self.right + self.wrong)

    @property
    def share_flagged(self) -> float:
        return self.wrong_flagged / self.wrong if self.wrong else 1.0

    def add(self, other: Tally) -> None:
        self.right += other.right
        self.wrong += other.wrong
        self.wrong_flagged += other.wrong_flagged
        self.right_flagged += other.right_flagged
        self.forms += other.forms
        self.misses.update(other.misses)
        self.silent.extend(other.silent[:3])


def score(forms: tuple[tuple[str, dict[str, Any]], ...], readings: list[Reading],
          name: str = "") -> Tally:
    """How many values of ``forms`` the ``readings`` got right, and the wrong ones flagged."""
    t = Tally(forms=len(forms))
    for n, (code, truth) in enumerate(forms):
        reading = readings[n] if n < len(readings) else None
        if reading is None or reading.annex != code:
            leaves = _leaves(truth)
            t.wrong += len(leaves)
            t.misses[f"(form {n} not read as {code})"] += len(leaves)
            t.silent.append(f"{name}: form {n} ({code}) not read")
            continue
        want = _leaves(truth)
        got = _leaves(reading.data)
        flags = {e.field for e in reading.evidence if e.flagged}
        for path in sorted(set(want) | set(got)):
            is_flagged = path in flags or path.split(".")[0] in flags or any(
                f.startswith(path.split(".")[0] + ".") for f in flags)
            if want.get(path) == got.get(path):
                t.right += 1
                t.right_flagged += is_flagged
                continue
            t.wrong += 1
            t.misses[f"{code}.{path.split('.')[0]}"] += 1
            if is_flagged:
                t.wrong_flagged += 1
            else:
                t.silent.append(f"{name} {code}.{path}: want {want.get(path)!r} got "
                                f"{got.get(path)!r}")
    return t
