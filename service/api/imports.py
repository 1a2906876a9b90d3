"""API: bring legacy files in (``importFiles``) and follow the run (``getImport``).

The upload is kept and the run is handed to the queue at once: reading Word, .doc, PDF,
spreadsheets and scans may take LibreOffice or OCR, which never run in a web process. The run is
the caller's: it writes only what the caller may write, and only the caller (or an
administrator) may read it back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app, request, url_for
from flask_babel import gettext
from werkzeug.datastructures import FileStorage

from ..auth.models import Role
from ..cases.access import IMPORTERS
from ..cases.imported import ImportRun, RunState
from ..db import db
from ..imports.limits import MAX_UPLOAD_FILES
from ..jobs.imports.runs import keep_files, mark_queued, queue_run, upload_name
from ..once import made_under, request_key
from . import bp
from .auth import api_user, token_required
from .idempotency import IDEMPOTENCY, idempotency_key
from .problems import ApiProblem
from .spec import json_response, operation, path_param, problems

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}

_RUN_SCHEMA = {
    "type": "object",
    "required": ["id", "state", "dry_run"],
    "properties": {
        "id": {"type": "integer"},
        "state": {"type": "string", "enum": [s.value for s in RunState]},
        "dry_run": {"type": "boolean"},
        "files": {"type": "array", "items": {"type": "string"}},
        "done": {"type": "integer"}, "total": {"type": "integer"},
        "percent": {"type": "integer"},
        "step": {"type": "object", "description": "While a scan is read: the file and its page "
                 "being read (`file`, `page`, `pages`); empty otherwise.",
                 "properties": {"file": {"type": "string"}, "page": {"type": "integer"},
                                "pages": {"type": "integer"}}},
        "error": {"type": "string"},
        "report": {"type": "object", "description": "The import report: `files` (each with "
                   "its status, annex, case and `fields`), `groups`, `summary`, `unmapped`."},
        "created_at": {"type": "string", "format": "date-time"},
        "finished_at": {"type": ["string", "null"], "format": "date-time"},
    },
}
_RUN_EXAMPLE = {"id": 7, "state": "checked", "dry_run": True, "files": ["接案表-王建国.docx"],
                "done": 0, "total": 1, "percent": 0, "step": {}, "error": "",
                "report": {"summary": {"would_import": 1}, "files": [], "groups": [],
                           "unmapped": {}},
                "created_at": "2024-05-08T09:30:00", "finished_at": "2024-05-08T09:30:02"}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def run_detail(run: ImportRun) -> dict[str, Any]:
    """A run as the API shows it: its state, progress and report."""
    upload = Path(current_app.config["WORK_ROOT"]) / run.upload_path
    names = sorted(p.name for p in upload.iterdir()) if upload.is_dir() else [run.upload_name]
    dry_run = run.state in (RunState.CHECKING, RunState.CHECKED) or bool(
        (run.report or {}).get("dry_run"))  # a failed run keeps what it was asked to be
    return {"id": run.id, "state": run.state, "dry_run": dry_run,
            "files": names, "done": run.done, "total": run.total, "percent": run.percent,
            "step": run.step or {}, "error": run.error, "report": run.report or {},
            "created_at": _iso(run.created_at), "finished_at": _iso(run.finished_at)}


def _dry_run_switch() -> bool:
    value = (request.form.get("dry_run") or request.args.get("dry_run") or "true").lower()
    if value not in _TRUE | _FALSE:
        raise ApiProblem(422, gettext("dry_run is true or false."), kind="invalid-data",
                         errors=[{"field": "dry_run", "detail": "true | false"}])
    return value in _TRUE


def _uploads() -> list[FileStorage]:
    files = [f for f in request.files.getlist("files") if f and f.filename]
    if not files:
        raise ApiProblem(422, gettext("Send one or more files in the field \"files\"."),
                         kind="invalid-data",
                         errors=[{"field": "files", "detail": gettext("This field is required.")}])
    if len(files) > MAX_UPLOAD_FILES:
        raise ApiProblem(413, gettext("At most %(n)s files in one import.", n=MAX_UPLOAD_FILES))
    return files


@bp.post("/imports")
@operation(
    "importFiles", summary="Import legacy files (Word, .doc, .odt, PDF, spreadsheets, scans, "
                           "ZIPs of them) as the caller; a dry run by default.",
    description="Send `multipart/form-data` with one or more `files` and `dry_run` (`true` by "
                "default: read and report, write nothing). The run is queued at once and "
                "answered with 202 and its `Location`; poll getImport until its state is "
                "`checked` (dry run), `done` or `failed`. Forms are attached only to open cases "
                "the caller may edit. With an `Idempotency-Key`, the same request again (a "
                "retry whose answer was lost) answers the run it started, with "
                "`Idempotent-Replayed: true`, rather than keeping the files twice.",
    parameters=[IDEMPOTENCY],
    request={"required": True, "content": {"multipart/form-data": {
        "schema": {"type": "object", "required": ["files"], "properties": {
            "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
            "dry_run": {"type": "boolean", "default": True}}},
        "example": {"files": ["接案表-王建国.docx"], "dry_run": "true"}}}},
    responses={"202": json_response(
        "The run, queued.", _RUN_SCHEMA, _RUN_EXAMPLE | {"state": "checking", "report": {},
                                                        "finished_at": None},
        headers={"Location": {"schema": {"type": "string"}}}),
        **problems(413, 422, _403="The caller's roles do not import.")})
@token_required
def import_files() -> Any:
    """Keep the uploaded files and queue their dry run or import."""
    user = api_user()
    if not user.has_role(*IMPORTERS):
        raise ApiProblem(403, gettext("Only administrators, directors and supervisors "
                                      "import files."))
    dry_run = _dry_run_switch()
    files = _uploads()
    key = request_key("api", user, idempotency_key(required=False))
    headers = {}
    earlier = made_under(ImportRun, key)
    if earlier is None:
        run = ImportRun(created_by_id=user.id, upload_name=upload_name(files),
                        report={"dry_run": dry_run}, request_key=key)
        mark_queued(run, RunState.CHECKING if dry_run else RunState.QUEUED)
        db.session.add(run)
        db.session.flush()
        keep_files(run, files)
        db.session.commit()
        queue_run(run.id, run.state)
        db.session.expire_all()
        run = db.session.get_one(ImportRun, run.id)
    else:  # the same request again: the run it started, as it stands now
        db.session.commit()
        run = earlier
        headers["Idempotent-Replayed"] = "true"
    headers["Location"] = url_for("api.get_import", run_id=run.id)
    return run_detail(run), 202, headers


@bp.get("/imports/<int:run_id>")
@operation(
    "getImport", summary="An import run: its state, progress and report.",
    parameters=[path_param("run_id", "The run's id.", 7)],
    responses={"200": json_response("The run.", _RUN_SCHEMA, _RUN_EXAMPLE), **problems(404)})
@token_required
def get_import(run_id: int) -> Any:
    """One of the caller's import runs."""
    run = db.session.get(ImportRun, run_id)
    user = api_user()
    if run is None or (run.created_by_id != user.id and not user.has_role(Role.ADMIN)):
        raise ApiProblem(404, gettext("No such import, or not one you may see."))
    return run_detail(run)
