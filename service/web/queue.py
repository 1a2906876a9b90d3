"""The reviewer's list of forms waiting for sign-off (8.3): oldest first, with how long each
has waited, filtered by worker, annex and case; and the count waiting shown on every page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, render_template, request
from flask_babel import format_timedelta
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from ..annexes import ANNEXES
from ..auth.models import RiskFlag, Role, User
from ..cases import review, workflow
from ..cases.access import visible_cases
from ..cases.models import Case, FormRecord, FormState
from ..db import db, utcnow

MAX_CASE_QUERY = 40


@dataclass(frozen=True)
class Waiting:
    """A form waiting for review and since when."""

    record: FormRecord
    since: datetime

    def waited(self, now: datetime) -> timedelta:
        """How long it has waited at ``now``."""
        return max(now - self.since, timedelta(0))


@dataclass(frozen=True)
class Filters:
    """What the reviewer narrowed the list to (empty: everything)."""

    worker_id: int | None = None
    annex: str = ""
    case: str = ""

    @classmethod
    def from_args(cls, args: Any) -> Filters:
        """The filters of a query string; unknown values are ignored, never an error."""
        worker = args.get("worker", "")
        annex = args.get("annex", "")
        return cls(worker_id=int(worker) if worker.isdigit() else None,
                   annex=annex if annex in ANNEXES else "",
                   case=args.get("case", "").strip()[:MAX_CASE_QUERY])

    def keep(self, item: Waiting) -> bool:
        """Whether ``item`` passes every filter."""
        record = item.record
        return ((self.worker_id is None or record.case.worker_id == self.worker_id)
                and (not self.annex or record.annex == self.annex)
                and (not self.case or self.case.lower() in record.case.number.lower()
                     or self.case in (record.case.client_name or "")))

    @property
    def active(self) -> bool:
        return bool(self.worker_id or self.annex or self.case)


def oldest_first(records: list[FormRecord]) -> list[Waiting]:
    """The waiting forms, the one waiting longest first (by when its version was submitted)."""
    items = [Waiting(r, r.current.submitted_at if r.current else r.created_at) for r in records]
    return sorted(items, key=lambda w: (w.since, w.record.id))


def waited_text(delta: timedelta) -> str:
    """How long, in the page's language, to the hour (3 天, 5 小时, 2 days)."""
    if delta < timedelta(hours=1):
        return format_timedelta(delta, granularity="minute", threshold=1.0)
    return format_timedelta(delta, granularity="hour", threshold=1.0)


def render_queue() -> Any:
    """The review page: open 8.6 risk flags, then the forms waiting, filtered and oldest first."""
    visible_ids = visible_cases(current_user).with_only_columns(Case.id)
    flags = db.session.scalars(
        select(RiskFlag).where(RiskFlag.handled_at.is_(None),
                               RiskFlag.case_id.in_(visible_ids))
        .order_by(RiskFlag.raised_at)).all()
    flagged = {f.case_id for f in flags}
    everything = oldest_first(review.waiting(visible_ids))
    filters = Filters.from_args(request.args)
    shown = [w for w in everything if filters.keep(w)]
    worker_ids = {w.record.case.worker_id for w in everything if w.record.case.worker_id}
    workers = db.session.scalars(
        select(User).where(User.id.in_(worker_ids)).order_by(User.username)).all() \
        if worker_ids else []
    return render_template("review/index.html", flags=flags, waiting=shown,
                           total=len(everything), filters=filters, workers=workers,
                           flagged=flagged, annexes=ANNEXES, now=utcnow(),
                           waited_text=waited_text, withdrawn=review.withdrawn(visible_ids),
                           own={w.record.id for w in everything
                                if current_user.id in workflow.writers(w.record)})


def waiting_count() -> int | None:
    """How many forms wait for the signed-in reviewer; None for someone who does not review."""
    if not current_user.is_authenticated or not current_user.has_role(
            Role.SUPERVISOR, Role.DIRECTOR):
        return None
    visible_ids = visible_cases(current_user).with_only_columns(Case.id)
    try:
        return db.session.scalar(
            select(func.count(FormRecord.id)).where(FormRecord.state == FormState.SUBMITTED,
                                                    FormRecord.case_id.in_(visible_ids))) or 0
    except SQLAlchemyError:  # an error page after a failed transaction: show it regardless
        current_app.logger.warning("forms waiting for review not counted", exc_info=True)
        return None
