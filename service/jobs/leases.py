"""Jobs whose worker died are run again within a minute.

A queue message is gone once a worker has taken it, so a worker killed mid-job (out of memory,
SIGKILL, a machine lost) would leave the job undone until a slower sweep notices. While a
:func:`leased` job runs, its worker holds a lease in the database (``job_leases``: the task, its
arguments, who holds it, until when) and renews it every RENEW_EVERY seconds; the lease is
dropped when the job ends, well or badly (Huey's own retries handle a job that failed). Every
consumer process checks every REAP_EVERY seconds for a lease that has run out: its holder is
gone, so one consumer claims the lease (one conditional UPDATE: only one wins) and queues the
job again. A job revived MAX_REVIVALS times is given up, in the log. Jobs must be safe to run
twice (the documents, bundles and imports jobs are: they write whole files and skip work done),
and a second message of a job whose lease another live worker holds is dropped rather than run
beside it (:class:`AlreadyRunning`).

A message can also be lost before any worker takes it (a Redis restarted without its data).
Jobs whose rows say "queued" are therefore handed to the queue again once they have waited
LOST_AFTER without starting (:func:`requeue_lost`, from each kind's periodic sweep).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, String, Text, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Model, db, utcnow
from . import app_context
from .queue import huey

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=20)
RENEW_EVERY = 5.0
REAP_EVERY = 5.0
#: A revived job waiting in the queue is not revived again before this long.
REVIVED_GRACE = timedelta(minutes=10)
MAX_REVIVALS = 3
#: A job queued this long and not started is taken to have lost its message.
LOST_AFTER = timedelta(minutes=15)

#: Leased tasks by name, to queue them again.
_TASKS: dict[str, Callable[..., Any]] = {}


class JobLease(Model):
    """A running job's claim: renewed by its worker while the job runs, dropped at its end."""

    __tablename__ = "job_leases"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of task + args
    task: Mapped[str] = mapped_column(String(100))
    args: Mapped[str] = mapped_column(Text)  # JSON list
    holder: Mapped[str] = mapped_column(String(100), default="")  # host:pid
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revivals: Mapped[int] = mapped_column(default=0)


def holder_name() -> str:
    """This process, as a lease names its holder."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _key(task: str, args_json: str) -> str:
    return hashlib.sha256(f"{task}\n{args_json}".encode()).hexdigest()


class AlreadyRunning(RuntimeError):
    """Another live worker holds this job's lease: a second message of it is not run."""


def _take(engine: Engine, key: str, task: str, args_json: str, *, alone: bool) -> bool:
    """Take the lease; whether it was taken. ``alone``: not from another live holder (one
    whose lease has not run out, and that the reaper has not let go)."""
    table = JobLease.__table__
    me = holder_name()
    values = {"holder": me, "expires_at": utcnow() + LEASE}
    free = or_(table.c.holder.in_(("", me)), table.c.expires_at < utcnow())
    claim = update(table).where(table.c.key == key, *([free] if alone else [])).values(**values)
    with engine.begin() as conn:
        if conn.execute(claim).rowcount:
            return True
        try:
            with conn.begin_nested():
                conn.execute(insert(table).values(key=key, task=task, args=args_json,
                                                  revivals=0, **values))
        except IntegrityError:  # another worker holds it, or took it this instant
            if alone:
                return False
            conn.execute(update(table).where(table.c.key == key).values(**values))
        return True


def _renew(engine: Engine, key: str, stop: threading.Event) -> None:
    table = JobLease.__table__
    while not stop.wait(RENEW_EVERY):
        try:
            with engine.begin() as conn:
                conn.execute(update(table).where(table.c.key == key)
                             .values(expires_at=utcnow() + LEASE))
        except Exception:  # noqa: BLE001 - a missed renewal is retried; the job goes on
            log.warning("could not renew the lease %s", key, exc_info=True)


@contextmanager
def holding(task: str, args: tuple[Any, ...], *, alone: bool = False) -> Iterator[None]:
    """Hold the lease of ``task(*args)`` while the block runs (nothing in immediate mode).

    ``alone``: raise :class:`AlreadyRunning` instead of running the block when another live
    worker holds the lease; otherwise take it over (a job whose caller waits on its task id
    must not be dropped)."""
    if huey.immediate:
        yield
        return
    args_json = json.dumps(list(args), sort_keys=True, default=str)
    key = _key(task, args_json)
    with app_context():
        engine = db.engine
        if not _take(engine, key, task, args_json, alone=alone):
            raise AlreadyRunning(f"{task}{args_json}")
    stop = threading.Event()
    renewer = threading.Thread(target=_renew, args=(engine, key, stop), daemon=True,
                               name=f"lease-{task}")
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join(timeout=RENEW_EVERY + 5)
        with engine.begin() as conn:
            conn.execute(delete(JobLease.__table__).where(JobLease.__table__.c.key == key))


def leased(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a task's function (under ``@huey.task``) so that it runs under a lease, and
    not at all while another live worker runs the same job (a second message of it)."""
    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                with holding(name, args, alone=True):
                    return fn(*args, **kwargs)
            except AlreadyRunning:
                log.info("job %s%s is already running elsewhere: this message is dropped",
                         name, list(args))
                return None
        return run
    return decorate


def revivable(name: str, task: Callable[..., Any]) -> None:
    """Name the queue task that runs again a job of ``name`` whose worker died."""
    _TASKS[name] = task


def revive_expired() -> int:
    """Queue again every job whose lease ran out (its worker is gone); how many were."""
    table = JobLease.__table__
    now = utcnow()
    revived = 0
    with app_context():
        engine = db.engine
    with engine.connect() as conn:
        expired = conn.execute(select(table.c.key, table.c.task, table.c.args, table.c.holder,
                                      table.c.revivals).where(table.c.expires_at < now)).all()
    for key, task, args_json, holder, revivals in expired:
        with engine.begin() as conn:
            claimed = conn.execute(
                update(table).where(table.c.key == key, table.c.expires_at < now)
                .values(expires_at=now + REVIVED_GRACE, revivals=revivals + 1,
                        holder="")).rowcount
            if claimed and (revivals >= MAX_REVIVALS or task not in _TASKS):
                conn.execute(delete(table).where(table.c.key == key))
        if not claimed:
            continue  # another consumer claimed it first
        if revivals >= MAX_REVIVALS or task not in _TASKS:
            log.error("job %s%s given up: its worker died %s times", task, args_json,
                      revivals + 1)
            continue
        log.warning("job %s%s lost its worker %s: queued again", task, args_json, holder)
        _TASKS[task](*json.loads(args_json))
        revived += 1
    return revived


def requeue_lost(model: Any, states: tuple[str, ...], queue: Callable[[int, str], Any]) -> int:
    """Hand to the queue again each row of ``model`` (with ``state``, ``queued_at`` and
    ``created_at``) in one of ``states`` that has waited LOST_AFTER since it was queued without
    a worker starting it: its message was lost. Its ``queued_at`` becomes now, so it waits
    LOST_AFTER again; ``queue(row_id, state)`` queues its job. How many were queued again."""
    cutoff = utcnow() - LOST_AFTER
    waited = func.coalesce(model.queued_at, model.created_at)
    with app_context():
        lost = db.session.execute(select(model.id, model.state).where(
            model.state.in_(states), waited < cutoff)).all()
        claimed = []
        for row_id, state in lost:  # the sweeps of two consumers: one wins each row
            renewed = cast(CursorResult[Any], db.session.execute(
                update(model).where(model.id == row_id, model.state.in_(states),
                                    waited < cutoff).values(queued_at=utcnow())))
            if renewed.rowcount:
                claimed.append((row_id, state))
        db.session.commit()
    for row_id, state in claimed:
        log.warning("%s %s waited since before %s without starting: queued again",
                    model.__tablename__, row_id, cutoff.isoformat(timespec="seconds"))
        queue(row_id, str(state))
    return len(claimed)


_reaper_started = threading.Lock()
_reaper: threading.Thread | None = None


def _reap_forever() -> None:
    while True:
        try:
            revive_expired()
        except Exception:  # noqa: BLE001 - the database may be away for a moment
            log.warning("checking job leases failed", exc_info=True)
        threading.Event().wait(REAP_EVERY)


@huey.on_startup()
def start_reaper() -> None:
    """In every consumer process, once: look for jobs whose worker died."""
    global _reaper
    with _reaper_started:
        if _reaper is None and not huey.immediate:
            _reaper = threading.Thread(target=_reap_forever, daemon=True, name="lease-reaper")
            _reaper.start()
