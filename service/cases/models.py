"""Database records of cases, their forms, every submitted version and their documents."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from functools import cache
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, bindparam, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..annexes.process import RiskGrade, SpecialProcess, Stage
from ..db import Model, db, utcnow
from ..once import MadeOnce


class FormState(StrEnum):
    DRAFT = "draft"  # being typed; autosaved
    SUBMITTED = "submitted"  # waiting for a supervisor's review
    RETURNED = "returned"  # sent back with comments
    WITHDRAWN = "withdrawn"  # taken back from review by its worker
    APPROVED = "approved"  # signed off; locked


#: The states in which the worker's part of a form may be typed and saved.
EDITABLE_STATES = frozenset({FormState.DRAFT, FormState.RETURNED, FormState.WITHDRAWN})


class DocumentState(StrEnum):
    QUEUED = "queued"
    READY = "ready"
    FAILED = "failed"


class Case(MadeOnce, Model):
    """One petitioner's case, from contact registration to closing or transfer."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    client_name: Mapped[str] = mapped_column(String(200), default="")
    client_phone: Mapped[str] = mapped_column(String(40), default="")
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    stage: Mapped[Stage] = mapped_column(String(20), default=Stage.CONTACT)
    screening: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    special_process: Mapped[SpecialProcess | None] = mapped_column(String(20))
    representatives: Mapped[list[str]] = mapped_column(JSON, default=list)
    risk_grade: Mapped[RiskGrade | None] = mapped_column(String(20))
    confidential: Mapped[bool] = mapped_column(default=False)
    opened_on: Mapped[date | None]
    closed_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    worker = relationship("User", foreign_keys=[worker_id])
    forms: Mapped[list[FormRecord]] = relationship(
        back_populates="case", order_by="FormRecord.id", cascade="all, delete-orphan")

    def forms_of(self, annex: str) -> list[FormRecord]:
        return [f for f in self.forms if f.annex == annex]

    @property
    def is_open(self) -> bool:
        return self.stage not in (Stage.CLOSED, Stage.TRANSFERRED)


class FormRecord(MadeOnce, Model):
    """One form of a case (its B, one of its Cs, its D): the draft and its versions."""

    __tablename__ = "form_records"
    __table_args__ = (UniqueConstraint("case_id", "annex", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    annex: Mapped[str] = mapped_column(String(1))
    seq: Mapped[int] = mapped_column(default=1)  # C: 工作次数 within the case
    state: Mapped[FormState] = mapped_column(String(12), default=FormState.DRAFT)
    draft: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    draft_saved_at: Mapped[datetime | None]
    review_comment: Mapped[str] = mapped_column(default="")
    #: the reviewer's comments on single cells of a returned form: field path -> comment
    field_comments: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # last draft save
    #: the form page's save that wrote the draft, as "<attempt> <tag it was made against>
    #: <lock_version it made>" (see ``workflow.save_draft``); None for any other writer
    draft_attempt: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: the version tag: bumped by every change of the row, and checked by it (a change made
    #: from an older reading of the row is refused rather than written over a newer one)
    lock_version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": lock_version}

    case: Mapped[Case] = relationship(back_populates="forms")
    versions: Mapped[list[FormVersion]] = relationship(
        back_populates="form", order_by="FormVersion.number", cascade="all, delete-orphan")

    @property
    def current(self) -> FormVersion | None:
        """The latest version, read alone (not the whole history) unless that is loaded."""
        if "versions" in self.__dict__ or self.id is None:
            return self.versions[-1] if self.versions else None
        return db.session.scalar(_latest_version(), {"form_id": self.id})

    @property
    def data(self) -> dict[str, Any]:
        """What the form holds now: the draft while editing, else the latest version."""
        if self.state in EDITABLE_STATES and self.draft:
            return self.draft
        return self.current.data if self.current else self.draft


class FormVersion(Model):
    """A submitted (or imported) version of a form, never changed once written."""

    __tablename__ = "form_versions"
    __table_args__ = (UniqueConstraint("form_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("form_records.id"), index=True)
    number: Mapped[int]
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    submission_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(20), default="typed")  # typed | imported
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None]

    form: Mapped[FormRecord] = relationship(back_populates="versions")
    documents: Mapped[list[Document]] = relationship(
        back_populates="version", order_by="Document.id", cascade="all, delete-orphan")


@cache
def _latest_version() -> Any:
    """Built once, its form bound as it runs, so it is not built and keyed on every read."""
    return (select(FormVersion).where(FormVersion.form_id == bindparam("form_id"))
            .order_by(FormVersion.number.desc()).limit(1))


class Document(Model):
    """A Word or PDF copy of one form version, made off the request path by the queue."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("version_id", "format"),
                      Index("ix_documents_state", "state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("form_versions.id"))
    format: Mapped[str] = mapped_column(String(8))  # docx | pdf
    state: Mapped[DocumentState] = mapped_column(String(8), default=DocumentState.QUEUED)
    path: Mapped[str] = mapped_column(default="")  # relative to WORK_ROOT or ARCHIVE_ROOT
    sha256: Mapped[str] = mapped_column(String(64), default="")
    size: Mapped[int] = mapped_column(default=0)
    pages: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(default="")
    attempts: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    version: Mapped[FormVersion] = relationship(back_populates="documents")


class Original(Model):
    """An imported file (a legacy Word form, a scan ...), kept byte for byte with its case."""

    __tablename__ = "originals"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("form_versions.id"))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int]
    path: Mapped[str]  # relative to WORK_ROOT while the case is open
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
