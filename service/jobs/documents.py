"""Queue jobs of the documents: the Word and PDF/A copies of every submitted form version.

:func:`enqueue_documents` (called after each submission) records the two copies as queued and
hands the work to the queue once the submission is committed. :func:`make_documents` renders
the Word copy, converts it to PDF/A on the process-wide LibreOffice pool, writes both whole
under ``WORK_ROOT/cases/<case number>/`` and marks them ready; a failure is retried, then
shown as failed with its reason. :func:`requeue_stale_documents` runs periodically and hands
any copy left queued too long back to the queue, so no copy is ever silently dropped.
:func:`render_form_pdf` makes a PDF for the API on a worker, never in the web process.
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path
from typing import Any

from flask import Flask
from huey import crontab
from huey.api import Task
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ..annexes import ANNEXES
from ..cases import workflow
from ..cases.models import Document, DocumentState, FormVersion
from ..db import db, insert_rows, utcnow
from ..documents.convert import pdf_pages, to_pdf
from ..documents.render import DocumentError, DocumentMeta, render_docx
from ..storage import atomic_write
from . import app_context
from .archive.failures import file_ready_version
from .leases import LOST_AFTER, holding, leased, revivable
from .queue import huey

log = logging.getLogger(__name__)

FORMATS = ("docx", "pdf")
#: Attempts after the first; a retry waits RETRY_DELAY seconds (at once in immediate mode,
#: where Huey runs nothing that is scheduled for later).
RETRIES = 2
RETRY_DELAY = 0 if huey.immediate else 30
_PENDING_KEY = "documents_to_enqueue"
_SAFE = re.compile(r"[^\w.\-]+")


# --- enqueueing -----------------------------------------------------------------------------

def enqueue_documents(version_id: int) -> None:
    """Record the Word and PDF copies of a version as queued and queue their making.

    Adds the Document rows to the caller's transaction; the job is queued when that
    transaction commits (at once when nothing is pending), so a worker never looks for a
    version that is not there yet. A copy that had failed is queued again.
    """
    version = db.session.get(FormVersion, version_id)
    if version is None:
        raise LookupError(f"no form version {version_id}")
    have = {d.format: d for d in version.documents}
    if not have:  # a version just stored: its rows in one statement, read back when asked
        insert_rows(Document.__table__, [
            {"version_id": version_id, "format": fmt, "state": DocumentState.QUEUED}
            for fmt in FORMATS])  # the other columns take the model's defaults
        db.session.expire(version, ["documents"])
        _enqueue_after_commit(version_id)
        return
    for fmt in FORMATS:
        doc = have.get(fmt)
        if doc is None:
            db.session.add(Document(version=version, format=fmt, state=DocumentState.QUEUED))
        elif doc.state == DocumentState.FAILED:
            doc.state, doc.error, doc.attempts = DocumentState.QUEUED, "", 0
    _enqueue_after_commit(version_id)


def _queue_copies(version: FormVersion) -> None:
    enqueue_documents(version.id)


def follow_stored_versions() -> None:
    """Make the review cycle queue the copies of every version it stores."""
    workflow.on_version_stored(_queue_copies)


def _enqueue_after_commit(version_id: int) -> None:
    session = db.session()
    if huey.immediate or not session.in_transaction():
        session.flush()
        make_documents(version_id)  # tests run it inline, in the caller's session
        return
    pending = session.info.setdefault(_PENDING_KEY, [])
    if version_id not in pending:
        pending.append(version_id)


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    for version_id in session.info.pop(_PENDING_KEY, []):
        make_documents(version_id)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


# --- making the copies ----------------------------------------------------------------------

def case_folder(app: Flask, case_number: str) -> tuple[Path, str]:
    """The folder of a case's copies and its path relative to WORK_ROOT."""
    relative = f"cases/{_SAFE.sub('_', case_number) or 'unnumbered'}"
    return Path(app.config["WORK_ROOT"]) / relative, relative


def file_stem(version: FormVersion) -> str:
    """B-01-v1: the annex, the form's number in the case and the version."""
    return f"{version.form.annex}-{version.form.seq:02d}-v{version.number}"


def meta_for(app: Flask, version: FormVersion) -> DocumentMeta:
    """The facts printed in the copy's header and file properties."""
    case = version.form.case
    author = str(version.data.get("worker") or (case.worker.name if case.worker else ""))
    return DocumentMeta(case_number=case.number, agency=app.config.get("AGENCY_NAME", ""),
                        author=author, version=version.number, created=version.submitted_at,
                        form_id=version.form.id)


def _store(doc: Document, folder: Path, relative: str, name: str, content: bytes,
           pages: int) -> None:
    atomic_write(folder / name, content)
    doc.path = f"{relative}/{name}"
    doc.sha256 = hashlib.sha256(content).hexdigest()
    doc.size = len(content)
    doc.pages = pages
    doc.error = ""
    doc.state = DocumentState.READY


def _documents(version: FormVersion) -> dict[str, Document]:
    have = {d.format: d for d in version.documents}
    for fmt in FORMATS:
        if fmt not in have:
            have[fmt] = Document(version=version, format=fmt, state=DocumentState.QUEUED)
            db.session.add(have[fmt])
    return have


def build_documents(app: Flask, version_id: int) -> None:
    """Render, convert and store both copies of a version; commits as each is ready."""
    version = db.session.get(FormVersion, version_id)
    if version is None:
        raise LookupError(f"no form version {version_id}")
    docs = _documents(version)
    for doc in docs.values():
        if doc.state != DocumentState.READY:
            doc.attempts += 1
    db.session.commit()
    folder, relative = case_folder(app, version.form.case.number)
    stem = file_stem(version)
    annex = ANNEXES[version.form.annex]
    docx = render_docx(annex, version.data, meta_for(app, version))
    _store(docs["docx"], folder, relative, f"{stem}.docx", docx, 0)
    db.session.commit()
    pdf = to_pdf(docx)
    pages = pdf_pages(pdf)
    _store(docs["pdf"], folder, relative, f"{stem}.pdf", pdf, pages)
    docs["docx"].pages = pages  # the PDF is the Word file laid out: same pages
    db.session.commit()


def _record_failure(version_id: int, exc: BaseException, final: bool) -> None:
    db.session.rollback()
    docs = db.session.scalars(select(Document).where(Document.version_id == version_id)).all()
    reason = f"{type(exc).__name__}: {exc}"[:1000]
    for doc in docs:
        if doc.state != DocumentState.READY:
            doc.error = reason
            doc.state = DocumentState.FAILED if final else DocumentState.QUEUED
    db.session.commit()


@huey.task(retries=RETRIES, retry_delay=RETRY_DELAY, context=True)
@leased("documents")
def make_documents(version_id: int, task: Task | None = None) -> None:
    """The queue job: both copies of one version, retried, then failed with the reason."""
    final = task is None or not task.retries
    with app_context() as app:
        try:
            build_documents(app, version_id)
        except DocumentError as exc:  # the stored form cannot be rendered: retrying won't help
            _record_failure(version_id, exc, final=True)
            log.error("documents of version %s failed: %s", version_id, exc)
            return
        except Exception as exc:  # conversion, disk, a version not committed yet ...
            _record_failure(version_id, exc, final)
            log.warning("documents of version %s failed (%s): %s", version_id,
                        "final" if final else "will retry", exc)
            raise
        file_ready_version(version_id)  # a failure is recorded and retried, not raised


revivable("documents", make_documents)


@huey.periodic_task(crontab(minute="*/5"))
def requeue_stale_documents() -> int:
    """Hand copies left queued longer than LOST_AFTER back to the queue (a lost message, a
    worker that died mid-job); returns how many versions were queued again."""
    with app_context():
        cutoff = utcnow() - LOST_AFTER
        stale = db.session.scalars(
            select(Document.version_id).where(Document.state == DocumentState.QUEUED,
                                              Document.updated_at < cutoff).distinct()).all()
        for version_id in stale:
            db.session.execute(Document.__table__.update()
                               .where(Document.version_id == version_id,
                                      Document.state == DocumentState.QUEUED)
                               .values(updated_at=utcnow()))
        db.session.commit()
    for version_id in stale:
        make_documents(version_id)
    return len(stale)


# --- PDFs for the API -----------------------------------------------------------------------

@huey.task(retries=1, retry_delay=0, context=True)
def render_form_pdf(annex_code: str, data: dict[str, Any], meta: dict[str, Any],
                    task: Task | None = None) -> bytes:
    """Word and PDF/A of a form that belongs to no case: the document-generator API. The lease
    names the task's id, so that a job whose worker died is made again under that id and the
    caller's job URL still finds its PDF."""
    with holding("api_pdf", (annex_code, data, meta, task.id if task else "")):
        docx = render_docx(ANNEXES[annex_code], data, DocumentMeta(**meta))
        return to_pdf(docx)


def _render_form_pdf_again(annex_code: str, data: dict[str, Any], meta: dict[str, Any],
                           task_id: str) -> None:
    huey.enqueue(render_form_pdf.s(annex_code, data, meta, id=task_id or None))


revivable("api_pdf", _render_form_pdf_again)
