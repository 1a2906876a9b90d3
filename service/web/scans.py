"""Pages of imported scans and originals: a scan comes in as a draft that needs review;
whoever may write the case's forms types the form beside the scan (shown as pictures, each
field beside the picture of its cell), and submits it the way a typed form is submitted. A
filled paper form is brought back from its case's page (read on the queue, attached to that
case). The originals of a case are downloadable by whoever may see the case. The routes belong
to the imports blueprint (:mod:`.imports`).
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from ..annexes import ANNEXES, OPENING, Annex
from ..auth import audit
from ..cases import lifecycle, workflow
from ..cases.access import can_edit_case, can_review, require_case
from ..cases.errors import CaseError, Invalid
from ..cases.imported import ImportedFile, ImportRun, RunState
from ..cases.models import Case, FormRecord, FormState, Original
from ..db import db, utcnow
from ..forms.builder import AnnexForm, form_for, parse_formdata
from ..imports import ImportFailure
from ..imports.limits import MAX_UPLOAD_FILES
from ..imports.scans import needs_pages, picture_type, scan_pages
from ..jobs.imports.runs import import_run_task, keep_files, mark_queued, upload_name
from ..paper import read as paper_read
from ..paper.ocr import DROPPED_MARK
from ..storage import resolve_under
from .cases import STATE_NAMES
from .exports import send_export
from .imports import bp
from .taps import earlier_tap

#: How long the case page lists paper brought in from it.
RUNS_SHOWN = timedelta(days=2)


@dataclass
class CaseImports:
    """What a case page shows of imports: its originals, and its scans waiting for review."""

    originals: list[Original]
    waiting: list[ImportedFile]
    may_review: bool
    may_bring: bool  # may bring filled paper in from the case's page
    runs: list[ImportRun]  # paper brought in from the case's page lately, being read or read


@bp.app_template_global()
def imports_of(case: Case) -> CaseImports:
    """The originals and the scans needing review of ``case`` (the case page's sections)."""
    originals = db.session.scalars(select(Original).where(Original.case_id == case.id)
                                   .order_by(Original.id)).all()
    waiting = db.session.scalars(select(ImportedFile).where(
        ImportedFile.case_id == case.id, ImportedFile.needs_review.is_(True))
        .order_by(ImportedFile.id)).all()
    runs = db.session.scalars(select(ImportRun).where(
        ImportRun.case_id == case.id, ImportRun.created_at >= utcnow() - RUNS_SHOWN)
        .order_by(ImportRun.id.desc()).limit(5)).all()
    may_edit = can_edit_case(current_user, case, seen=True)
    return CaseImports(list(originals), list(waiting), bool(waiting) and may_edit, may_edit,
                       list(runs))


@bp.post("/case/<int:case_id>/paper")
@login_required
def bring_paper(case_id: int) -> Any:
    """Filled paper forms of this case, scanned (or typed files): kept, read on the queue and
    attached to this case, each read scan waiting for a person to check and type."""
    case = require_case(case_id)
    if not can_edit_case(current_user, case, seen=True):
        abort(403)
    uploads = [f for f in request.files.getlist("paper") if f and f.filename]
    if not uploads or len(uploads) > MAX_UPLOAD_FILES:
        flash(_("Choose the scanned pages (PDF, JPEG, PNG or TIFF), at most %(n)s files.",
                n=MAX_UPLOAD_FILES), "error")
        return redirect(url_for("cases.show", case_id=case.id))
    key, earlier = earlier_tap(ImportRun, lambda run: run.case_id == case.id)
    if earlier is None:  # (otherwise the same tap again: the pages it kept are being read)
        run = ImportRun(created_by_id=current_user.id, case_id=case.id, request_key=key,
                        upload_name=upload_name(uploads), report={"dry_run": False})
        _keep_paper(run, uploads, case)
    flash(_("The paper is being read; what it holds will wait below for you to check."), "info")
    return redirect(url_for("cases.show", case_id=case.id) + "#paper")


def _keep_paper(run: ImportRun, uploads: list[Any], case: Case) -> None:
    """Keep the scanned pages of ``run`` and queue their reading."""
    mark_queued(run, RunState.QUEUED)
    db.session.add(run)
    db.session.flush()
    keep_files(run, uploads)
    audit.record("import.paper", case, run=run.id, files=len(uploads))
    db.session.commit()
    import_run_task(run.id)


def _imported(imported_id: int) -> tuple[ImportedFile, Case, Original]:
    """The imported file, its case and its original, if the user may see the case; else 404."""
    imported = db.session.get(ImportedFile, imported_id)
    if imported is None:
        abort(404)
    case = require_case(imported.case_id)
    original = db.session.get(Original, imported.original_id)
    if original is None:
        abort(404)
    return imported, case, original


def _original_path(original: Original) -> Path:
    path = resolve_under(current_app.config["WORK_ROOT"], original.path)
    if path is None or not path.is_file():
        abort(404)
    return path


def _head(path: Path) -> bytes:
    with path.open("rb") as f:
        return f.read(8)


def _pages_folder(original: Original) -> Path:
    folder = resolve_under(current_app.config["WORK_ROOT"],
                           f"imports/scans/{original.sha256.lower()}")
    if folder is None or not original.sha256.isalnum():
        abort(404)
    return folder


def _page_count(original: Original) -> tuple[int, str]:
    """How many pictures the scan shows as, and why none can be shown (if so)."""
    path = _original_path(original)
    head = _head(path)
    if picture_type(head):
        return 1, ""
    if not needs_pages(head):
        return 0, _("This file cannot be shown here; download the original.")
    try:
        return len(scan_pages(path, _pages_folder(original))), ""
    except ImportFailure as e:
        return 0, str(e)


def _review_record(case: Case, imported: ImportedFile, code: str) -> FormRecord | None:
    """The form this review writes into, if it exists yet: its own draft, or the case's B or D."""
    if imported.form_id is not None:
        record = db.session.get(FormRecord, imported.form_id)
        if record is not None and record.annex == code and record.case_id == case.id:
            return record
    if not ANNEXES[code].repeats and case.forms_of(code):
        return case.forms_of(code)[0]
    return None


def _chosen_annex(imported: ImportedFile, source: Any) -> str:
    code = str(source.get("annex") or "").upper()
    if code in ANNEXES:
        return code
    record = db.session.get(FormRecord, imported.form_id) if imported.form_id else None
    return record.annex if record is not None else OPENING.code


def _locked(record: FormRecord | None) -> bool:
    """A form waiting for its sign-off, or signed off, is not written from a scan."""
    return record is not None and record.state in (FormState.SUBMITTED, FormState.APPROVED)


@dataclass
class ReadCell:
    """A field read from the scan, as the review shows it: its cell's image beside it."""

    field: str
    label: str
    value: Any
    flagged: bool
    reason: str
    image: str  # a data: URL of the cell as scanned, or ""


#: The paper engine's reasons for flagging a value, in the reader's language.
_REASONS = {
    paper_read.HANDWRITTEN: _l("Handwritten or unclear: type it from the picture."),
    paper_read.WRITE_IN: _l("Written in by hand: type it from the picture."),
    paper_read.UNREAD_INK: _l("There is ink where no text was read: part of it may be missing."),
    DROPPED_MARK: _l("A mark at the end of a line (a full stop?) was not read."),
    paper_read.NOT_VALID: _l("What was read is not a valid value here."),
    paper_read.CELLS_DIFFER: _l("The table's cells differ from the printed form's."),
    paper_read.OTHER_TEMPLATE: _l("Printed from another version of the form."),
}
_REASON_PREFIXES = {
    paper_read.BORDERLINE: _l("Between ticked and empty: %(detail)s"),
    paper_read.MANY_TICKED: _l("More than one box ticked: %(detail)s"),
    paper_read.OCR_FAILED: _l("The text could not be read: %(detail)s"),
}


def reason_text(reason: str) -> str:
    """A flag's reason in the reader's language (as it came when it is not a known one)."""
    if reason in _REASONS:
        return str(_REASONS[reason])
    for prefix, message in _REASON_PREFIXES.items():
        if reason.startswith(prefix):
            return str(message) % {"detail": reason[len(prefix):]}
    return reason


def read_cells(imported: ImportedFile, code: str) -> list[ReadCell]:
    """What the scan's reading found for the form ``code``, the unsure fields first."""
    if imported.annex != code or not imported.fields:
        return []
    annex = ANNEXES[code]
    notes = annex.note_keys
    cells = []
    for f in imported.fields:
        name = str(f.get("field", ""))
        if name in annex:
            label = annex[name].label
        elif name in notes:
            label = f"{notes[name][0].label}（{notes[name][1].text}）"
        else:
            continue
        image = ""
        path = resolve_under(current_app.config["WORK_ROOT"], str(f.get("cell") or ""))
        if f.get("cell") and path is not None and path.is_file():
            image = "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()
        cells.append(ReadCell(name, label, f.get("value"), bool(f.get("flagged")),
                              reason_text(str(f.get("reason") or "")), image))
    cells.sort(key=lambda c: not c.flagged)
    return cells


def crops_by_field(annex: Annex, cells: list[ReadCell]) -> dict[str, ReadCell]:
    """Each field's picture of its cell, to show beside its input; a write-in's goes beside
    the options it belongs to (one picture a cell: the unsure one when there are two)."""
    notes = annex.note_keys
    crops: dict[str, ReadCell] = {}
    for c in cells:  # unsure first
        if not c.image:
            continue
        name = c.field if c.field in annex else notes[c.field][0].name
        crops.setdefault(name, c)
    return crops


def _render_review(imported: ImportedFile, case: Case, original: Original, code: str,
                   form: AnnexForm, record: FormRecord | None, status: int = 200) -> Any:
    pages, problem = _page_count(original)
    has_errors = any(f.errors for f in form) or bool(form.submission_token.errors)
    cells = read_cells(imported, code)
    return render_template(
        "imports/review.html", imported=imported, case=case, original=original,
        annex=ANNEXES[code], annexes=ANNEXES, form=form, record=record, pages=pages,
        scan_problem=problem, locked=_locked(record) or not case.is_open,
        reviewer=can_review(current_user, case, seen=True), state_names=STATE_NAMES,
        has_errors=has_errors, cells=cells, crops=crops_by_field(ANNEXES[code], cells)), status


@bp.get("/review/<int:imported_id>")
@login_required
def review(imported_id: int) -> Any:
    """The scan beside the form the reviewer chose (B unless they pick C or D)."""
    imported, case, original = _imported(imported_id)
    if not can_edit_case(current_user, case, seen=True):
        abort(403)
    if not imported.needs_review:
        flash(_("This scan has already been reviewed."), "info")
        return redirect(url_for("cases.show", case_id=case.id))
    code = _chosen_annex(imported, request.args)
    record = _review_record(case, imported, code)
    form = form_for(ANNEXES[code], data=record.data if record is not None else {})
    form.submission_token.data = uuid.uuid4().hex
    audit.record("import.review.view", case, imported=imported.id, original=original.id)
    db.session.commit()
    return _render_review(imported, case, original, code, form, record)


@bp.post("/review/<int:imported_id>")
@login_required
def submit_review(imported_id: int) -> Any:
    """Submit the form typed from the scan; the scan no longer needs review."""
    imported, case, original = _imported(imported_id)
    if not imported.needs_review:
        flash(_("This scan has already been reviewed."), "info")
        return redirect(url_for("cases.show", case_id=case.id))
    if not can_edit_case(current_user, case, seen=True):
        abort(403)
    code = _chosen_annex(imported, request.form)
    record = _review_record(case, imported, code)
    if _locked(record):
        abort(409)
    if record is None:
        try:
            record = lifecycle.new_form(case, code, by=current_user)
        except CaseError as e:
            flash(e.message, "error")
            return redirect(url_for("imports.review", imported_id=imported.id))
    imported.form_id = record.id
    annex = ANNEXES[code]
    posted = parse_formdata(annex, request.form)
    try:
        version = workflow.submit(record, posted, by=current_user,
                                  idempotency_key=request.form.get("submission_token") or None
                                  ).version
    except Invalid as invalid:
        workflow.save_draft(record, posted, by=current_user)
        db.session.commit()
        form = form_for(annex, formdata=request.form)
        form.attach(invalid.problems)
        return _render_review(imported, case, original, code, form, record, status=422)
    except CaseError as e:
        db.session.rollback()
        flash(e.message, "error")
        return redirect(url_for("cases.show", case_id=case.id))
    assert version is not None
    _mark_reviewed(imported, original, record, version.id)
    audit.record("import.review", case, imported=imported.id, original=original.id,
                 form=record.annex, seq=record.seq, version=version.number)
    db.session.commit()
    flash(_("Submitted. The Word and PDF copies are being made."), "ok")
    return redirect(url_for("cases.show", case_id=case.id))


def _mark_reviewed(imported: ImportedFile, original: Original, record: FormRecord,
                   version_id: int) -> None:
    """The scan is done: who reviewed it and when, and the form version it became."""
    imported.needs_review = False
    imported.reviewed_by_id = current_user.id
    imported.reviewed_at = utcnow()
    imported.annex = record.annex
    imported.version_id = version_id
    if original.version_id is None:  # the scan is filed with the form it became
        original.version_id = version_id


@bp.get("/review/<int:imported_id>/page/<int:page>")
@login_required
def scan_page(imported_id: int, page: int) -> Any:
    """One page of the scan as a picture: the image itself, or a PDF/TIFF page as PNG."""
    _imported_file, _case, original = _imported(imported_id)
    path = _original_path(original)
    head = _head(path)
    mime = picture_type(head)
    if mime is not None:
        if page != 1:
            abort(404)
        return send_file(path, mimetype=mime, max_age=0)
    if not needs_pages(head):
        abort(404)
    try:
        pages = scan_pages(path, _pages_folder(original))
    except ImportFailure:
        abort(404)
    if not 1 <= page <= len(pages):
        abort(404)
    return send_file(pages[page - 1], mimetype="image/png", max_age=0)


@bp.get("/cases/<int:case_id>/originals/<int:original_id>")
@login_required
def original(case_id: int, original_id: int) -> Any:
    """An imported original, byte for byte (a PDF marked with who took it), to whoever may
    see the case."""
    case = require_case(case_id)
    kept = db.session.get(Original, original_id)
    if kept is None or kept.case_id != case.id:
        abort(404)
    path = _original_path(kept)
    name = Path(kept.filename.split("#")[0]).name or f"original-{kept.id}"
    return send_export(path, name, action="original.download", case=case, original=kept.id,
                       sha256=kept.sha256)
