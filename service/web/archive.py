"""Pages of the archive: archived case files by year, category and grade; filings that failed,
with their reason and a retry; one bundle; a batch of bundles (one print file or a ZIP) with its
progress; the filed files themselves. Every page asks `cases.access` which cases the person may
see; an archivist's list shows a confidential case file masked, and nothing of it opens for
them."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..auth import audit
from ..auth.models import Role
from ..cases.access import (
    audit_confidential_opening,
    case_filter,
    listed_filter,
    roles_required,
)
from ..cases.archival import ArchiveFile, BundleRequest, FilingFailure
from ..cases.models import Case
from ..db import db
from ..jobs.archive.integrity import DamagedFile, checked_bytes, item_path, raise_alert
from ..jobs.archive.settings import init_policy
from ..jobs.archive.tasks import bundle_options, request_bundles, retry_filing
from ..storage import resolve_under
from .exports import send_export
from .taps import earlier_tap

bp = Blueprint("archive", __name__, url_prefix="/archive")
READERS = (Role.ARCHIVIST, Role.DIRECTOR, Role.SUPERVISOR)


@bp.record_once
def _check_policy(state: Any) -> None:
    """A bad archive policy stops the service at start-up with the policy's own message."""
    init_policy(state.app)


def visible_files() -> Any:
    """A select of the case files the current person may see."""
    return (select(ArchiveFile).join(Case, Case.id == ArchiveFile.case_id)
            .where(case_filter(current_user)))


def listed_files() -> Any:
    """A select of the case files the current person's list shows: those they may open and,
    for an archivist, confidential ones (shown masked, never opened)."""
    return (select(ArchiveFile).join(Case, Case.id == ArchiveFile.case_id)
            .where(listed_filter(current_user)))


def require_file(file_id: int) -> ArchiveFile:
    """The case file, if the current person may see its case; 404 otherwise."""
    record = db.session.scalar(visible_files().where(ArchiveFile.id == file_id))
    if record is None:
        abort(404)
    if record.case is not None and record.case.confidential:
        audit_confidential_opening(record.case, current_user, "archive")
    return record


@bp.get("/")
@roles_required(*READERS)
def index() -> str:
    """Archived case files, filtered by year, category and grade."""
    filters = {k: request.args.get(k, "").strip() for k in ("year", "category", "grade")}
    query = listed_files().order_by(ArchiveFile.year.desc(), ArchiveFile.dang_hao)
    if filters["year"].isdigit():
        query = query.where(ArchiveFile.year == int(filters["year"]))
    if filters["category"]:
        query = query.where(ArchiveFile.category == filters["category"])
    if filters["grade"]:
        query = query.where(ArchiveFile.grade == filters["grade"])
    files = list(db.session.scalars(query))
    everything = list(db.session.scalars(listed_files()))
    openable = set(db.session.scalars(visible_files().with_only_columns(ArchiveFile.id)))
    choices = {
        "year": sorted({f.year for f in everything}, reverse=True),
        "category": sorted({f.category for f in everything}),
        "grade": sorted({f.grade for f in everything}),
    }
    return render_template("archive/index.html", files=files, filters=filters,
                           choices=choices, openable=openable,
                           failures=visible_failures())


def visible_failures() -> list[FilingFailure]:
    """The unresolved failed filings of the cases the current person may see, oldest first."""
    return list(db.session.scalars(
        select(FilingFailure).join(Case, Case.id == FilingFailure.case_id)
        .where(FilingFailure.resolved_at.is_(None), case_filter(current_user))
        .order_by(FilingFailure.id)))


@bp.post("/failures/<int:failure_id>/retry")
@roles_required(*READERS)
def retry_failure(failure_id: int) -> Any:
    """Queue a failed filing again; the archive page shows whether it is still failing."""
    failure = db.session.scalar(
        select(FilingFailure).join(Case, Case.id == FilingFailure.case_id)
        .where(FilingFailure.id == failure_id, case_filter(current_user)))
    if failure is None:
        abort(404)
    if failure.resolved_at is None:
        audit.record("archive.retry", failure.case, failure=failure.id,
                     version=failure.version_id, error=failure.error)
        db.session.commit()
        retry_filing(failure.id)
        flash(_("The filing is being tried again."), "info")
    return redirect(url_for("archive.index"))


@bp.get("/<int:file_id>")
@roles_required(*READERS)
def show(file_id: int) -> str:
    """One case file: its 件, bundle pages, superseded files and moves."""
    record = require_file(file_id)
    return render_template("archive/show.html", record=record)


@bp.get("/<int:file_id>/files/<path:name>")
@roles_required(*READERS)
def download(file_id: int, name: str) -> Any:
    """A filed file, as it is in the archive."""
    record = require_file(file_id)
    item = next((i for i in record.items if i.filename == name), None)
    if item is None or item_path(record, item) is None:
        abort(404)
    try:
        data = checked_bytes(record, item)  # the SHA-256 filed with it, or nothing goes out
    except DamagedFile as error:
        return _damaged(error)
    return send_export(data, name, action="archive.download", case=record.case_id,
                       file=record.id)


def _damaged(error: DamagedFile) -> Any:
    """A damaged archived file: an alert in the audit trail, a clear page, no bytes."""
    db.session.rollback()
    raise_alert(error)
    db.session.commit()
    message = _("The archived file %(name)s is damaged: it is no longer the file that was "
                "filed (its SHA-256 differs). Nothing was sent; the damage is recorded. Restore "
                "it from a backup copy.", name=error.item.filename)
    return render_template("error.html", code=500, message=message), 500


@bp.post("/<int:file_id>/bundle")
@roles_required(*READERS)
def bundle(file_id: int) -> Any:
    """Queue one case file's printed bundle (``duplex=1``: every document on an odd page); the
    page that follows it offers the file when a worker has made it (LibreOffice draws the page
    numbers, so no web process binds bundles)."""
    record = require_file(file_id)
    return _queue_bundles([record.id], "pdf")


@bp.post("/bundles")
@roles_required(*READERS)
def batch() -> Any:
    """Queue bundles of the selected case files as one print file or a ZIP."""
    ids = [int(i) for i in request.form.getlist("file") if i.isdigit()]
    allowed = set(db.session.scalars(
        visible_files().with_only_columns(ArchiveFile.id).where(ArchiveFile.id.in_(ids))))
    if not ids or allowed != set(ids):
        abort(404 if ids else 400)
    return _queue_bundles(sorted(allowed), "zip" if request.form.get("output") == "zip" else "pdf")


def _queue_bundles(file_ids: list[int], output: str) -> Any:
    """Queue the bundles of ``file_ids`` and follow their progress; the same tap again (a
    double tap, a resent post) follows the batch it queued instead of binding it twice."""
    duplex = request.form.get("duplex") == "1"
    key, earlier = earlier_tap(BundleRequest, lambda row: row.file_ids == file_ids
                               and row.options == bundle_options(output, duplex))
    req = earlier or request_bundles(file_ids, output=output, duplex=duplex, by=current_user,
                                     key=key)
    return redirect(url_for("archive.progress", request_id=req.id))


def _own_request(request_id: int) -> BundleRequest:
    req = db.session.get(BundleRequest, request_id)
    if req is None or req.requested_by_id != current_user.id:
        abort(404)
    return req


@bp.get("/bundles/<int:request_id>")
@roles_required(*READERS)
def progress(request_id: int) -> str:
    """How far a batch has got; the page refreshes itself until it is done."""
    req = _own_request(request_id)
    return render_template("archive/progress.html", req=req)


@bp.get("/bundles/<int:request_id>.json")
@roles_required(*READERS)
def progress_json(request_id: int) -> Any:
    req = _own_request(request_id)
    return {"state": req.state, "done": req.done, "total": req.total, "error": req.error}


@bp.get("/bundles/<int:request_id>/file")
@roles_required(*READERS)
def batch_file(request_id: int) -> Any:
    """The finished print file or ZIP."""
    req = _own_request(request_id)
    path = resolve_under(current_app.config["WORK_ROOT"], req.path) if req.path else None
    if req.state != "ready" or path is None or not path.is_file():
        abort(404)
    kind = req.options.get("output", "pdf")
    return send_export(path, f"bundles-{req.id}.{kind}", action="archive.export",
                       request=req.id, files=list(req.file_ids or []))
