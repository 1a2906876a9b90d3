"""Queue jobs of the service report (8.2 定期公开): its Word and PDF/A copies and its filing.

The statistics page asks for a period's report with :func:`queue_service_report`; the queue
job :func:`make_service_report` computes the whole agency's figures (public: aggregates only,
counts below 5 suppressed by ``reports.public``), renders the Word report from its template,
converts it to PDF/A on the LibreOffice pool like every copy, writes both whole under
``WORK_ROOT/reports/`` and files them as a new 件 of the year's service-report file in the
archive (:func:`.archive.filing.file_report`), never over an earlier report.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from flask import Flask
from huey import crontab
from huey.api import Task
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ..cases.archival import ServiceReport
from ..db import db, utcnow
from ..documents.convert import pdf_pages, to_pdf
from ..reports.document import LOCALES, render_report
from ..reports.figures import Scope
from ..reports.period import Period
from ..reports.summary import summary
from ..storage import atomic_write
from . import app_context
from .documents import RETRIES, RETRY_DELAY
from .leases import LOST_AFTER, leased, revivable
from .queue import huey

log = logging.getLogger(__name__)

_PENDING_KEY = "service_reports_to_enqueue"
QUEUED, READY, FAILED = "queued", "ready", "failed"


def queue_service_report(period: Period, lang: str, by_id: int | None,
                         key: str | None = None) -> ServiceReport:
    """Record a report of ``period`` in ``lang`` as queued; its job is queued when the
    caller's transaction commits (at once when nothing is pending). ``key``: the request
    that asks for it (``service.once``)."""
    if lang not in LOCALES:
        raise ValueError(f"lang must be one of {sorted(LOCALES)}")
    report = ServiceReport(period_start=period.start, period_end=period.end, lang=lang,
                           requested_by_id=by_id, state=QUEUED, docx_path="", pdf_path="",
                           pdf_sha256="", pages=0, error="", attempts=0, request_key=key)
    db.session.add(report)
    db.session.flush()
    session = db.session()
    if huey.immediate or not session.in_transaction():
        make_service_report(report.id)  # tests run it inline, in the caller's session
    else:
        session.info.setdefault(_PENDING_KEY, []).append(report.id)
    return report


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    for report_id in session.info.pop(_PENDING_KEY, []):
        make_service_report(report_id)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


def file_stem(report: ServiceReport) -> str:
    """service-report-7-2024-04-01-2024-06-30-zh: unique per request, so never overwritten."""
    return (f"service-report-{report.id}-{report.period_start.isoformat()}-"
            f"{report.period_end.isoformat()}-{report.lang}")


def build_report(app: Flask, report_id: int) -> ServiceReport:
    """Compute, render, convert and store a report's two copies; commits when they are ready."""
    report = db.session.get(ServiceReport, report_id)
    if report is None:
        raise LookupError(f"no service report {report_id}")
    report.attempts += 1
    db.session.commit()
    data = summary(Scope(Period(report.period_start, report.period_end)))
    docx = render_report(data, lang=report.lang, agency=app.config.get("AGENCY_NAME", ""))
    pdf = to_pdf(docx)
    relative = Path("reports")
    folder = Path(app.config["WORK_ROOT"]) / relative
    stem = file_stem(report)
    atomic_write(folder / f"{stem}.docx", docx)
    atomic_write(folder / f"{stem}.pdf", pdf)
    report.docx_path = str(relative / f"{stem}.docx")
    report.pdf_path = str(relative / f"{stem}.pdf")
    report.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    report.pages = pdf_pages(pdf)
    report.state, report.error = READY, ""
    db.session.commit()
    return report


def _record_failure(report_id: int, exc: BaseException, final: bool) -> None:
    db.session.rollback()
    report = db.session.get(ServiceReport, report_id)
    if report is not None and report.state != READY:
        report.error = f"{type(exc).__name__}: {exc}"[:1000]
        report.state = FAILED if final else QUEUED
        db.session.commit()


@huey.task(retries=RETRIES, retry_delay=RETRY_DELAY, context=True)
@leased("service_reports")
def make_service_report(report_id: int, task: Task | None = None) -> None:
    """The queue job: a report's copies, retried, then failed with the reason; then filed."""
    from .archive.filing import file_report

    final = task is None or not task.retries
    with app_context() as app:
        try:
            report = build_report(app, report_id)
        except Exception as exc:
            _record_failure(report_id, exc, final)
            log.warning("service report %s failed (%s): %s", report_id,
                        "final" if final else "will retry", exc)
            raise
        try:
            file_report(report)
            db.session.commit()
        except Exception:  # the copies stay ready and downloadable; catch_up files it later
            db.session.rollback()
            log.exception("filing service report %s into the archive failed", report_id)


revivable("service_reports", make_service_report)


def catch_up() -> tuple[int, int]:
    """Queue again the reports left queued longer than LOST_AFTER, and file the ready
    reports not filed yet (a filing that failed). (How many were queued, how many filed.)"""
    from .archive.filing import file_report

    cutoff = utcnow() - LOST_AFTER
    stale = db.session.scalars(select(ServiceReport).where(
        ServiceReport.state == QUEUED, ServiceReport.updated_at < cutoff)).all()
    stale_ids = [r.id for r in stale]
    for report in stale:
        report.updated_at = utcnow()
    db.session.commit()
    unfiled = db.session.scalars(select(ServiceReport).where(
        ServiceReport.state == READY, ServiceReport.file_id.is_(None))
        .order_by(ServiceReport.id)).all()
    filed = 0
    for report in unfiled:
        try:
            file_report(report)
            db.session.commit()
            filed += 1
        except Exception:
            db.session.rollback()
            log.exception("filing service report %s failed", report.id)
    for report_id in stale_ids:
        make_service_report(report_id)
    return len(stale_ids), filed


@huey.periodic_task(crontab(minute="*/5"))
def catch_up_reports() -> tuple[int, int]:
    """Every five minutes: :func:`catch_up`."""
    with app_context():
        return catch_up()
