"""The plain records of an import: its options, its statuses, the items kept between the two
passes (their readings spooled to disk) and the report, spooled entry by entry."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ...auth.models import User
from ...cases.imported import ImportRun
from ...imports.grouping import Group
from ...imports.limits import Limits
from ...imports.synonyms import Synonyms

IMPORTED = "imported"
WOULD_IMPORT = "would_import"
DUPLICATE = "duplicate"
NEEDS_REVIEW = "needs_review"
ERROR = "error"
STATUSES = (IMPORTED, WOULD_IMPORT, DUPLICATE, NEEDS_REVIEW, ERROR)

Progress = Callable[[int, int], None]
#: (file, page, pages): told after each page of a scan is read.
PageProgress = Callable[[str, int, int], None]


@dataclass
class Report:
    """The report of one import: an entry per file (or register row), spooled to disk.

    Only the position of each entry is kept in memory, so a report of any size is written
    entry by entry, in the order the files were given.
    """

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    unmapped: dict[str, dict[str, str]] = field(default_factory=dict)  # annex -> label -> value
    _spool: IO[bytes] = field(default_factory=lambda: tempfile.TemporaryFile(  # noqa: SIM115
        "w+b"))  # closed by close()
    _where: list[tuple[int, int]] = field(default_factory=list)  # (order, offset)

    def add(self, entry: dict[str, Any]) -> None:
        self.counts[entry["status"]] += 1
        order = entry.pop("_order", 0)
        offset = self._spool.seek(0, os.SEEK_END)
        self._spool.write(json.dumps(entry, ensure_ascii=False).encode() + b"\n")
        self._where.append((order, offset))

    def entries(self) -> Iterator[dict[str, Any]]:
        """Every entry, in the order the files were given."""
        for _, offset in sorted(self._where):
            self._spool.seek(offset)
            yield json.loads(self._spool.readline())

    @property
    def ok(self) -> bool:
        return self.counts[ERROR] == 0

    def write(self, stream: IO[str]) -> None:
        """The report as JSON, written entry by entry."""
        stream.write('{"files": [')
        for n, entry in enumerate(self.entries()):
            stream.write((",\n" if n else "\n") + json.dumps(entry, ensure_ascii=False))
        stream.write('\n], "groups": ')
        stream.write(json.dumps(list(self.groups.values()), ensure_ascii=False))
        stream.write(', "summary": ' + json.dumps(self.counts) + "}\n")

    def as_dict(self) -> dict[str, Any]:
        return {"files": list(self.entries()), "groups": list(self.groups.values()),
                "summary": dict(self.counts), "unmapped": self.unmapped}

    def close(self) -> None:
        self._spool.close()


@dataclass
class Item:
    """What the second pass needs of one reading, kept small; the form itself is spooled."""

    order: int
    label: str
    folder: str
    sha: str
    size: int
    kind: str  # FORM, SCAN or ERROR
    annex: str | None
    sort: tuple[Any, ...]
    offset: int  # of the spooled reading
    group: Group | None = None


class Spool:
    """Readings and sources' bytes kept on disk between the passes."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile("w+b")  # noqa: SIM115 - closed by run_import

    def put(self, value: dict[str, Any]) -> int:
        at = self.file.seek(0, os.SEEK_END)
        self.file.write(json.dumps(value, ensure_ascii=False).encode() + b"\n")
        return at

    def get(self, offset: int) -> dict[str, Any]:
        self.file.seek(offset)
        return json.loads(self.file.readline())


@dataclass
class Options:
    """How to run an import."""

    dry_run: bool = False
    aliases: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    by: User | None = None
    enqueue: Callable[[int], None] | None = None  # default: the documents queue
    progress: Progress | None = None
    pages: PageProgress | None = None
    run: ImportRun | None = None
    case_id: int | None = None  # every file goes into this case (brought in from its page)
    readings: Path | None = None  # where a run keeps its scans' readings (read once, not twice)
    synonyms: Synonyms | None = None  # default: the instance's import_synonyms.toml


def entry(item: Item, status: str, *, annex: str | None = None, case: str = "",
           data: dict[str, Any] | None = None, warnings: Sequence[str] = (),
           errors: Sequence[str] = ()) -> dict[str, Any]:
    return {"file": item.label, "status": status, "annex": annex, "case": case,
            "data": data or {}, "warnings": list(warnings), "errors": list(errors),
            "fields": [], "_order": item.order}
