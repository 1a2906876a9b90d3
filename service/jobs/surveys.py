"""Queue jobs of the satisfaction survey's copies: Word and PDF/A of each answered survey.

The same pipeline as the annexes' copies (:mod:`.documents`): :func:`enqueue_survey_documents`
records the two copies as queued and queues the job once the survey is committed;
:func:`make_survey_documents` renders the Word copy from ``form_templates/survey.docx``,
converts it to PDF/A on the LibreOffice pool, writes both whole beside the case's other copies
and files them with the case in the archive (:func:`.archive.filing.on_survey_ready`).
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

from ..cases.archival import ArchiveFile
from ..cases.evaluation import SatisfactionSurvey, SurveyDocument
from ..cases.models import Case, DocumentState
from ..db import db, utcnow
from ..documents.convert import pdf_pages, to_pdf
from ..documents.render import DocumentError, DocumentMeta
from ..documents.survey import render_survey_docx
from ..storage import atomic_write
from . import app_context
from .documents import FORMATS, RETRIES, RETRY_DELAY, case_folder
from .leases import LOST_AFTER, leased, revivable
from .queue import huey

log = logging.getLogger(__name__)

_PENDING_KEY = "survey_documents_to_enqueue"


def enqueue_survey_documents(survey_id: int) -> None:
    """Record the Word and PDF copies of a survey as queued and queue their making when the
    caller's transaction commits (at once when nothing is pending). A failed copy is queued
    again."""
    entry = db.session.get(SatisfactionSurvey, survey_id)
    if entry is None:
        raise LookupError(f"no survey {survey_id}")
    have = {d.format: d for d in entry.documents}
    for fmt in FORMATS:
        doc = have.get(fmt)
        if doc is None:
            db.session.add(SurveyDocument(survey=entry, format=fmt, state=DocumentState.QUEUED))
        elif doc.state == DocumentState.FAILED:
            doc.state, doc.error, doc.attempts = DocumentState.QUEUED, "", 0
    session = db.session()
    if huey.immediate or not session.in_transaction():
        session.flush()
        make_survey_documents(survey_id)  # tests run it inline, in the caller's session
        return
    pending = session.info.setdefault(_PENDING_KEY, [])
    if survey_id not in pending:
        pending.append(survey_id)


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    for survey_id in session.info.pop(_PENDING_KEY, []):
        make_survey_documents(survey_id)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


def file_stem(entry: SatisfactionSurvey) -> str:
    """S-7: the survey's code and its id (a case may have several surveys)."""
    return f"S-{entry.id}"


def meta_for(app: Flask, entry: SatisfactionSurvey, case: Case) -> DocumentMeta:
    """The facts printed in the survey copy's header and file properties."""
    author = case.worker.name if case.worker else ""
    return DocumentMeta(case_number=case.number, agency=app.config.get("AGENCY_NAME", ""),
                        author=author, created=entry.created_at)


def _store(doc: SurveyDocument, folder: Path, relative: str, name: str, content: bytes,
           pages: int) -> None:
    atomic_write(folder / name, content)
    doc.path = f"{relative}/{name}"
    doc.sha256 = hashlib.sha256(content).hexdigest()
    doc.size, doc.pages, doc.error = len(content), pages, ""
    doc.state = DocumentState.READY


def build_survey_documents(app: Flask, survey_id: int) -> None:
    """Render, convert and store both copies of a survey; commits as each is ready."""
    entry = db.session.get(SatisfactionSurvey, survey_id)
    if entry is None:
        raise LookupError(f"no survey {survey_id}")
    case = db.session.get(Case, entry.case_id)
    assert case is not None
    docs = {d.format: d for d in entry.documents}
    for fmt in FORMATS:
        if fmt not in docs:
            docs[fmt] = SurveyDocument(survey=entry, format=fmt, state=DocumentState.QUEUED)
            db.session.add(docs[fmt])
    for doc in docs.values():
        if doc.state != DocumentState.READY:
            doc.attempts += 1
    db.session.commit()
    folder, relative = case_folder(app, case.number)
    stem = file_stem(entry)
    docx = render_survey_docx(entry.answers(), meta_for(app, entry, case))
    _store(docs["docx"], folder, relative, f"{stem}.docx", docx, 0)
    db.session.commit()
    pdf = to_pdf(docx)
    pages = pdf_pages(pdf)
    _store(docs["pdf"], folder, relative, f"{stem}.pdf", pdf, pages)
    docs["docx"].pages = pages
    db.session.commit()


def _record_failure(survey_id: int, exc: BaseException, final: bool) -> None:
    db.session.rollback()
    docs = db.session.scalars(select(SurveyDocument)
                              .where(SurveyDocument.survey_id == survey_id)).all()
    reason = f"{type(exc).__name__}: {exc}"[:1000]
    for doc in docs:
        if doc.state != DocumentState.READY:
            doc.error = reason
            doc.state = DocumentState.FAILED if final else DocumentState.QUEUED
    db.session.commit()


@huey.task(retries=RETRIES, retry_delay=RETRY_DELAY, context=True)
@leased("survey_documents")
def make_survey_documents(survey_id: int, task: Task | None = None) -> None:
    """The queue job: both copies of one survey, retried, then failed with the reason; then
    the survey is filed with its case when the case is in (or goes into) the archive."""
    from .archive.filing import on_survey_ready

    final = task is None or not task.retries
    with app_context() as app:
        try:
            build_survey_documents(app, survey_id)
        except DocumentError as exc:
            _record_failure(survey_id, exc, final=True)
            log.error("copies of survey %s failed: %s", survey_id, exc)
            return
        except Exception as exc:
            _record_failure(survey_id, exc, final)
            log.warning("copies of survey %s failed (%s): %s", survey_id,
                        "final" if final else "will retry", exc)
            raise
        try:
            on_survey_ready(survey_id)
        except Exception:  # the copies stay ready; catch_up files the survey later
            db.session.rollback()
            log.exception("filing survey %s into the archive failed", survey_id)


revivable("survey_documents", make_survey_documents)


def catch_up() -> tuple[int, int]:
    """Hand surveys whose copies were left queued longer than LOST_AFTER back to the queue
    (a lost message, a worker that died), and file the ready surveys of archived cases that
    are not filed yet (a filing that failed). (How many were queued, how many filed.)"""
    from .archive.filing import file_surveys

    cutoff = utcnow() - LOST_AFTER
    stale = db.session.scalars(
        select(SurveyDocument.survey_id).where(SurveyDocument.state == DocumentState.QUEUED,
                                               SurveyDocument.updated_at < cutoff)
        .distinct()).all()
    for survey_id in stale:
        db.session.execute(SurveyDocument.__table__.update()
                           .where(SurveyDocument.survey_id == survey_id,
                                  SurveyDocument.state == DocumentState.QUEUED)
                           .values(updated_at=utcnow()))
    db.session.commit()
    files = db.session.scalars(
        select(ArchiveFile).where(ArchiveFile.case_id.in_(
            select(SatisfactionSurvey.case_id).join(SurveyDocument).where(
                SurveyDocument.state == DocumentState.READY)))).all()
    filed = 0
    for record in files:
        try:
            filed += file_surveys(record)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("filing the surveys of %s failed", record.dang_hao)
    for survey_id in stale:
        make_survey_documents(survey_id)
    return len(stale), filed


@huey.periodic_task(crontab(minute="*/5"))
def catch_up_surveys() -> tuple[int, int]:
    """Every five minutes: :func:`catch_up`."""
    with app_context():
        return catch_up()
