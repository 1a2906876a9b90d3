"""Pages of the case workspace: the case list, a case, its forms (edit, autosave, submit)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice

from ..annexes import ANNEXES, CLOSING, INTAKE, INTERVIEW
from ..annexes.process import (
    MAX_REPRESENTATIVES,
    OPEN_STAGES,
    SCREENING,
    STAGE_ORDER,
    RiskGrade,
    SpecialProcess,
    Stage,
)
from ..annexes.validate import clean, is_blank
from ..auth import audit
from ..auth.access import can_edit_case, can_review, require_case, visible_cases
from ..auth.models import Role
from ..cases import lifecycle, review
from ..cases.models import (
    Case,
    Document,
    DocumentState,
    FormRecord,
    FormState,
    FormVersion,
)
from ..db import db
from ..forms.builder import form_for, parse_formdata
from ..jobs.documents import enqueue_documents
from .exports import send_export

bp = Blueprint("cases", __name__)

STATE_NAMES = {
    FormState.DRAFT: _l("Draft"),
    FormState.SUBMITTED: _l("Submitted for review"),
    FormState.RETURNED: _l("Returned"),
    FormState.APPROVED: _l("Approved"),
}
DOC_STATES = {
    DocumentState.QUEUED: _l("queued"),
    DocumentState.READY: _l("ready"),
    DocumentState.FAILED: _l("failed"),
}
MAX_DRAFT_BYTES = 4 * 1024 * 1024


def require_form(case: Case, form_id: int) -> FormRecord:
    """The form of ``case`` with this id; 404 for any other (the case is already checked)."""
    record = db.session.get(FormRecord, form_id)
    if record is None or record.case_id != case.id:
        abort(404)
    return record


@bp.get("/")
@login_required
def home() -> Any:
    return redirect(url_for("cases.index"))


@bp.get("/cases")
@login_required
def index() -> Any:
    q = request.args.get("q", "").strip()[:40]
    query = visible_cases(current_user).order_by(Case.id.desc()).limit(200)
    if q:
        query = query.where(Case.number.contains(q))
    cases = db.session.scalars(query).all()
    can_open = current_user.has_role(Role.WORKER, Role.SUPERVISOR, Role.DIRECTOR)
    return render_template("cases/index.html", cases=cases, q=q, can_open=can_open)


@bp.post("/cases/new")
@login_required
def open_new() -> Any:
    if not current_user.has_role(Role.WORKER, Role.SUPERVISOR, Role.DIRECTOR):
        abort(403)
    case = lifecycle.open_case(worker=current_user)
    record = lifecycle.new_form(case, INTAKE.code, by=current_user)
    audit.record("case.open", case)
    db.session.commit()
    return redirect(url_for("cases.edit_form", case_id=case.id, form_id=record.id))


def _options(values: Any, empty: Any = None) -> list[SelectChoice]:
    """Choices of official texts (translated for display), with an optional empty first."""
    choices = [SelectChoice("", empty)] if empty is not None else []
    return choices + [SelectChoice(v.value, _l(v.value)) for v in values]


class ProfileForm(FlaskForm):
    """A case's process stage, screening (7.1.2), special process (7.2) and risk grade."""

    stage = SelectField(_l("Stage"), choices=_options(OPEN_STAGES))
    special_process = SelectField(_l("Special process (7.2)"),
                                  choices=_options(SpecialProcess, _l("None")))
    representatives = TextAreaField(_l("Representatives"))
    risk_grade = SelectField(_l("Risk grade"), choices=_options(RiskGrade, _l("Not graded")))
    confidential = BooleanField(_l("Confidential case"))


for _q in SCREENING:
    setattr(ProfileForm, f"screen_{_q.key}", RadioField(
        _l(_q.text), default="", choices=[SelectChoice("yes", _l("Yes")),
                                          SelectChoice("no", _l("No")),
                                          SelectChoice("", _l("Not yet"))]))


def _profile_form(case: Case, formdata: Any = None) -> ProfileForm:
    data = {"stage": case.stage, "special_process": case.special_process or "",
            "representatives": "\n".join(case.representatives or []),
            "risk_grade": case.risk_grade or "", "confidential": case.confidential}
    for q in SCREENING:
        answer: Any = (case.screening or {}).get(q.key)
        data[f"screen_{q.key}"] = {True: "yes", False: "no"}.get(answer, "")
    return ProfileForm(formdata=formdata, data=data)


@bp.get("/cases/<int:case_id>")
@login_required
def show(case_id: int) -> Any:
    case = require_case(case_id)
    audit.record("case.view", case)
    db.session.commit()
    return render_template(
        "cases/show.html", case=case, annexes=ANNEXES, stages=list(STAGE_ORDER),
        state_names=STATE_NAMES, doc_states=DOC_STATES,
        can_edit=can_edit_case(current_user, case, seen=True),
        can_sign=can_review(current_user, case, seen=True), addable=_addable(case), profile=_profile_form(case), screening=SCREENING,
        max_representatives=MAX_REPRESENTATIVES)


def _addable(case: Case) -> list[str]:
    if not case.is_open:
        return []
    codes = [] if case.forms_of(INTAKE.code) else [INTAKE.code]
    codes.append(INTERVIEW.code)
    if not case.forms_of(CLOSING.code):
        codes.append(CLOSING.code)
    return codes


@bp.post("/cases/<int:case_id>/profile")
@login_required
def update_profile(case_id: int) -> Any:
    case = require_case(case_id)
    if not can_edit_case(current_user, case):
        abort(403)
    form = _profile_form(case, request.form)
    representatives = [r.strip() for r in (form.representatives.data or "").splitlines()
                       if r.strip()]
    if not form.validate():
        flash(_("The case details were not saved."), "error")
        return redirect(url_for("cases.show", case_id=case.id))
    if len(representatives) > MAX_REPRESENTATIVES:
        flash(_("A collective petition has at most %(n)s representatives.",
                n=MAX_REPRESENTATIVES), "error")
        return redirect(url_for("cases.show", case_id=case.id))
    before = _profile_snapshot(case)
    lifecycle.set_stage(case, Stage(form.stage.data))
    case.special_process = form.special_process.data or None
    case.representatives = representatives
    case.risk_grade = form.risk_grade.data or None
    case.confidential = bool(form.confidential.data)
    case.screening = {q.key: {"yes": True, "no": False}.get(form[f"screen_{q.key}"].data)
                      for q in SCREENING if form[f"screen_{q.key}"].data}
    audit.record("case.update", case, before=before, after=_profile_snapshot(case))
    db.session.commit()
    flash(_("Saved."), "ok")
    return redirect(url_for("cases.show", case_id=case.id))


def _profile_snapshot(case: Case) -> dict[str, Any]:
    return {"stage": case.stage, "special_process": case.special_process,
            "representatives": list(case.representatives or []),
            "risk_grade": case.risk_grade, "confidential": case.confidential,
            "screening": dict(case.screening or {})}


@bp.post("/cases/<int:case_id>/forms/<annex_code>")
@login_required
def add_form(case_id: int, annex_code: str) -> Any:
    case = require_case(case_id)
    if annex_code not in ANNEXES or not can_edit_case(current_user, case):
        abort(404 if annex_code not in ANNEXES else 403)
    record = lifecycle.new_form(case, annex_code, by=current_user)
    db.session.commit()
    return redirect(url_for("cases.edit_form", case_id=case.id, form_id=record.id))


def _reviewer_values(annex: Any, data: dict[str, Any]) -> dict[str, Any]:
    """The reviewer's cells as they stand: a worker's submission cannot change them."""
    return {f.name: data.get(f.name) for f in annex if f.reviewer_only}


def _editor_mode(case: Case, record: FormRecord) -> tuple[bool, Any]:
    """(readonly, reviewer) for the current user and this form.

    A form waiting for review opens for a reviewer in "only" mode: the reviewer's cells are
    open, the worker's are shown but locked, and the page approves or returns (8.3).
    """
    editable = (can_edit_case(current_user, case, seen=True)
                and record.state != FormState.APPROVED)
    reviewer = can_review(current_user, case, seen=True)
    if reviewer and record.state == FormState.SUBMITTED:
        return False, "only"
    return not editable, reviewer


@bp.route("/cases/<int:case_id>/forms/<int:form_id>", methods=["GET", "POST"])
@login_required
def edit_form(case_id: int, form_id: int) -> Any:
    case = require_case(case_id)
    record = require_form(case, form_id)
    annex = ANNEXES[record.annex]
    readonly, reviewer = _editor_mode(case, record)
    if request.method == "GET":
        form = form_for(annex, data=record.data)
        form.submission_token.data = uuid.uuid4().hex
        return render_form_page(case, record, form, readonly=readonly, reviewer=reviewer)
    if readonly or reviewer == "only":
        abort(403)
    posted = parse_formdata(annex, request.form)  # CSRF is checked before any view runs
    data, problems, stored = checked_submission(record, posted, reviewer=bool(reviewer))
    if problems:
        lifecycle.save_draft(record, posted, by=current_user)
        db.session.commit()
        form = form_for(annex, formdata=request.form)
        form.attach(problems)
        return render_form_page(case, record, form, readonly=readonly, reviewer=reviewer,
                                status=422)
    store_submission(case, record, data, stored, request.form.get("submission_token") or None)
    db.session.commit()
    flash(_("Submitted. The Word and PDF copies are being made."), "ok")
    return redirect(url_for("cases.show", case_id=case_id, submitted=form_id))


def checked_submission(record: FormRecord, posted: dict[str, Any], *, reviewer: bool
                       ) -> tuple[dict[str, Any], list[Any], dict[str, Any]]:
    """A posted form as it would be stored: (clean data, problems, the latest stored data).

    Someone who is not a reviewer cannot change the reviewer's cells: they keep the latest
    version's values, and an earlier sign-off never carries over to a corrected version.
    """
    annex = ANNEXES[record.annex]
    latest = record.current
    stored = latest.data if latest else {}
    signed_off = latest is not None and latest.approved_by_id is not None
    keep = {} if reviewer else _reviewer_values(annex, {} if signed_off else stored)
    data, problems = clean(annex, {**posted, **keep}, submit=True)
    return data, problems, stored


def store_submission(case: Case, record: FormRecord, data: dict[str, Any],
                     stored: dict[str, Any], token: str | None) -> FormVersion:
    """Store a checked form as a new version, queue its copies, note it for review, audit it.

    A double submit (the same ``token``) stores nothing more and returns the first version.
    The caller commits.
    """
    earlier = lifecycle.find_submission(token)
    if earlier is not None:
        return earlier
    version = lifecycle.submit_form(record, data, by=current_user, token=token)
    enqueue_documents(version.id)
    review.submitted(record, version, by=current_user)
    audit.record("form.submit", case, form=record.annex, seq=record.seq, version=version.number,
           before=stored, after=data)
    return version


def render_form_page(case: Case, record: FormRecord, form: Any, *, readonly: bool,
                     reviewer: Any, status: int = 200, has_errors: bool = False,
                     version: Any = None) -> Any:
    """The form page of ``record`` (or, read only, of one ``version`` of it): every view
    that shows a form draws it here."""
    has_errors = (has_errors or any(f.errors for f in form)
                  or bool(form.submission_token.errors))
    return render_template("cases/form.html", case=case, record=record, form=form,
                           annex=ANNEXES[record.annex], readonly=readonly, reviewer=reviewer,
                           state_names=STATE_NAMES, has_errors=has_errors,
                           just_submitted=False, version=version), status


@bp.post("/cases/<int:case_id>/forms/<int:form_id>/draft")
@login_required
def save_draft(case_id: int, form_id: int) -> Any:
    """Autosave: keep the raw values typed so far (checked only on submission)."""
    case = require_case(case_id)
    record = require_form(case, form_id)
    readonly, reviewer = _editor_mode(case, record)
    if readonly or reviewer == "only":
        return jsonify(error=_("This form cannot be changed.")), 403
    if _already_submitted(request.form.get("submission_token")):
        # a late autosave from the page that has just submitted: it must not pull the
        # submitted form back out of review
        return jsonify(error=_("This form has been submitted."), saved=False), 409
    if request.content_length and request.content_length > MAX_DRAFT_BYTES:
        return jsonify(error=_("The draft is too large.")), 413
    annex = ANNEXES[record.annex]
    data = parse_formdata(annex, request.form)
    if not reviewer:
        data.update(_reviewer_values(annex, record.data))
    if all(is_blank(v) for v in data.values()) and not record.draft:
        return jsonify(saved=False)
    lifecycle.save_draft(record, data, by=current_user)
    db.session.commit()
    saved_at = record.draft_saved_at
    assert saved_at is not None  # save_draft has just set it
    return jsonify(saved=True, saved_at=saved_at.isoformat() + "Z")


def _already_submitted(token: str | None) -> bool:
    """Whether a version was stored from the page that holds this submission token."""
    return bool(token) and db.session.scalar(
        select(FormVersion.id).where(FormVersion.submission_token == token)) is not None


@bp.get("/cases/<int:case_id>/forms/<int:form_id>/v<int:number>")
@login_required
def show_version(case_id: int, form_id: int, number: int) -> Any:
    case = require_case(case_id)
    record = require_form(case, form_id)
    version = next((v for v in record.versions if v.number == number), None)
    if version is None:
        abort(404)
    form = form_for(ANNEXES[record.annex], data=version.data)
    return render_form_page(case, record, form, readonly=True, reviewer=False,
                            version=version)


@bp.post("/cases/<int:case_id>/documents/<int:doc_id>/retry")
@login_required
def retry_document(case_id: int, doc_id: int) -> Any:
    """Queue a failed copy again (the reason it failed stays in the audit trail)."""
    case = require_case(case_id)
    doc = db.session.get(Document, doc_id)
    if doc is None or doc.version.form.case_id != case.id:
        abort(404)
    if not (can_edit_case(current_user, case, seen=True)
            or can_review(current_user, case, seen=True)):
        abort(403)
    if doc.state == DocumentState.FAILED:
        audit.record("document.retry", case, document=doc.id, format=doc.format, error=doc.error)
        enqueue_documents(doc.version_id)
        db.session.commit()
        flash(_("The copy is queued again."), "ok")
    return redirect(url_for("cases.show", case_id=case_id))


@bp.get("/cases/<int:case_id>/documents/<int:doc_id>")
@login_required
def download(case_id: int, doc_id: int) -> Any:
    case = require_case(case_id)
    doc = db.session.get(Document, doc_id)
    if doc is None or doc.version.form.case_id != case.id or doc.state != DocumentState.READY:
        abort(404)
    from ..storage import resolve_under

    path = resolve_under(current_app.config["WORK_ROOT"], doc.path)
    if path is None or not path.is_file():
        abort(404)
    record = doc.version.form
    name = f"{case.number}-{ANNEXES[record.annex].short_title}-v{doc.version.number}.{doc.format}"
    return send_export(path, name, action="document.download", case=case, document=doc.id,
                       format=doc.format)

