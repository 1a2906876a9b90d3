"""Failed filings: a filing the documents jobs' hook could not make is recorded with its reason
(never only logged), retried by the periodic task or on an archivist's request, and resolved
once the version is filed."""

from __future__ import annotations

import logging

from sqlalchemy import select

from ...cases.archival import FilingFailure
from ...cases.models import FormVersion
from ...db import db, utcnow
from .filing import on_documents_ready

log = logging.getLogger(__name__)


def file_ready_version(version_id: int) -> bool:
    """File a version whose copies are ready (see :func:`.filing.on_documents_ready`).

    A failure is rolled back, logged and recorded as a :class:`FilingFailure`; a success
    resolves the version's recorded failures. Whether it filed; commits either way.
    """
    try:
        on_documents_ready(version_id)
    except Exception as exc:
        db.session.rollback()
        log.exception("filing version %s into the archive failed", version_id)
        record_failure(version_id, exc)
        return False
    now = utcnow()
    for failure in unresolved(version_id):
        failure.resolved_at = failure.tried_at = now
    db.session.commit()
    return True


def unresolved(version_id: int | None = None) -> list[FilingFailure]:
    """The failed filings not yet resolved (of one version if given), oldest first."""
    query = select(FilingFailure).where(FilingFailure.resolved_at.is_(None))
    if version_id is not None:
        query = query.where(FilingFailure.version_id == version_id)
    return list(db.session.scalars(query.order_by(FilingFailure.id)))


def record_failure(version_id: int, exc: BaseException) -> FilingFailure | None:
    """Keep the reason a version's filing failed: a new failure, or one more attempt of the
    version's open one. Commits."""
    version = db.session.get(FormVersion, version_id)
    if version is None:
        return None
    reason = f"{type(exc).__name__}: {exc}"[:2000]
    open_ones = unresolved(version_id)
    if open_ones:
        failure = open_ones[0]
        failure.error, failure.attempts, failure.tried_at = reason, failure.attempts + 1, utcnow()
    else:
        failure = FilingFailure(case_id=version.form.case_id, version_id=version_id, error=reason)
        db.session.add(failure)
    db.session.commit()
    return failure


def retry_all() -> tuple[int, int]:
    """Try every unresolved failure again; (how many were tried, how many filed)."""
    versions = sorted({f.version_id for f in unresolved()})
    filed = sum(1 for version_id in versions if file_ready_version(version_id))
    return len(versions), filed
