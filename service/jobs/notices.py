"""Queue jobs of the 8.6 notices: each notice's e-mail, sent through SMTP (Flask-Mail).

:func:`enqueue_mail` hands notices to the queue once the transaction that made them commits.
:func:`send_notice_mail` sends one; a failure is retried, then recorded on the notice
(``mail_state`` failed, with the reason), written to the audit trail and shown on the pages.
:func:`requeue_stale_mail` hands back any e-mail left queued too long (a lost message); a
worker killed while sending loses its lease and the e-mail is sent again within a minute
(``jobs.leases``), so an e-mail may, rarely, arrive twice, but is never silently lost.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from huey import crontab
from huey.api import Task
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ..auth import audit
from ..db import db, utcnow
from ..extensions import mail
from ..notify.mail import compose
from ..notify.models import MailState, Notification
from . import app_context
from .leases import LOST_AFTER, leased, revivable
from .queue import huey

log = logging.getLogger(__name__)

#: Tries after the first, and the wait between them (at once in immediate mode).
RETRIES = 3
RETRY_DELAY = 0 if huey.immediate else 60
_PENDING_KEY = "notices_to_mail"


def enqueue_mail(notices: Iterable[Notification]) -> None:
    """Queue the e-mail of each notice that has one, once the caller's transaction commits."""
    ids = [n.id for n in notices if n.mail_state == MailState.QUEUED]
    if not ids:
        return
    session = db.session()
    if huey.immediate or not session.in_transaction():
        session.flush()
        for notice_id in ids:  # tests run it inline, in the caller's session
            send_notice_mail(notice_id)
        return
    session.info.setdefault(_PENDING_KEY, []).extend(ids)


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    for notice_id in session.info.pop(_PENDING_KEY, []):
        send_notice_mail(notice_id)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


def deliver(notice_id: int, final: bool) -> None:
    """Send one notice's e-mail now and record the outcome (committed). Raises on failure
    so that the queue tries again, unless ``final``."""
    from flask import current_app

    notice = db.session.get(Notification, notice_id)
    if notice is None or notice.mail_state != MailState.QUEUED:
        return
    notice.mail_attempts += 1
    db.session.commit()
    try:
        mail.send(compose(current_app, notice))
    except Exception as exc:  # SMTP refusal, network, authentication ...
        db.session.rollback()
        notice = db.session.get_one(Notification, notice_id)
        notice.mail_error = f"{type(exc).__name__}: {exc}"[:1000]
        notice.mail_state = MailState.FAILED if final else MailState.QUEUED
        if final:
            audit.record("notice.mail_failed", notice.case_id, notice=notice.id,
                         to=notice.mail_to, error=notice.mail_error)
        db.session.commit()
        log.warning("e-mail of notice %s failed (%s): %s", notice_id,
                    "final" if final else "will retry", exc)
        raise
    notice.mail_state, notice.mailed_at, notice.mail_error = MailState.SENT, utcnow(), ""
    db.session.commit()


@huey.task(retries=RETRIES, retry_delay=RETRY_DELAY, context=True)
@leased("notice_mail")
def send_notice_mail(notice_id: int, task: Task | None = None) -> None:
    """The queue job: one notice's e-mail, retried, then marked failed with the reason."""
    final = task is None or not task.retries
    with app_context():
        try:
            deliver(notice_id, final)
        except Exception:
            if final:
                return  # recorded and shown; nothing more the queue can do
            raise


revivable("notice_mail", send_notice_mail)


@huey.periodic_task(crontab(minute="*/5"))
def requeue_stale_mail() -> int:
    """Hand e-mails left queued longer than LOST_AFTER back to the queue."""
    with app_context():
        cutoff = utcnow() - LOST_AFTER
        stale = list(db.session.scalars(
            select(Notification.id).where(Notification.mail_state == MailState.QUEUED,
                                          Notification.created_at < cutoff)))
    for notice_id in stale:
        send_notice_mail(notice_id)
    return len(stale)


def send_again(notice: Notification) -> bool:
    """Queue a failed e-mail once more (the caller commits); False if it had not failed."""
    if notice.mail_state != MailState.FAILED:
        return False
    notice.mail_state, notice.mail_attempts = MailState.QUEUED, 0
    enqueue_mail([notice])
    return True
