"""The evaluation of a case (7.1.5): its 问题属地 and degree of change, its satisfaction surveys
and its follow-ups; and each worker's list of follow-ups due. Thin: check access, store, audit."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..auth import audit
from ..auth.models import Role
from ..cases.access import require_case, visible_cases
from ..cases.evaluation import (
    CaseEvaluation,
    Followup,
    SatisfactionSurvey,
    evaluation_of,
    reopen_after_followup,
)
from ..cases.models import Case, DocumentState
from ..db import db
from ..evaluation import survey
from ..evaluation.places import Places, PlacesError, load_places
from ..evaluation.scale import AFTER_LABEL, BEFORE_LABEL, CHANGE_LABEL, CHANGE_SCALE, CHANGE_VALUES
from ..jobs.surveys import enqueue_survey_documents
from ..storage import resolve_under
from .exports import send_export
from .taps import this_tap

bp = Blueprint("evaluation", __name__)


@cache
def _places(path: str) -> Places:
    return load_places(path or None)


def agency_places() -> Places | None:
    """The agency's places list; None (and the error shown) when its file cannot be read."""
    try:
        return _places(current_app.config.get("PLACES_FILE") or "")
    except PlacesError as error:
        flash(_("The list of places cannot be read: %(error)s", error=str(error)), "error")
        return None


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def may_evaluate(case: Case) -> bool:
    """Whether the current user, who sees ``case``, may record its evaluation: its workers,
    supervisors and directors, while it is open and after it has ended."""
    return current_user.has_role(Role.WORKER, Role.SUPERVISOR, Role.DIRECTOR)


def _editable(case_id: int) -> Case:
    case = require_case(case_id)
    if not may_evaluate(case):
        abort(403)
    return case


@bp.get("/cases/<int:case_id>/evaluation")
@login_required
def show(case_id: int) -> Any:
    """The case's evaluation: place, change, surveys, follow-ups."""
    case = require_case(case_id)
    row = db.session.get(CaseEvaluation, case.id) or CaseEvaluation(place_district="",
                                                                    place_street="")
    followups = db.session.scalars(select(Followup).where(Followup.case_id == case.id)
                                   .order_by(Followup.due_on)).all()
    surveys = db.session.scalars(select(SatisfactionSurvey).where(
        SatisfactionSurvey.case_id == case.id).order_by(SatisfactionSurvey.filled_on)).all()
    db.session.commit()
    return render_template(
        "cases/evaluation.html", case=case, row=row, places=agency_places(),
        scale=CHANGE_SCALE, change_label=CHANGE_LABEL, before_label=BEFORE_LABEL,
        after_label=AFTER_LABEL, followups=followups, surveys=surveys, survey=survey,
        today=date.today(), can_edit=may_evaluate(case))


@bp.post("/cases/<int:case_id>/evaluation")
@login_required
def update(case_id: int) -> Any:
    """Store the 问题属地 and the degree of change."""
    case = _editable(case_id)
    places = agency_places()
    district = (request.form.get("district") or "").strip()
    street = (request.form.get("street") or "").strip()[:80]
    problem = places.check(district, street) if places else None
    change = [request.form.get(k) or "" for k in ("change_before", "change_after")]
    ratings = [int(v) if v.isdigit() and int(v) in CHANGE_VALUES else None for v in change]
    if problem or any(v and r is None for v, r in zip(change, ratings, strict=True)):
        flash(_(problem) if problem else _("Choose a point of the scale."), "error")
        return redirect(url_for("evaluation.show", case_id=case.id))
    row = evaluation_of(case)
    before = {"district": row.place_district, "street": row.place_street,
              "change": [row.change_before, row.change_after]}
    row.place_district, row.place_street = district, street
    row.change_before, row.change_after = ratings
    audit.record("case.evaluation", case, before=before,
                 after={"district": district, "street": street, "change": ratings})
    db.session.commit()
    flash(_("Saved."), "ok")
    return redirect(url_for("evaluation.show", case_id=case.id))


@bp.post("/cases/<int:case_id>/surveys")
@login_required
def add_survey(case_id: int) -> Any:
    """Store a satisfaction survey answered by the petitioner or over the phone."""
    case = _editable(case_id)
    key, earlier = this_tap(SatisfactionSurvey, case.id)
    if earlier is not None:  # the same tap again: stored once
        flash(_("Saved."), "ok")
        return redirect(url_for("evaluation.show", case_id=case.id))
    values, problems = survey.check(request.form.to_dict())
    filled_on = _day(request.form.get("filled_on")) or date.today()
    if filled_on > date.today():
        problems["filled_on"] = "This date cannot be in the future."
    if problems:
        flash("; ".join(_(m, max=survey.MAX_COMMENT) for m in dict.fromkeys(problems.values())),
              "error")
        return redirect(url_for("evaluation.show", case_id=case.id))
    followup_id = request.form.get("followup_id", type=int)
    if followup_id is not None and db.session.scalar(select(Followup.id).where(
            Followup.id == followup_id, Followup.case_id == case.id)) is None:
        abort(404)
    entry = SatisfactionSurvey(case_id=case.id, filled_on=filled_on, followup_id=followup_id,
                               created_by_id=current_user.id, request_key=key, **values)
    db.session.add(entry)
    db.session.flush()
    audit.record("case.survey", case, after={k: values[k] for k in values if k != "comment"})
    enqueue_survey_documents(entry.id)  # its Word and PDF/A copies, made by the queue
    db.session.commit()
    flash(_("Saved."), "ok")
    return redirect(url_for("evaluation.show", case_id=case.id))


@bp.get("/cases/<int:case_id>/surveys/<int:survey_id>/copy.<fmt>")
@login_required
def survey_document(case_id: int, survey_id: int, fmt: str) -> Any:
    """Download a survey's Word or PDF/A copy (a PDF carries the export mark): whoever sees
    the case; 404 for a survey of another case or a copy not ready."""
    case = require_case(case_id)
    entry = db.session.get(SatisfactionSurvey, survey_id)
    if entry is None or entry.case_id != case.id:
        abort(404)
    doc = next((d for d in entry.documents if d.format == fmt), None)
    if doc is None or doc.state != DocumentState.READY:
        abort(404)
    path = resolve_under(current_app.config["WORK_ROOT"], doc.path)
    if path is None or not path.is_file():
        abort(404)
    name = f"{case.number}-{_(survey.SHORT_TITLE)}-{entry.filled_on.isoformat()}.{fmt}"
    return send_export(path, name, action="survey.download", case=case, survey=entry.id,
                       format=fmt)


@bp.post("/cases/<int:case_id>/followups/<int:followup_id>")
@login_required
def record_followup(case_id: int, followup_id: int) -> Any:
    """Record what a follow-up found; it may reopen the case."""
    case = _editable(case_id)
    followup = db.session.get(Followup, followup_id)
    if followup is None or followup.case_id != case.id:
        abort(404)
    finding = (request.form.get("finding") or "").strip()
    done_on = _day(request.form.get("done_on"))
    if not finding or done_on is None or done_on > date.today():
        flash(_("Write what the follow-up found and the day it was done (not in the future)."),
              "error")
        return redirect(url_for("evaluation.show", case_id=case.id))
    followup.finding, followup.done_on = finding[:20_000], done_on
    followup.done_by_id = current_user.id
    reopen = request.form.get("reopen") == "1"
    if reopen:
        reopen_after_followup(followup)
    audit.record("case.followup", case, due_on=followup.due_on.isoformat(),
                 done_on=done_on.isoformat(), reopened=reopen)
    db.session.commit()
    flash(_("The case is open again.") if reopen else _("Saved."), "ok")
    return redirect(url_for("evaluation.show", case_id=case.id))


@bp.get("/followups")
@login_required
def followups() -> Any:
    """The follow-ups not yet done of the cases the user may see, overdue first, by due date."""
    visible = visible_cases(current_user).with_only_columns(Case.id)
    rows = db.session.execute(
        select(Followup, Case).join(Case, Case.id == Followup.case_id)
        .where(Followup.done_on.is_(None), Case.id.in_(visible))
        .order_by(Followup.due_on, Case.number).limit(500)).all()
    db.session.commit()
    return render_template("cases/followups.html", rows=rows, today=date.today())
