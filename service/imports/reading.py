"""What a reader makes of one file: the annex, the form's data and what to warn about."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..annexes import ANNEXES, Annex
from ..annexes.validate import REQUIRED, UNKNOWN, clean

FORM = "form"
SCAN = "scan"


class ImportFailure(Exception):
    """A file that cannot be imported, with the reason in words a person can act on."""


@dataclass
class Reading:
    """One form read from a file (a register yields one per row).

    ``kind`` is :data:`FORM` (``annex`` and ``data`` filled) or :data:`SCAN` (kept for a
    reviewer, nothing read). ``unmapped`` holds labels that matched no field, with their value.
    """

    name: str
    kind: str = FORM
    annex: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    unmapped: dict[str, str] = field(default_factory=dict)
    part: str = ""  # the row of a register ("row 3"); empty for a whole file

    @property
    def label(self) -> str:
        """The file's name with its part, as the report shows it."""
        return f"{self.name}#{self.part}" if self.part else self.name


def _label_of(annex: Annex, key: str) -> str:
    base = key.split(".")[0]
    if base in annex:
        return annex[base].label
    notes = annex.note_keys
    if base in notes:
        f, option = notes[base]
        return f"{f.label}（{option.text}）"
    return key


def settle(annex_code: str, data: dict[str, Any], warnings: list[str]
           ) -> tuple[dict[str, Any], list[str]]:
    """``data`` checked against its annex: every problem a warning, every bad value blanked.

    The result is what :func:`service.annexes.validate.clean` accepts for a draft, so it can be
    stored as it is; what was blanked is said in the warnings.
    """
    annex = ANNEXES[annex_code]
    out, problems = clean(annex, data, submit=False)
    bad = {p.key.split(".")[0] for p in problems if p.message is not UNKNOWN}
    warnings = list(warnings)
    for p in problems:
        text = p.message % p.params if p.params else p.message
        warnings.append(f"{_label_of(annex, p.key)}: {text}")
    if bad:
        blanked = {k: v for k, v in out.items() if k not in bad}
        out, _ = clean(annex, blanked, submit=False)
    _, final = clean(annex, out, submit=True)
    for p in final:
        if p.message is REQUIRED:
            warnings.append(f"{_label_of(annex, p.key)}: required but empty")
    return out, warnings
