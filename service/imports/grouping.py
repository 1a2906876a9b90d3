"""Which imported forms belong to one case.

Files that came in a folder of their own are one case per folder. Files at the top of an import
(and register rows) are grouped by the petitioner's name and dates: an Annex B opens a case; the
Cs and the D of the same name join the latest case opened on or before their date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..annexes import ANNEXES
from ..annexes.validate import N_
from .text import squeeze

#: The petitioner's name, as each annex declares its name cell.
_NAME_KEYS = {code: annex.name_field for code, annex in ANNEXES.items()}
#: The date a form is grouped by: its own date, but a closing form's opening date (the case it
#: closes was opened then).
_DATE_KEYS = {code: ("opened_on" if annex.closes_case else annex.date_field)
              for code, annex in ANNEXES.items()}


@dataclass(frozen=True)
class Facts:
    """What grouping needs to know of one reading."""

    folder: str
    annex: str | None
    name: str
    day: str  # YYYY-MM-DD or ""


def facts(folder: str, annex: str | None, data: dict[str, Any]) -> Facts:
    """The grouping facts of a reading of ``annex`` that came in ``folder``."""
    name = str(data.get(_NAME_KEYS.get(annex or "", ""), "") or "")
    day = str(data.get(_DATE_KEYS.get(annex or "", ""), "") or "")
    return Facts(folder, annex, squeeze(name), day)


#: The beginnings of a group's key: the files of one folder, or of one person's name.
FOLDER, NAME = "folder:", "name:"
#: How a group was formed, in words: catalog entries, so that a page can say them translated.
BY_FOLDER = N_("folder %(path)s")
BY_NAME = N_("name %(name)s, opened %(day)s")
BY_NAME_UNDATED = N_("name %(name)s, opened on an unknown date")


def described(key: str) -> tuple[str, dict[str, str]]:
    """How the group of ``key`` was formed: a msgid and its values (``msgid % values`` is the
    English), or ("", {}) for a key of neither kind."""
    if key.startswith(FOLDER):
        return BY_FOLDER, {"path": key.removeprefix(FOLDER)}
    if key.startswith(NAME):
        name, _sep, day = key.removeprefix(NAME).rpartition(":")
        return (BY_NAME, {"name": name, "day": day}) if day else (BY_NAME_UNDATED, {"name": name})
    return "", {}


@dataclass(frozen=True)
class Group:
    """One future (or existing) case: its key and how it was formed, in words."""

    key: str
    how: str
    name: str
    opened_on: str


def group(items: Sequence[Facts]) -> list[Group | None]:
    """The group of each item (None for an item with neither folder nor name)."""
    out: list[Group | None] = [None] * len(items)
    by_name: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        if item.folder:
            out[i] = _group(FOLDER + item.folder, "", "")
        elif item.name:
            by_name.setdefault(item.name, []).append(i)
    for name, members in by_name.items():
        opens = sorted((items[i].day, i) for i in members if _opens_case(items[i].annex))
        starts = [day for day, _ in opens] or [min((items[i].day for i in members
                                                    if items[i].day), default="")]
        for i in members:
            day = items[i].day
            start = next((s for s in reversed(starts) if s <= day or not day), starts[0])
            out[i] = _group(f"{NAME}{name}:{start}", name, start)
    return out


def _group(key: str, name: str, opened_on: str) -> Group:
    """The group of ``key``, with how it was formed in English words."""
    msgid, values = described(key)
    return Group(key, msgid % values, name, opened_on)


def _opens_case(code: str | None) -> bool:
    """Whether a form of this annex is the one a case starts with (its intake)."""
    return code is not None and code in ANNEXES and ANNEXES[code].opens_case
