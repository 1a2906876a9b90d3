"""Records of 8.6 notices: a person's inbox, and the reports made outside the service."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Model, utcnow
from ..once import MadeOnce


class NoticeKind(StrEnum):
    """What a notice is about (each kind has its texts in ``notify.texts``)."""

    RISK_FLAG = "risk_flag"  # 8.6: a case was flagged as a risk to life


class MailState(StrEnum):
    """Where a notice's e-mail stands."""

    NONE = "none"  # no e-mail: the person has no address, or no SMTP server is configured
    QUEUED = "queued"  # waiting for a queue worker (or for its next try)
    SENT = "sent"  # the SMTP server accepted it
    FAILED = "failed"  # every try failed; ``mail_error`` says why


class Notification(Model):
    """One notice in one person's inbox; its text is drawn from ``kind`` and ``params`` in the
    reader's language, so the same notice reads in Chinese or English."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_recipient_unread", "recipient_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[NoticeKind] = mapped_column(String(20))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    mail_state: Mapped[MailState] = mapped_column(String(8), default=MailState.NONE)
    mail_to: Mapped[str] = mapped_column(String(254), default="")
    mail_attempts: Mapped[int] = mapped_column(default=0)
    mail_error: Mapped[str] = mapped_column(Text, default="")
    mailed_at: Mapped[datetime | None]

    recipient = relationship("User")
    case = relationship("Case")

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class ReportAgency(StrEnum):
    """To whom a risk was reported outside the service (8.6)."""

    POLICE = "公安"
    MEDICAL = "医疗"
    CIVIL_AFFAIRS = "民政"
    PETITION_OFFICE = "信访部门"
    COMMUNITY = "街道/社区"
    FAMILY = "家属"
    OTHER = "其他"


class ReportChannel(StrEnum):
    """How the report outside the service was made."""

    PHONE = "电话"
    IN_PERSON = "当面"
    WRITTEN = "书面"
    ONLINE = "网络平台"
    OTHER = "其他"


class OutsideReport(MadeOnce, Model):
    """A report of a case's risk made outside the service: to whom, when and how (8.6)."""

    __tablename__ = "outside_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    flag_id: Mapped[int | None] = mapped_column(ForeignKey("risk_flags.id"))
    agency: Mapped[ReportAgency] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(200), default="")  # the office or person
    reported_at: Mapped[datetime]  # UTC, never in the future
    channel: Mapped[ReportChannel] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    recorded_by = relationship("User")
