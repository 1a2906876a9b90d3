"""What one value read from a legacy file rests on: the import report's ``fields`` entries.

Every reader (Word, registers, PDF, scans) says, for each value it read, which field it fills
(its path in the form's data as the JSON Schema names it: ``client_name``, ``goals.0.status``),
the value, how sure the reading is (0 to 1), whether a person must look (``flagged``, with the
reason) and where in the file it came from (a cell, a paragraph, a page region). A reading with
any flagged value is never filed as if certain.

The report entry of one value is a plain JSON object::

    {"field": "education", "value": "高中/中专", "confidence": 0.9, "flagged": false,
     "source": "table 1, row 7, cell 2", "reason": "", "snippet": "高中√ 大专"}

``field``, ``value``, ``confidence``, ``flagged`` and ``source`` are always there; ``reason``
and ``snippet`` (the original text the value was read from) are there too, empty when there is
nothing to say. Readers of scans may add their own keys beside these.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..annexes import Annex, Kind

#: At or above this confidence a value is taken as read; below it, it is flagged.
SURE = 0.9

#: The keys every report entry has, in this order.
KEYS = ("field", "value", "confidence", "flagged", "source", "reason", "snippet")


@dataclass(frozen=True)
class Evidence:
    """One value read from a file, with how sure the reading is and where it came from."""

    field: str  # the field's path in the form's data: client_name, goals.0.status
    value: Any  # what was read (JSON-serialisable: str, int, list, dict, None)
    confidence: float = 1.0  # 0..1
    flagged: bool = False  # a person must look before the value is relied on
    source: str = ""  # where it came from: "table 1, row 3, cell 2", "paragraph 12", "page 2"
    reason: str = ""  # why it is flagged (or how it was read, when that matters)
    snippet: str = ""  # the original text the value was read from, for the review page

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence {self.confidence} is not between 0 and 1")
        if self.flagged and not self.reason:
            raise ValueError(f"{self.field}: a flagged value must say why")

    def as_dict(self) -> dict[str, Any]:
        """The report entry of this value."""
        return {"field": self.field, "value": self.value,
                "confidence": round(self.confidence, 3), "flagged": self.flagged,
                "source": self.source, "reason": self.reason, "snippet": self.snippet}


def flag(evidence: Evidence, reason: str, *, confidence: float | None = None) -> Evidence:
    """``evidence`` flagged for ``reason`` (reasons add up), its confidence lowered."""
    reasons = f"{evidence.reason}; {reason}" if evidence.flagged and evidence.reason else reason
    sure = min(evidence.confidence, confidence if confidence is not None else SURE - 0.1)
    return Evidence(evidence.field, evidence.value, sure, True, evidence.source, reasons,
                    evidence.snippet)


def from_dict(entry: Mapping[str, Any]) -> Evidence:
    """An :class:`Evidence` back from its report entry (extra keys are ignored)."""
    return Evidence(str(entry["field"]), entry.get("value"), float(entry.get("confidence", 1)),
                    bool(entry.get("flagged", False)), str(entry.get("source", "")),
                    str(entry.get("reason", "")), str(entry.get("snippet", "")))


def report_fields(evidence: Iterable[Evidence]) -> list[dict[str, Any]]:
    """The report's ``fields`` list: one entry per value, in the order they were read."""
    return [e.as_dict() for e in evidence]


def flagged(evidence: Iterable[Evidence | Mapping[str, Any]]) -> list[str]:
    """The paths of the fields a person must look at (from evidence or report entries)."""
    out: list[str] = []
    for e in evidence:
        name, is_flagged = ((e.field, e.flagged) if isinstance(e, Evidence)
                            else (str(e["field"]), bool(e.get("flagged"))))
        if is_flagged and name not in out:
            out.append(name)
    return out


def needs_person(evidence: Iterable[Evidence | Mapping[str, Any]]) -> bool:
    """Whether any value read is flagged: then the form goes to a person, never filed as is."""
    return bool(flagged(evidence))


def by_field(evidence: Iterable[Evidence]) -> dict[str, Evidence]:
    """The evidence of each field (the last one read for a field wins)."""
    return {e.field: e for e in evidence}


def paths(value: Any, prefix: str) -> list[tuple[str, Any]]:
    """The leaf paths of a value as the JSON Schema names them (``goals.0.status``).

    A list of plain values (the options of a many-choice field) is one leaf; a list of objects
    (table rows) and an object (a signature) are walked.
    """
    if isinstance(value, Mapping):
        out: list[tuple[str, Any]] = []
        for key, inner in value.items():
            out.extend(paths(inner, f"{prefix}.{key}"))
        return out
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        out = []
        for n, inner in enumerate(value):
            out.extend(paths(inner, f"{prefix}.{n}"))
        return out
    return [(prefix, value)]


@dataclass(frozen=True)
class Shown:
    """One value as the review page shows it: the field's label, the value, why it is flagged,
    where it came from, and the original text split around the part the value was read from."""

    field: str
    anchor: str  # the id of the field's input on the form
    label: str
    value: str
    flagged: bool
    confidence: float
    reason: str
    source: str
    before: str
    marked: str
    after: str


def _label(annex: Annex, path: str) -> tuple[str, str]:
    """The printed label of a data path (``goals.1.status`` -> 目标达成情况 2 · 目标达成情况) and
    the form input's id."""
    parts = path.split(".")
    base = parts[0]
    if base in annex:
        f = annex[base]
        label = f.label
        if f.kind is Kind.TABLE and len(parts) == 3 and parts[1].isdigit():
            column = next((c.label for c in f.columns if c.name == parts[2]), parts[2])
            label = f"{f.label} {int(parts[1]) + 1} · {column}"
        elif len(parts) > 1:
            label = f"{f.label} · {parts[1]}"
        return label, base
    notes = annex.note_keys
    if base in notes:
        f, option = notes[base]
        return f"{f.label}（{option.text}）", base
    return path, base


def _show_value(value: Any) -> str:
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return "" if value is None else str(value)


def _needles(value: Any) -> list[str]:
    """What to look for in the original text to mark where ``value`` was read."""
    texts = value if isinstance(value, list) else [value]
    out = []
    for t in texts:
        if t in (None, ""):
            continue
        text = str(t)
        out.append(text)
        if "\n" in text:
            out.append(text.split("\n")[0])
    return out


def shown(annex: Annex, entries: Iterable[Evidence | Mapping[str, Any]]) -> list[Shown]:
    """The values of a reading as a reviewer sees them: flagged first, then in form order."""
    order = {name: n for n, name in enumerate(annex.data_keys)}
    rows: list[Shown] = []
    for entry in entries:
        e = entry if isinstance(entry, Evidence) else from_dict(entry)
        label, anchor = _label(annex, e.field)
        snippet = e.snippet
        before, marked, after = snippet, "", ""
        for needle in _needles(e.value):
            at = snippet.find(needle)
            if at >= 0:
                before, marked, after = (snippet[:at], needle, snippet[at + len(needle):])
                break
        rows.append(Shown(e.field, anchor, label, _show_value(e.value), e.flagged,
                          e.confidence, e.reason, e.source, before, marked, after))
    rows.sort(key=lambda r: (not r.flagged, order.get(r.anchor, len(order)), r.field))
    return rows


__all__ = ["KEYS", "SURE", "Evidence", "by_field", "flag", "flagged", "from_dict",
           "needs_person", "paths", "report_fields", "Shown", "shown"]
