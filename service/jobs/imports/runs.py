"""The web flow's glue: a run's upload kept, dry-run and reported, and the queue task that
imports a confirmed run, keeping its progress and final report on the run; a run whose queue
message was lost is queued again."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from flask import current_app
from flask_babel import gettext
from huey import crontab

from ...auth.models import User
from ...cases.imported import ImportRun, RunState
from ...db import db, utcnow
from ...storage import atomic_write, unique_name, upload_base
from .. import app_context
from ..leases import leased, requeue_lost, revivable
from ..queue import huey
from .model import Options, Report
from .pipeline import run_import


class Upload(Protocol):
    """A file as sent (a form's or the API's upload)."""

    filename: str | None

    def read(self) -> bytes: ...


def upload_name(files: Sequence[Upload]) -> str:
    """What a run is called: its one file's name, or how many files it holds."""
    name = upload_base(files[0].filename or "") if len(files) == 1 else gettext(
        "%(n)s files", n=len(files))
    return name[:255]


def keep_files(run: ImportRun, files: Sequence[Upload]) -> None:
    """Write an upload's files, each under its own name made unique, into the run's folder
    (``imports/<run>/files``, its upload path); the run has its id (flushed)."""
    run.upload_path = f"imports/{run.id}/files"
    folder = Path(current_app.config["WORK_ROOT"]) / run.upload_path
    taken: set[str] = set()
    for upload in files:
        atomic_write(folder / unique_name(upload.filename or "", taken), upload.read())


def run_options(run: ImportRun, *, dry_run: bool, by: User | None) -> Options:
    """The options of a web run: its mapping, its user, progress (files, and the pages of a
    scan) kept on the run."""
    run_id = run.id

    def files(done: int, total: int) -> None:
        current = db.session.get_one(ImportRun, run_id)
        current.done, current.total, current.step = done, total, {}
        db.session.commit()

    def pages(name: str, page: int, count: int) -> None:
        current = db.session.get_one(ImportRun, run_id)
        current.step = {"file": name, "page": page, "pages": count}
        db.session.commit()

    return Options(dry_run=dry_run, aliases=run.mapping or {}, by=by, run=run,
                   progress=files, pages=pages, case_id=run.case_id,
                   readings=readings_folder(run))


def readings_folder(run: ImportRun) -> Path:
    """Where the run keeps what was read of its scans, between its dry run and its import."""
    return Path(current_app.config["WORK_ROOT"]) / "imports" / str(run.id) / "readings"


def check_run(run: ImportRun, by: User | None) -> Report:
    """Dry-run a run's upload and keep the report on the run.

    The caller commits the run before (a failing file rolls the session back) and after.
    """
    report = run_import([Path(current_app.config["WORK_ROOT"]) / run.upload_path],
                        run_options(run, dry_run=True, by=by))
    try:
        run.report = report.as_dict()
        run.total = sum(report.counts.values())
    finally:
        report.close()
    return report


@huey.task()
@leased("imports-check")
def check_run_task(run_id: int) -> None:
    """Dry-run an uploaded run in the background (its files may need LibreOffice or OCR)."""
    with app_context():
        check_queued_run(run_id)


def check_queued_run(run_id: int) -> None:
    """The body of :func:`check_run_task`: the run ends checked with its report, or failed."""
    run = db.session.get(ImportRun, run_id)
    if run is None or run.state != RunState.CHECKING:
        return
    by = db.session.get(User, run.created_by_id) if run.created_by_id else None
    try:
        check_run(run, by)
        run.state = RunState.CHECKED
    except Exception as e:  # the run is shown failed with its reason
        current_app.logger.exception("the dry run of import %s failed", run_id)
        db.session.rollback()
        run = db.session.get_one(ImportRun, run_id)
        run.state, run.error = RunState.FAILED, f"{type(e).__name__}: {e}"
    run.finished_at = utcnow()
    db.session.commit()


@huey.task()
@leased("imports")
def import_run_task(run_id: int) -> None:
    """Import a confirmed run in the background, keeping its progress and final report."""
    with app_context():
        execute_run(run_id)


revivable("imports-check", check_run_task)
revivable("imports", import_run_task)


def mark_queued(run: ImportRun, state: RunState) -> None:
    """``run`` waits for a queue worker in ``state`` (CHECKING: its dry run; QUEUED: its
    import), from now; the caller commits, then queues it (:func:`queue_run`)."""
    run.state, run.queued_at = state, utcnow()


def queue_run(run_id: int, state: str) -> None:
    """Queue the job a run waiting in ``state`` waits for."""
    (check_run_task if state == RunState.CHECKING else import_run_task)(run_id)


@huey.periodic_task(crontab(minute="*/5"))
def requeue_lost_runs() -> int:
    """Queue again each dry run or import still waiting long after it was queued (its message
    lost); how many were."""
    return requeue_lost(ImportRun, (RunState.CHECKING, RunState.QUEUED), queue_run)


def execute_run(run_id: int) -> None:
    """The body of :func:`import_run_task`."""
    run = db.session.get(ImportRun, run_id)
    if run is None or run.state not in (RunState.QUEUED, RunState.RUNNING):
        return
    by = db.session.get(User, run.created_by_id) if run.created_by_id else None
    run.state, run.done, run.error = RunState.RUNNING, 0, ""
    db.session.commit()
    try:
        options = run_options(run, dry_run=False, by=by)
        report = run_import([Path(current_app.config["WORK_ROOT"]) / run.upload_path], options)
        run = db.session.get_one(ImportRun, run_id)
        run.report = report.as_dict()
        report.close()
        run.state = RunState.DONE
        shutil.rmtree(readings_folder(run), ignore_errors=True)  # the import has used them
    except Exception as e:  # noqa: BLE001 - the run is shown failed with its reason
        db.session.rollback()
        run = db.session.get_one(ImportRun, run_id)
        run.state, run.error = RunState.FAILED, f"{type(e).__name__}: {e}"
    run.finished_at = utcnow()
    db.session.commit()
