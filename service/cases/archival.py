"""Records of the archive: 档号 series counters, case files (案卷), their 件, moves, batch
bundle requests and failed filings. The tree on disk mirrors these; `archive verify` checks both ways."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Model, utcnow
from ..once import MadeOnce


class ArchiveCounter(Model):
    """The last 案卷号 given in a 档号 series (全宗号-门类·年度-保管期限-类别). Only ever
    counts up, so a 档号 is never given twice, even if a case file were withdrawn."""

    __tablename__ = "archive_counters"

    series: Mapped[str] = mapped_column(String(80), primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class ArchiveFile(Model):
    """A file (案卷) in the archive: its 档号 and where its folder is. A case's file names its
    case; an agency's own file (a year's service reports) names none."""

    __tablename__ = "archive_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), unique=True)
    dang_hao: Mapped[str] = mapped_column(String(80), unique=True)
    folder: Mapped[str] = mapped_column(String(400), unique=True)  # relative to ARCHIVE_ROOT
    year: Mapped[int] = mapped_column(index=True)
    retention: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(40), index=True)
    grade: Mapped[str] = mapped_column(String(40), index=True)
    title: Mapped[str] = mapped_column(String(400), default="")
    start_on: Mapped[date | None]
    end_on: Mapped[date | None]
    pages: Mapped[int] = mapped_column(default=0)
    archived_at: Mapped[datetime] = mapped_column(default=utcnow)
    archived_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    case = relationship("Case")
    items: Mapped[list[ArchiveItem]] = relationship(
        back_populates="file", order_by="ArchiveItem.id", cascade="all, delete-orphan")
    moves: Mapped[list[ArchiveMove]] = relationship(
        back_populates="file", order_by="ArchiveMove.id", cascade="all, delete-orphan")

    def current_items(self, role: str = "document", fmt: str = "pdf") -> list[ArchiveItem]:
        """The items in force of one role and format, in 件号 order."""
        return sorted((i for i in self.items
                       if not i.superseded and i.role == role and i.format == fmt),
                      key=lambda i: i.item_no)


class ArchiveItem(Model):
    """One filed file of a case file: a 件's PDF or Word copy, an original, or a bundle page."""

    __tablename__ = "archive_items"
    __table_args__ = (UniqueConstraint("file_id", "filename"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("archive_files.id"), index=True)
    item_no: Mapped[int]  # 件号; 0 for the bundle's own pages
    role: Mapped[str] = mapped_column(String(12))  # document | original | cover | contents | note
    format: Mapped[str] = mapped_column(String(12))
    annex: Mapped[str] = mapped_column(String(1), default="")
    form_id: Mapped[int | None] = mapped_column(ForeignKey("form_records.id"))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("form_versions.id"))
    survey_id: Mapped[int | None] = mapped_column(ForeignKey("satisfaction_surveys.id"))
    version: Mapped[int] = mapped_column(default=1)
    filename: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(200))
    item_date: Mapped[str] = mapped_column(String(10), default="")
    author: Mapped[str] = mapped_column(String(200), default="")
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    pages: Mapped[int] = mapped_column(default=0)
    superseded: Mapped[bool] = mapped_column(default=False)
    filed_at: Mapped[datetime] = mapped_column(default=utcnow)

    file: Mapped[ArchiveFile] = relationship(back_populates="items")


class ArchiveMove(Model):
    """A case folder moved after re-grading: from, to, who, why, when."""

    __tablename__ = "archive_moves"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("archive_files.id"), index=True)
    from_folder: Mapped[str] = mapped_column(String(400))
    to_folder: Mapped[str] = mapped_column(String(400))
    moved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(default="")
    moved_at: Mapped[datetime] = mapped_column(default=utcnow)

    file: Mapped[ArchiveFile] = relationship(back_populates="moves")


class BundleRequest(MadeOnce, Model):
    """A batch of bundles an archivist asked for, and how far it has got."""

    __tablename__ = "bundle_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    file_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # output, duplex
    state: Mapped[str] = mapped_column(String(10), default="queued")  # queued|running|ready|failed
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    path: Mapped[str] = mapped_column(default="")  # relative to WORK_ROOT
    error: Mapped[str] = mapped_column(default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: when its job was last handed to the queue (a message lost since is handed over again)
    queued_at: Mapped[datetime | None] = mapped_column(default=utcnow)


class ServiceReport(MadeOnce, Model):
    """A service report (8.2) asked for on the statistics page: its period and language, the
    Word and PDF/A copies the queue made of it, and the 件 it was filed as."""

    __tablename__ = "service_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_start: Mapped[date]
    period_end: Mapped[date]
    lang: Mapped[str] = mapped_column(String(4))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    state: Mapped[str] = mapped_column(String(8), default="queued")  # queued|ready|failed
    docx_path: Mapped[str] = mapped_column(default="")  # relative to WORK_ROOT
    pdf_path: Mapped[str] = mapped_column(default="")
    pdf_sha256: Mapped[str] = mapped_column(String(64), default="")
    pages: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(default="")
    attempts: Mapped[int] = mapped_column(default=0)
    file_id: Mapped[int | None] = mapped_column(ForeignKey("archive_files.id"))
    item_no: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class FilingFailure(Model):
    """A filing into the archive that failed: kept with its reason, shown to archivists and
    retried by the periodic task until it succeeds (then it is resolved, not deleted)."""

    __tablename__ = "filing_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("form_versions.id"), index=True)
    error: Mapped[str] = mapped_column(default="")
    attempts: Mapped[int] = mapped_column(default=1)
    failed_at: Mapped[datetime] = mapped_column(default=utcnow)
    tried_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(index=True)

    case = relationship("Case")
    version = relationship("FormVersion")
