"""Pages of the case workspace: the case list, a case, its forms (edit, autosave, submit)."""

from __future__ import annotations

import re
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
from sqlalchemy import select
from wtforms import BooleanField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice

from ..annexes import ANNEXES, OPENING
from ..annexes.process import (
    MAX_REPRESENTATIVES,
    OPEN_STAGES,
    PENDING_STAGES,
    SCREENING,
    STAGE_ORDER,
    RiskGrade,
    SpecialProcess,
    Stage,
)
from ..annexes.validate import is_blank
from ..auth import audit
from ..auth.models import Role
from ..cases import lifecycle, workflow
from ..cases.access import (
    can_edit_case,
    can_review,
    require_case,
    require_case_and_form,
    visible_cases,
)
from ..cases.errors import CaseError, Invalid, NotAllowed, StaleVersion
from ..cases.evaluation import SatisfactionSurvey
from ..cases.models import (
    EDITABLE_STATES,
    Case,
    Document,
    DocumentState,
    FormRecord,
    FormState,
)
from ..db import db
from ..evaluation import survey as survey_declaration
from ..forms import PageForm
from ..forms.builder import form_for, parse_formdata
from ..jobs.documents import enqueue_documents
from ..once import made_under
from .exports import send_export
from .taps import tap_key

bp = Blueprint("cases", __name__)

#: a form page's name for one of its draft saves (``forms.js``: 32 hex digits)
_SAVE_NAME = re.compile(r"[0-9a-f]{32}")
#: at most this many earlier saves left unanswered are read from a post
_MAX_UNANSWERED = 100


def _page_saves(formdata: Any) -> tuple[str | None, frozenset[str]]:
    """The draft save a form page names in its post (``draft_attempt``) and its earlier saves
    whose answers it never got (``unanswered``, comma-separated); a name not shaped as the
    page makes them is left out."""
    attempt = formdata.get("draft_attempt", "")
    listed = formdata.get("unanswered", "").split(",")[:_MAX_UNANSWERED]
    return (attempt if _SAVE_NAME.fullmatch(attempt) else None,
            frozenset(n for n in listed if _SAVE_NAME.fullmatch(n)))


STATE_NAMES = {
    FormState.DRAFT: _l("Draft"),
    FormState.SUBMITTED: _l("Submitted for review"),
    FormState.RETURNED: _l("Returned"),
    FormState.WITHDRAWN: _l("Withdrawn by its worker"),
    FormState.APPROVED: _l("Approved"),
}
DOC_STATES = {
    DocumentState.QUEUED: _l("queued"),
    DocumentState.READY: _l("ready"),
    DocumentState.FAILED: _l("failed"),
}


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
    key = tap_key()
    case = made_under(Case, key)  # the same tap again: the case it opened
    opened = case is None
    if case is None:
        case = lifecycle.open_case(worker=current_user, key=key)
    record = lifecycle.new_form(case, OPENING.code, by=current_user)
    if opened:
        audit.record("case.open", case)
    db.session.commit()
    return redirect(url_for("cases.edit_form", case_id=case.id, form_id=record.id))


def _options(values: Any, empty: Any = None) -> list[SelectChoice]:
    """Choices of official texts (translated for display), with an optional empty first."""
    choices = [SelectChoice("", empty)] if empty is not None else []
    return choices + [SelectChoice(v.value, _l(v.value)) for v in values]


class ProfileForm(PageForm):
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
    form = ProfileForm(formdata=formdata, data=data)
    if case.stage in PENDING_STAGES:  # set by the closing form's review, shown as it is
        form.stage.choices = [SelectChoice(case.stage, _l(case.stage))]
    return form


@bp.get("/cases/<int:case_id>")
@login_required
def show(case_id: int) -> Any:
    case = require_case(case_id)
    audit.record("case.view", case)
    surveys = db.session.scalars(select(SatisfactionSurvey).where(
        SatisfactionSurvey.case_id == case.id).order_by(SatisfactionSurvey.filled_on,
                                                        SatisfactionSurvey.id)).all()
    db.session.commit()
    return render_template(
        "cases/show.html", case=case, annexes=ANNEXES, stages=list(STAGE_ORDER),
        surveys=surveys, survey=survey_declaration,
        state_names=STATE_NAMES, doc_states=DOC_STATES,
        can_edit=can_edit_case(current_user, case, seen=True),
        can_sign=can_review(current_user, case, seen=True), addable=_addable(case), profile=_profile_form(case), screening=SCREENING,
        max_representatives=MAX_REPRESENTATIVES)


def _addable(case: Case) -> list[str]:
    """The annexes a new form of the open case may be: any repeated one, each other once."""
    if not case.is_open:
        return []
    return [a.code for a in ANNEXES.values() if a.repeats or not case.forms_of(a.code)]


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
    if form.stage.data != case.stage:
        try:
            lifecycle.set_stage(case, Stage(form.stage.data))
        except CaseError as error:
            flash(error.message, "error")
            return redirect(url_for("cases.show", case_id=case.id))
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
    try:
        record = lifecycle.new_form(case, annex_code, by=current_user, key=tap_key())
    except CaseError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("cases.show", case_id=case.id))
    db.session.commit()
    return redirect(url_for("cases.edit_form", case_id=case.id, form_id=record.id))


def _editor_mode(case: Case, record: FormRecord) -> tuple[bool, Any]:
    """(readonly, reviewer) for the current user and this form.

    A form waiting for review is read-only to its worker (who may withdraw it) and opens for
    a reviewer who did not write it in "only" mode: the reviewer's cells are open, the
    worker's are shown but locked, and the page approves or returns (8.3).
    """
    reviewer = can_review(current_user, case, seen=True)
    if record.state == FormState.SUBMITTED and reviewer and workflow.may(
            "approve", record, current_user):
        return False, "only"
    editable = (can_edit_case(current_user, case, seen=True)
                and record.state in EDITABLE_STATES)
    return not editable, reviewer


@bp.route("/cases/<int:case_id>/forms/<int:form_id>", methods=["GET", "POST"])
@login_required
def edit_form(case_id: int, form_id: int) -> Any:
    case, record = require_case_and_form(case_id, form_id)
    annex = ANNEXES[record.annex]
    readonly, reviewer = _editor_mode(case, record)
    if request.method == "GET":
        form = form_for(annex, data=record.data)
        form.submission_token.data = uuid.uuid4().hex
        return render_form_page(case, record, form, readonly=readonly, reviewer=reviewer)
    if reviewer == "only":
        abort(403)
    # the step decides: a repeated submission is answered even once the form is read-only
    posted = choose(record, parse_formdata(annex, request.form), request.form)
    token = request.form.get("submission_token") or None
    tag = request.form.get("version_tag") or None
    _attempt, unanswered = _page_saves(request.form)
    try:
        workflow.submit(record, posted, by=current_user, idempotency_key=token,
                        expected_version=tag, unanswered=unanswered)
    except StaleVersion as stale:
        return _render_conflict(case, record, stale, reviewer)
    except Invalid as invalid:
        try:
            workflow.save_draft(record, posted, by=current_user, expected_version=tag,
                                unanswered=unanswered)
        except StaleVersion as stale:
            return _render_conflict(case, record, stale, reviewer)
        db.session.commit()
        form = form_for(annex, formdata=request.form)
        form.attach(invalid.problems)
        return render_form_page(case, record, form, readonly=readonly, reviewer=reviewer, status=422)
    except NotAllowed:
        abort(403)
    except CaseError as error:  # the form waits for review or is locked: say so, change nothing
        db.session.rollback()
        flash(error.message, "error")
        readonly, reviewer = _editor_mode(case, record)
        form = form_for(annex, data=record.data)
        return render_form_page(case, record, form, readonly=readonly, reviewer=reviewer, status=error.status)
    db.session.commit()
    flash(_("Submitted. The Word and PDF copies are being made."), "ok")
    return redirect(url_for("cases.show", case_id=case_id, submitted=form_id))


def choose(record: FormRecord, posted: dict[str, Any], formdata: Any) -> dict[str, Any]:
    """Apply what the worker chose on the comparison page: for each field they chose
    ``theirs`` for (``choose.<field>``), the value the form holds now."""
    chosen = [key.removeprefix("choose.") for key in formdata
              if key.startswith("choose.") and formdata.get(key) == "theirs"]
    if chosen:  # a post from the comparison page: most posts have no choice in them
        current, keys = record.data, ANNEXES[record.annex].data_keys
        for name in chosen:
            if name in keys:
                posted[name] = current.get(name)
    return posted


def render_form_page(case: Case, record: FormRecord, form: Any, *, readonly: bool,
                     reviewer: Any, status: int = 200, has_errors: bool = False,
                     version: Any = None, conflict: list[dict[str, Any]] | None = None) -> Any:
    """The form page of ``record`` (or, read only, of one ``version`` of it): every view
    that shows a form draws it here, with its version tag, what the review cycle lets the
    user do, the reviewer's comments beside their fields and, after a stale save, the
    comparison of both versions (``conflict``)."""
    has_errors = (has_errors or any(f.errors for f in form)
                  or bool(form.submission_token.errors))
    live = version is None
    return render_template("cases/form.html", case=case, record=record, form=form,
                           annex=ANNEXES[record.annex], readonly=readonly, reviewer=reviewer,
                           state_names=STATE_NAMES, has_errors=has_errors,
                           just_submitted=False, version=version,
                           version_tag=workflow.version_tag(record) if live else "",
                           conflict=conflict or [],
                           can_withdraw=live and workflow.may("withdraw", record, current_user),
                           own_work=live and bool(reviewer)
                           and current_user.id in workflow.writers(record),
                           comments=(record.field_comments or {}) if live else {}), status


def _render_conflict(case: Case, record: FormRecord, stale: StaleVersion, reviewer: Any) -> Any:
    """The comparison page: the worker's own values in the form (nothing typed is lost), the
    values the form holds now beside them, field by field, each to choose."""
    db.session.rollback()
    annex = ANNEXES[record.annex]
    mine = parse_formdata(annex, request.form)
    theirs = stale.current_data
    differing = [{"name": f.name, "label": f.label, "mine": mine.get(f.name),
                  "theirs": theirs.get(f.name)}
                 for f in annex if not f.reviewer_only
                 and _shown(mine.get(f.name)) != _shown(theirs.get(f.name))]
    form = form_for(annex, formdata=request.form)
    form.submission_token.data = request.form.get("submission_token") or uuid.uuid4().hex
    return render_form_page(case, record, form, readonly=False, reviewer=reviewer, status=409,
                            conflict=differing)


def _shown(value: Any) -> Any:
    return None if is_blank(value) else value


@bp.post("/cases/<int:case_id>/forms/<int:form_id>/compare")
@login_required
def compare(case_id: int, form_id: int) -> Any:
    """Where the page goes when its autosave was refused as stale: the comparison page."""
    case, record = require_case_and_form(case_id, form_id)
    readonly, reviewer = _editor_mode(case, record)
    if readonly or reviewer == "only":
        abort(403)
    stale = StaleVersion("", current_tag=workflow.version_tag(record),
                         current_data=dict(record.data))
    return _render_conflict(case, record, stale, reviewer)


@bp.post("/cases/<int:case_id>/forms/<int:form_id>/chosen")
@login_required
def save_chosen(case_id: int, form_id: int) -> Any:
    """Save the draft as chosen on the comparison page (against the tag it showed)."""
    case, record = require_case_and_form(case_id, form_id)
    readonly, reviewer = _editor_mode(case, record)
    if readonly or reviewer == "only":
        abort(403)
    posted = choose(record, parse_formdata(ANNEXES[record.annex], request.form), request.form)
    try:
        workflow.save_draft(record, posted, by=current_user,
                            expected_version=request.form.get("version_tag") or None)
    except StaleVersion as stale:
        return _render_conflict(case, record, stale, reviewer)
    except CaseError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("cases.show", case_id=case.id))
    db.session.commit()
    flash(_("Saved."), "ok")
    return redirect(url_for("cases.edit_form", case_id=case.id, form_id=record.id))


@bp.app_template_filter("shown_value")
def shown_value(value: Any) -> str:
    """A stored value as short text, for comparing two versions of a field."""
    if is_blank(value):
        return "—"
    if isinstance(value, dict):
        if "image" in value or "date" in value:
            signed = _("signed") if value.get("image") else _("not signed")
            return " ".join(str(p) for p in (signed, value.get("date") or "",
                                             value.get("remark") or "") if p)
        return "; ".join(f"{k}: {shown_value(v)}" for k, v in value.items())
    if isinstance(value, list):
        return " / ".join(shown_value(v) for v in value)
    return str(value)


@bp.post("/cases/<int:case_id>/forms/<int:form_id>/withdraw")
@login_required
def withdraw(case_id: int, form_id: int) -> Any:
    """Take a form waiting for review back, to change it; the reviewer's list says so."""
    case, record = require_case_and_form(case_id, form_id)
    try:
        workflow.withdraw(record, by=current_user, reason=request.form.get("reason", ""),
                          idempotency_key=tap_key())
    except NotAllowed:
        abort(403)
    except CaseError as error:
        flash(error.message, "error")
        return redirect(url_for("cases.show", case_id=case.id))
    db.session.commit()
    flash(_("Withdrawn from review: you can change it and submit it again."), "ok")
    return redirect(url_for("cases.edit_form", case_id=case.id, form_id=record.id))


@bp.post("/cases/<int:case_id>/forms/<int:form_id>/draft")
@login_required
def save_draft(case_id: int, form_id: int) -> Any:
    """Autosave: keep the raw values typed so far (checked only on submission).

    Answers 409 when the form is no longer editable (submitted, approved: a late autosave
    never pulls a form out of review) and 412 with the comparison page's address when the
    page's version tag is stale; the page then keeps its copy and lets the worker choose.
    A tag is not stale when the page's own earlier save moved it and its answer was lost
    (``draft_attempt``, ``unanswered``: see ``workflow.save_draft``).
    """
    case, record = require_case_and_form(case_id, form_id)
    readonly, reviewer = _editor_mode(case, record)
    if reviewer == "only" or not can_edit_case(current_user, case, seen=True):
        return jsonify(error=_("This form cannot be changed."), saved=False), 403
    annex = ANNEXES[record.annex]
    data = parse_formdata(annex, request.form)
    if all(is_blank(v) for v in data.values()) and not record.draft:
        return jsonify(saved=False, version_tag=workflow.version_tag(record))
    attempt, unanswered = _page_saves(request.form)
    try:
        workflow.save_draft(record, data, by=current_user,
                            expected_version=request.form.get("version_tag") or None,
                            attempt=attempt, unanswered=unanswered)
    except StaleVersion as stale:
        db.session.rollback()
        return jsonify(error=stale.message, saved=False, version_tag=stale.current_tag,
                       compare_url=url_for("cases.compare", case_id=case.id,
                                           form_id=record.id)), 412
    except NotAllowed as error:
        return jsonify(error=error.message, saved=False), 403
    except CaseError as error:
        db.session.rollback()
        return jsonify(error=error.message, saved=False, state=record.state), error.status
    db.session.commit()
    saved_at = record.draft_saved_at
    assert saved_at is not None  # save_draft has just set it
    return jsonify(saved=True, saved_at=saved_at.isoformat() + "Z",
                   version_tag=workflow.version_tag(record))


@bp.get("/cases/<int:case_id>/forms/<int:form_id>/v<int:number>")
@login_required
def show_version(case_id: int, form_id: int, number: int) -> Any:
    case, record = require_case_and_form(case_id, form_id)
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

