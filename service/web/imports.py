"""Pages of the bulk import: upload a ZIP, read the dry-run report, map unrecognised labels,
confirm; the import then runs on the queue with its progress, and its report stays
downloadable. Only an admin, a director or a supervisor may import. Scans that came in this way
are reviewed on the pages of :mod:`.scans`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from ..annexes import ANNEXES
from ..auth import audit
from ..auth.models import Role
from ..cases.access import IMPORTERS, case_filter, roles_required
from ..cases.imported import CONFIRMED, ImportedFile, ImportRun, RunState
from ..cases.models import Case, Original
from ..db import db
from ..forms.builder import FieldNameError
from ..imports.grouping import described
from ..imports.limits import MAX_UPLOAD_FILES
from ..jobs.imports.matching import NEW_CASE
from ..jobs.imports.model import DUPLICATE, ERROR, IMPORTED, NEEDS_REVIEW, WOULD_IMPORT
from ..jobs.imports.runs import (
    check_run_task,
    import_run_task,
    keep_files,
    mark_queued,
    upload_name,
)
from ..storage import atomic_write
from .taps import earlier_tap

bp = Blueprint("imports", __name__, url_prefix="/imports")
_ZIP_MAGIC = b"PK\x03\x04"
#: Files needing review listed on the imports page, oldest first.
REVIEW_LIST = 200
#: What each status of a file in an import's report is called on its page (the report, made to
#: be read by programs too, keeps the codes).
STATUS_NAMES = {
    IMPORTED: _l("imported"),
    WOULD_IMPORT: _l("would be imported"),
    DUPLICATE: _l("duplicate"),
    NEEDS_REVIEW: _l("needs review"),
    ERROR: _l("error"),
}
_NEW_CASE = re.compile("^" + re.escape(NEW_CASE).replace(re.escape("%(n)s"), r"(\d+)") + "$")


def case_label(text: str) -> str:
    """A report's case in the reader's language: a dry run's "new case 2", or a case number."""
    planned = _NEW_CASE.match(text or "")
    return _(NEW_CASE, n=planned.group(1)) if planned else text


def group_label(group: dict[str, Any]) -> str:
    """How the files of one future case were put together, in the reader's language (a report
    from before groups kept their key is shown as it was written)."""
    msgid, values = described(str(group.get("key", "")))
    return _(msgid, **values) if msgid else str(group.get("group", ""))


def _own_run(run_id: int) -> ImportRun:
    """The run, if the current person started it (or is an admin); 404 otherwise."""
    run = db.session.get(ImportRun, run_id)
    if run is None or (run.created_by_id != current_user.id
                       and not current_user.has_role(Role.ADMIN)):
        abort(404)
    return run


@bp.get("/")
@roles_required(*IMPORTERS)
def index() -> str:
    """The upload form and the person's earlier imports."""
    runs = db.session.scalars(select(ImportRun).where(ImportRun.created_by_id == current_user.id)
                              .order_by(ImportRun.id.desc()).limit(50))
    waiting = db.session.execute(
        select(ImportedFile, Case, Original)
        .join(Case, Case.id == ImportedFile.case_id)
        .join(Original, Original.id == ImportedFile.original_id)
        .where(ImportedFile.needs_review.is_(True), case_filter(current_user))
        .order_by(ImportedFile.id).limit(REVIEW_LIST)).all()
    return render_template("imports/index.html", runs=list(runs), waiting=waiting)


@bp.post("/")
@roles_required(*IMPORTERS)
def upload() -> Any:
    """Keep the upload (a ZIP, or the files themselves: a scan fresh from the office scanner)
    and have a queue worker dry-run it."""
    uploads = [f for f in request.files.getlist("archive") if f and f.filename]
    if not uploads:
        flash(_("Choose a ZIP of legacy forms, or the forms and scans themselves."), "error")
        return redirect(url_for("imports.index"))
    if len(uploads) > MAX_UPLOAD_FILES:
        flash(_("At most %(n)s files in one import.", n=MAX_UPLOAD_FILES), "error")
        return redirect(url_for("imports.index"))
    key, earlier = earlier_tap(ImportRun, lambda run: run.case_id is None)
    if earlier is not None:  # the same tap again: the upload it kept, checked once
        return redirect(url_for("imports.show", run_id=earlier.id))
    run = ImportRun(created_by_id=current_user.id, upload_name=upload_name(uploads),
                    request_key=key)
    mark_queued(run, RunState.CHECKING)
    db.session.add(run)
    db.session.flush()
    first = uploads[0].read()
    if len(uploads) == 1 and first.startswith(_ZIP_MAGIC):
        run.upload_path = f"imports/{run.id}/upload.zip"
        atomic_write(Path(current_app.config["WORK_ROOT"]) / run.upload_path, first)
    else:
        uploads[0].stream.seek(0)
        keep_files(run, uploads)
    db.session.commit()
    check_run_task(run.id)  # a worker dry-runs it (.doc files need LibreOffice): the page polls
    return redirect(url_for("imports.show", run_id=run.id))


@bp.get("/<int:run_id>")
@roles_required(*IMPORTERS)
def show(run_id: int) -> str:
    """The dry-run report to confirm, the progress of a running import, or its report."""
    run = _own_run(run_id)
    fields = {code: [(f.name, f.label) for f in annex] for code, annex in ANNEXES.items()}
    return render_template("imports/show.html", run=run, report=run.report or {},
                           fields=fields, titles={c: a.short_title for c, a in ANNEXES.items()},
                           status_names=STATUS_NAMES, case_label=case_label,
                           group_label=group_label)


@bp.post("/<int:run_id>/mapping")
@roles_required(*IMPORTERS)
def mapping(run_id: int) -> Any:
    """Map unrecognised labels to fields, and dry-run again with the mapping."""
    run = _own_run(run_id)
    if run.state != RunState.CHECKED:
        abort(409)
    chosen: dict[str, dict[str, str]] = {}
    unknown = []
    for key, value in request.form.items():
        if not key.startswith("map:"):
            continue
        _prefix, code, label = (key.split(":", 2) + ["", ""])[:3]
        if code not in ANNEXES or not label:
            unknown.append(key)
        elif value and value not in ANNEXES[code]:
            unknown.append(f"{key}={value}")
        elif value:
            chosen.setdefault(code, {})[label] = value
    if unknown:
        raise FieldNameError(unknown)
    run.mapping = chosen
    mark_queued(run, RunState.CHECKING)
    db.session.commit()
    check_run_task(run.id)
    flash(_("The mapping is applied; check the report again."), "info")
    return redirect(url_for("imports.show", run_id=run.id))


@bp.post("/<int:run_id>/confirm")
@roles_required(*IMPORTERS)
def confirm(run_id: int) -> Any:
    """Start the import on the queue."""
    run = _own_run(run_id)
    if run.state in CONFIRMED:  # the same tap again: it is already under way, or done
        return redirect(url_for("imports.show", run_id=run.id))
    if run.state != RunState.CHECKED:
        abort(409)
    mark_queued(run, RunState.QUEUED)
    run.done = 0
    audit.record("import.confirm", None, run=run.id)
    db.session.commit()
    import_run_task(run.id)
    return redirect(url_for("imports.show", run_id=run.id))


@bp.get("/<int:run_id>.json")
@roles_required(*IMPORTERS)
def progress(run_id: int) -> Any:
    """How far the import has got."""
    run = _own_run(run_id)
    return {"state": run.state, "done": run.done, "total": run.total, "step": run.step,
            "error": run.error,
            "summary": (run.report or {}).get("summary", {})}


@bp.get("/<int:run_id>/report.json")
@roles_required(*IMPORTERS)
def report(run_id: int) -> Response:
    """The report (dry run or final) as the JSON file the command writes."""
    run = _own_run(run_id)
    body = {k: v for k, v in (run.report or {}).items() if k != "unmapped"}
    return Response(json.dumps(body, ensure_ascii=False, indent=1),
                    mimetype="application/json", headers={
                        "Content-Disposition": f'attachment; filename="import-{run.id}.json"'})
