"""The archive's queue tasks: a batch of bundles requested from the archive page (queued again
if its message was lost), and failed filings tried again (every few minutes, and when an
archivist asks)."""

from __future__ import annotations

from typing import Any

from huey import crontab

from ...annexes.validate import N_
from ...cases.archival import BundleRequest, FilingFailure
from ...db import db
from ...i18n import message_of
from .. import app_context
from ..leases import leased, requeue_lost, revivable
from ..queue import huey
from .bundles import bundle_many
from .failures import file_ready_version, retry_all
from .integrity import DamagedFile, raise_alert
from .lookup import select_files
from .settings import ArchiveError, work_root


def request_bundles(file_ids: list[int], *, output: str, duplex: bool,
                    by: Any = None, key: str | None = None) -> BundleRequest:
    """Queue a batch of bundles; the archivist's page follows its progress. Commits.
    ``key``: the request that asks for it (``service.once``)."""
    if output not in ("pdf", "zip"):
        raise ArchiveError(N_("Unknown output %(output)s."), output=output)
    request = BundleRequest(file_ids=list(file_ids), total=len(file_ids),
                            options=bundle_options(output, duplex),
                            requested_by_id=getattr(by, "id", None), request_key=key)
    db.session.add(request)
    db.session.commit()
    run_bundle_request(request.id)
    return request


def bundle_options(output: str, duplex: bool) -> dict[str, Any]:
    """The options of a batch of bundles, as its request keeps them."""
    return {"output": output, "duplex": duplex}


@huey.task()
@leased("bundles")
def run_bundle_request(request_id: int) -> None:
    """The queue task behind :func:`request_bundles`, saving progress as it goes."""
    with app_context():
        request = db.session.get(BundleRequest, request_id)
        if request is None or request.state in ("ready", "failed"):
            return  # gone, or done by an earlier message of the same request
        request.state = "running"
        db.session.commit()
        output = request.options.get("output", "pdf")
        out = work_root() / "bundles" / f"bundle-{request.id}.{output}"

        def progress(done: int, total: int) -> None:
            request.done, request.total = done, total
            db.session.commit()

        try:
            records = select_files(ids=request.file_ids)
            bundle_many(records, out, output=output,
                        duplex=bool(request.options.get("duplex")), progress=progress)
        except Exception as exc:  # noqa: BLE001 - any failure is shown to the archivist
            db.session.rollback()
            if isinstance(exc, DamagedFile):
                raise_alert(exc)
            request.state, request.error = "failed", message_of(exc)[:2000]
        else:
            request.state, request.path = "ready", str(out.relative_to(work_root()))
        db.session.commit()


revivable("bundles", run_bundle_request)


@huey.periodic_task(crontab(minute="*/5"))
def requeue_lost_bundles() -> int:
    """Queue again each bundle request still waiting long after it was queued (its message
    lost); how many were."""
    return requeue_lost(BundleRequest, ("queued",),
                        lambda request_id, _state: run_bundle_request(request_id))


@huey.periodic_task(crontab(minute="*/5"))
def retry_failed_filings() -> tuple[int, int]:
    """File again every version whose filing failed; (how many were tried, how many filed)."""
    with app_context():
        return retry_all()


@huey.task()
@leased("filing_retry")
def retry_filing(failure_id: int) -> bool:
    """An archivist's retry of one failed filing; whether it is now filed (or was already)."""
    with app_context():
        failure = db.session.get(FilingFailure, failure_id)
        if failure is None or failure.resolved_at is not None:
            return True
        return file_ready_version(failure.version_id)


revivable("filing_retry", retry_filing)
