"""Creating and reading notices: who an 8.6 flag tells, the inbox, the unread count, and the
reports made outside the service. The caller commits, and queues the e-mails (``jobs.notices``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select, update

from ..annexes.validate import N_
from ..auth.models import RiskFlag, User
from ..cases.access import reviewers_of
from ..cases.models import Case
from ..db import db, utcnow
from .models import (
    MailState,
    NoticeKind,
    Notification,
    OutsideReport,
    ReportAgency,
    ReportChannel,
)

#: How far ahead of the server's clock a reported time may be (clocks of tablets drift).
CLOCK_SLACK = timedelta(minutes=2)
MAX_TEXT = 2000


class ReportError(ValueError):
    """A report outside the service cannot be recorded as given: ``field`` names the input,
    the message is a catalog id."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def mail_configured() -> bool:
    """Whether an SMTP server is configured (MAIL_SERVER); without one, notices stay in-app."""
    return bool(current_app.config.get("MAIL_SERVER"))


def notice_for(user: User, kind: NoticeKind, case: Case | None, **params: Any) -> Notification:
    """A new notice for ``user`` (added to the session), its e-mail queued when it can go."""
    address = (user.email or "").strip()
    mailing = bool(address) and mail_configured()
    notice = Notification(recipient_id=user.id, kind=kind, case_id=getattr(case, "id", None),
                          params=params, created_at=utcnow(),
                          mail_state=MailState.QUEUED if mailing else MailState.NONE,
                          mail_to=address if mailing else "")
    db.session.add(notice)
    return notice


def who_hears_of_a_flag(case: Case, by: User | None) -> list[User]:
    """The people an 8.6 flag on ``case`` tells: the supervisors of its team and the
    directors who may open it (never the person who raised it)."""
    return sorted((u for u in reviewers_of(case) if by is None or u.id != by.id),
                  key=lambda u: u.username)


def notify_risk_flag(flag: RiskFlag, case: Case, by: User | None) -> list[Notification]:
    """Tell the responsible supervisors and directors that ``case`` was flagged (8.6)."""
    params = {"number": case.number, "flag": flag.id,
              "at": (flag.raised_at or utcnow()).strftime("%Y-%m-%d %H:%M"),
              "by": by.name if by is not None else ""}
    notices = [notice_for(u, NoticeKind.RISK_FLAG, case, **params)
               for u in who_hears_of_a_flag(case, by)]
    db.session.flush()
    return notices


def flag_case(case: Case, concern: str, by: User, *, key: str | None = None
              ) -> tuple[RiskFlag, list[Notification]]:
    """Raise an 8.6 flag on ``case`` with its ``concern`` and make the notices it sends (the
    caller audits, queues the e-mails with ``jobs.notices.enqueue_mail`` and commits).
    ``key``: the request that raises it (``service.once``)."""
    flag = RiskFlag(case_id=case.id, raised_by_id=by.id, concern=concern.strip()[:MAX_TEXT],
                    raised_at=utcnow(), request_key=key)
    db.session.add(flag)
    db.session.flush()
    return flag, notify_risk_flag(flag, case, by)


def inbox(user: User, limit: int = 100, offset: int = 0, unread_only: bool = False
          ) -> list[Notification]:
    """``user``'s notices, newest first."""
    query = select(Notification).where(Notification.recipient_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(db.session.scalars(
        query.order_by(Notification.id.desc()).limit(limit).offset(offset)))


def unread_count(user: User) -> int:
    """How many of ``user``'s notices are unread."""
    return db.session.scalar(
        select(func.count()).select_from(Notification)
        .where(Notification.recipient_id == user.id, Notification.read_at.is_(None))) or 0


def own_notice(user: User, notice_id: int) -> Notification | None:
    """The notice with this id if it is ``user``'s, else None."""
    notice = db.session.get(Notification, notice_id)
    return notice if notice is not None and notice.recipient_id == user.id else None


def mark_read(notice: Notification) -> bool:
    """Mark one notice read; False when it already was."""
    if notice.read_at is not None:
        return False
    notice.read_at = utcnow()
    return True


def mark_all_read(user: User) -> int:
    """Mark every unread notice of ``user`` read; returns how many."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.recipient_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)


def notices_of_flag(flag: RiskFlag) -> list[Notification]:
    """The notices an 8.6 flag sent, with their e-mail states (the case page shows them)."""
    return [n for n in db.session.scalars(
        select(Notification).where(Notification.case_id == flag.case_id,
                                   Notification.kind == NoticeKind.RISK_FLAG)
        .order_by(Notification.id)) if (n.params or {}).get("flag") == flag.id]


# --- reports made outside the service -------------------------------------------------------

def parse_reported_at(text: str, timezone: str) -> datetime:
    """A local date-time typed on a page (``YYYY-MM-DDTHH:MM``) as naive UTC; refuses a
    malformed one and one in the future."""
    text = (text or "").strip()
    if not text:
        raise ReportError("reported_at", N_("Say when the report was made."))
    try:
        local = datetime.fromisoformat(text)
    except ValueError:
        raise ReportError("reported_at", N_("The time of the report is not a valid "
                                            "date and time.")) from None
    if local.tzinfo is None:
        local = local.replace(tzinfo=ZoneInfo(timezone))
    moment = local.astimezone(UTC).replace(tzinfo=None)
    if moment > utcnow() + CLOCK_SLACK:
        raise ReportError("reported_at", N_("The time of the report cannot be in the future."))
    return moment


def record_outside_report(case: Case, *, agency: str, recipient: str, reported_at: datetime,
                          channel: str, note: str = "", flag: RiskFlag | None = None,
                          by: User | None = None, key: str | None = None) -> OutsideReport:
    """Record that ``case``'s risk was reported outside the service (the caller audits and
    commits). ``agency`` and ``channel`` are the official values of ``ReportAgency`` and
    ``ReportChannel``; ``key``: the request that records it (``service.once``)."""
    if agency not in {a.value for a in ReportAgency}:
        raise ReportError("agency", N_("Choose to whom the report was made."))
    if channel not in {c.value for c in ReportChannel}:
        raise ReportError("channel", N_("Choose how the report was made."))
    recipient, note = recipient.strip()[:200], note.strip()[:MAX_TEXT]
    if agency == ReportAgency.OTHER and not recipient:
        raise ReportError("recipient", N_("Name the office or person the report was made to."))
    if reported_at > utcnow() + CLOCK_SLACK:
        raise ReportError("reported_at", N_("The time of the report cannot be in the future."))
    if flag is not None and flag.case_id != case.id:
        raise ReportError("flag", N_("That risk flag belongs to another case."))
    report = OutsideReport(case_id=case.id, flag_id=getattr(flag, "id", None),
                           agency=ReportAgency(agency), recipient=recipient,
                           reported_at=reported_at, channel=ReportChannel(channel), note=note,
                           recorded_by_id=getattr(by, "id", None), recorded_at=utcnow(),
                           request_key=key)
    db.session.add(report)
    db.session.flush()
    return report


def outside_reports(case: Case) -> list[OutsideReport]:
    """The reports made outside the service about ``case``, in the order they were made."""
    return list(db.session.scalars(
        select(OutsideReport).where(OutsideReport.case_id == case.id)
        .order_by(OutsideReport.reported_at, OutsideReport.id)))
