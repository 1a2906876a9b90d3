"""What a reader makes of one file: the annex, the form's data and what to warn about."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..annexes import ANNEXES, Annex
from ..annexes.validate import AGE_MISMATCH, REQUIRED, UNKNOWN, clean
from .evidence import Evidence, flag, paths

FORM = "form"
SCAN = "scan"


class ImportFailure(Exception):
    """A file that cannot be imported, with the reason in words a person can act on."""


@dataclass
class Reading:
    """One form read from a file (a register yields one per row).

    ``kind`` is :data:`FORM` (``annex`` and ``data`` filled) or :data:`SCAN` (kept for a
    reviewer, nothing read). ``unmapped`` holds labels that matched no field, with their value.
    ``evidence`` says, for every value in ``data`` (and every value read but not kept), where
    it came from and whether a person must look.
    """

    name: str
    kind: str = FORM
    annex: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    unmapped: dict[str, str] = field(default_factory=dict)
    part: str = ""  # the row of a register ("row 3"); empty for a whole file
    evidence: list[Evidence] = field(default_factory=list)
    case_number: str = ""  # a scan whose printed code names its case
    pages: list[int] = field(default_factory=list)  # a scan's pages of this form, in order
    images: dict[str, bytes] = field(default_factory=dict)  # a scan's cells (PNG) by field

    @property
    def flagged(self) -> bool:
        """Whether a person must look at some value before the form is relied on."""
        return any(e.flagged for e in self.evidence)

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
    stored as it is; what was blanked is said in the warnings. A value that only disagrees
    with another (年龄 and 出生年月) is kept as written: the warning says so, a person decides.
    """
    annex = ANNEXES[annex_code]
    out, problems = clean(annex, data, submit=False)
    bad = {p.key.split(".")[0] for p in problems
           if p.message is not UNKNOWN and p.message is not AGE_MISMATCH}
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


def _empty(value: Any) -> bool:
    return value in (None, "", [], {})


def _base(path: str) -> str:
    return path.split(".")[0]


def conclude(annex_code: str, data: dict[str, Any], warnings: list[str],
             read: list[Evidence]) -> tuple[dict[str, Any], list[str], list[Evidence]]:
    """:func:`settle` the data and line the evidence up with what is kept.

    Every leaf of the settled data gets the evidence it was read from (by its exact path, else
    its field's); a value read but blanked by the checks stays in the evidence, flagged with the
    problem, so nothing read is dropped without a person seeing it.
    """
    annex = ANNEXES[annex_code]
    out, problems = clean(annex, data, submit=False)
    troubles: dict[str, list[str]] = {}
    for p in problems:
        if p.message is UNKNOWN:
            continue
        text = p.message % p.params if p.params else p.message
        troubles.setdefault(_base(p.key), []).append(text)
    kept, warnings = settle(annex_code, data, warnings)
    exact = {e.field: e for e in read}
    base: dict[str, Evidence] = {}
    for e in read:
        base.setdefault(_base(e.field), e)
    evidence: list[Evidence] = []
    placed: set[str] = set()
    for key, value in kept.items():
        for path, leaf in paths(value, key):
            if _empty(leaf):
                continue
            source = exact.get(path) or exact.get(key) or base.get(_base(path))
            derived = annex[key].derived_from if key in annex else ()
            if source is None and derived:
                e = Evidence(path, leaf, 0.95, False, "derived from " + "、".join(
                    annex[n].label for n in derived), "not written; worked out")
            elif source is None:
                e = Evidence(path, leaf, 0.5, True, "", "value with no recorded source")
            else:
                e = Evidence(path, leaf, source.confidence, source.flagged, source.source,
                             source.reason, source.snippet)
                placed.add(source.field)
            if key in troubles:
                e = flag(e, "; ".join(troubles[key]))
            evidence.append(e)
    for e in read:
        if e.field in placed or any(x.field == e.field for x in evidence):
            continue
        key = _base(e.field)
        if key in troubles and not _empty(e.value):
            evidence.append(flag(Evidence(e.field, e.value, e.confidence, e.flagged, e.source,
                                          e.reason, e.snippet),
                                 "not kept: " + "; ".join(troubles[key]), confidence=0.2))
        elif e.flagged:
            evidence.append(e)
    seen = {_base(e.field) for e in evidence}
    for f in annex:  # a required value not found may have been lost: a person looks
        if f.required and _empty(kept.get(f.name)) and f.name not in seen:
            evidence.append(Evidence(f.name, None, 0.0, True, "",
                                     "required, but nothing was read for it"))
    return kept, warnings, evidence
