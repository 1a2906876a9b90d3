"""Records of bulk imports: each run with its report and progress, and each file brought in."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Model, utcnow
from ..once import MadeOnce


class RunState(StrEnum):
    CHECKING = "checking"  # uploaded; the dry run waits for a queue worker
    CHECKED = "checked"  # uploaded and dry-run; waiting for the mapping and confirmation
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


#: the states of a run whose import was confirmed (or, brought in on a case's page, asked for)
CONFIRMED = frozenset({RunState.QUEUED, RunState.RUNNING, RunState.DONE})


class ImportRun(MadeOnce, Model):
    """One upload of legacy files: the dry-run report, the label mapping, then the import."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    upload_name: Mapped[str] = mapped_column(String(255), default="")
    upload_path: Mapped[str] = mapped_column(default="")  # relative to WORK_ROOT
    #: the case the files were brought in for, from its page (None: matched by what is read)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    state: Mapped[RunState] = mapped_column(String(12), default=RunState.CHECKED)
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # annex -> label -> field
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the latest report
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    #: the scan being read: {"file": name, "page": n, "pages": count}, or {} between files
    step: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(default="")
    finished_at: Mapped[datetime | None]
    #: when its dry run or import was last handed to the queue (a message lost since is
    #: handed over again)
    queued_at: Mapped[datetime | None]

    @property
    def percent(self) -> int:
        """How far the run has got, in whole percent of its files (a scan's pages counted)."""
        return int(100 * self.position / self.total) if self.total else 0

    @property
    def position(self) -> float:
        """How far the run has got, in files, counting the pages read of a scan."""
        pages = int(self.step.get("pages") or 0) if self.step else 0
        return self.done + (int(self.step.get("page") or 0) / pages if pages else 0.0)


class ImportedFile(Model):
    """A file (or register row) brought into a case; a scan waits here for its review."""

    __tablename__ = "imported_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    original_id: Mapped[int] = mapped_column(ForeignKey("originals.id"))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("form_versions.id"))
    annex: Mapped[str] = mapped_column(String(1), default="")
    needs_review: Mapped[bool] = mapped_column(default=False, index=True)
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    # the evidence of each value read (service.imports.evidence), for a form sent to a person
    fields: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # a scan's review: the form typed beside it (kept while it is a draft), who, and when
    form_id: Mapped[int | None] = mapped_column(ForeignKey("form_records.id"))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]
