"""Supervision pages (8.3, 8.6): the review queue, approve / return / reopen, risk flags and
handovers. Thin: check access, call ``cases.review`` or ``cases.access``, record, render."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from ..annexes import ANNEXES
from ..auth import audit
from ..auth.models import Handover, HandoverKind, RiskFlag, Role, User
from ..auth.users import find_user
from ..cases import review, workflow
from ..cases.access import (
    HandoverError,
    can_edit_case,
    can_review,
    can_view_case,
    case_filter,
    hand_over,
    require_case,
    require_case_and_form,
    roles_required,
)
from ..cases.errors import CaseError, Invalid, NotAllowed, SelfReview
from ..cases.models import Case, FormRecord
from ..db import db, utcnow
from ..forms.builder import form_for, parse_formdata
from ..i18n import message_of
from ..jobs.notices import enqueue_mail
from ..notify.notices import flag_case
from .cases import render_form_page
from .taps import tap_key, this_tap

bp = Blueprint("review", __name__)

MAX_TEXT = 2000


def _text(name: str) -> str:
    return (request.form.get(name) or "").strip()[:MAX_TEXT]


@bp.get("/review")
@roles_required(Role.SUPERVISOR, Role.DIRECTOR)
def index() -> Any:
    """The queue: open 8.6 risk flags first, then the forms waiting for sign-off."""
    from .queue import render_queue

    return render_queue()


def _rerender(case: Case, record: FormRecord, form: Any, status: int) -> Any:
    return render_form_page(case, record, form, readonly=False, reviewer="only",
                            status=status, has_errors=True)


def _refused(case: Case, record: FormRecord, error: CaseError) -> Any:
    db.session.rollback()
    if isinstance(error, NotAllowed) and not isinstance(error, SelfReview):
        abort(403)
    flash(error.message, "error")
    return redirect(url_for("cases.edit_form", case_id=case.id, form_id=record.id))


@bp.post("/cases/<int:case_id>/forms/<int:form_id>/approve")
@login_required
def approve(case_id: int, form_id: int) -> Any:
    """Sign off a submitted form with the reviewer's cells (a new, locked version)."""
    case, record = require_case_and_form(case_id, form_id)
    annex = ANNEXES[record.annex]
    posted = parse_formdata(annex, request.form)  # CSRF is checked before any view runs
    try:
        workflow.approve(record, posted, by=current_user,
                         idempotency_key=request.form.get("submission_token") or None)
    except Invalid as invalid:
        db.session.rollback()
        form = form_for(annex, formdata=request.form)
        form.attach(invalid.problems)
        return _rerender(case, record, form, 422)
    except CaseError as error:
        return _refused(case, record, error)
    db.session.commit()
    flash(_("Approved and signed. The form is locked."), "ok")
    return redirect(url_for("cases.show", case_id=case.id))


@bp.post("/cases/<int:case_id>/forms/<int:form_id>/return")
@login_required
def return_form(case_id: int, form_id: int) -> Any:
    """Send a submitted form back to its worker with a comment and comments on cells."""
    case, record = require_case_and_form(case_id, form_id)
    prefix = "field_comment."
    notes = {k[len(prefix):]: v for k, v in request.form.items()
             if k.startswith(prefix) and v.strip()}
    try:
        workflow.return_(record, request.form.get("review_comment", ""), notes,
                         by=current_user,
                         idempotency_key=request.form.get("review_token") or None)
    except CaseError as error:
        return _refused(case, record, error)
    db.session.commit()
    flash(_("Returned to the worker with your comments."), "ok")
    return redirect(url_for("cases.show", case_id=case.id))


@bp.post("/cases/<int:case_id>/forms/<int:form_id>/reopen")
@login_required
def reopen(case_id: int, form_id: int) -> Any:
    """Unlock an approved form for a correction; its next version needs review again."""
    case, record = require_case_and_form(case_id, form_id)
    try:
        workflow.reopen(record, request.form.get("reason", ""), by=current_user,
                        idempotency_key=tap_key())
    except CaseError as error:
        return _refused(case, record, error)
    db.session.commit()
    return redirect(url_for("cases.edit_form", case_id=case.id, form_id=record.id))


@bp.post("/cases/<int:case_id>/risk")
@login_required
def raise_flag(case_id: int) -> Any:
    """8.6: a risk to the petitioner's life or to others. The supervisors are notified."""
    case = require_case(case_id)
    if not current_user.has_role(Role.WORKER, Role.SUPERVISOR, Role.DIRECTOR):
        abort(403)
    concern = _text("concern")
    if not concern:
        flash(_("Describe the risk before raising the flag."), "error")
        return redirect(url_for("cases.show", case_id=case.id))
    key, earlier = this_tap(RiskFlag, case.id)
    if earlier is None:  # the same tap again raised it once, and told people once
        flag, told = flag_case(case, concern, current_user, key=key)
        audit.record("risk.flag", case, flag=flag.id, concern=concern,
                     notified=[n.recipient.username for n in told])
        enqueue_mail(told)
    db.session.commit()
    flash(_("The risk is flagged; the responsible supervisors and directors are notified "
            "in their inbox (and by e-mail where set up)."), "ok")
    return redirect(url_for("cases.show", case_id=case.id))


@bp.post("/cases/<int:case_id>/risk/<int:flag_id>/handle")
@login_required
def handle_flag(case_id: int, flag_id: int) -> Any:
    """A supervisor or director records what was done about a risk flag."""
    case = require_case(case_id)
    flag = db.session.get(RiskFlag, flag_id)
    if flag is None or flag.case_id != case.id:
        abort(404)
    if not can_review(current_user, case):
        abort(403)
    action = _text("action_taken")
    if not action or not flag.is_open:
        flash(_("Say what was done about the risk."), "error")
        return redirect(url_for("cases.show", case_id=case.id))
    flag.action_taken, flag.handled_by_id, flag.handled_at = action, current_user.id, utcnow()
    audit.record("risk.handle", case, flag=flag.id, action_taken=action)
    db.session.commit()
    flash(_("Recorded."), "ok")
    return redirect(url_for("cases.show", case_id=case.id))


@bp.post("/cases/<int:case_id>/handover")
@login_required
def handover(case_id: int) -> Any:
    """Hand the case to another worker (服务跟进 or transfer): a supervisor or director's call."""
    key, earlier = this_tap(Handover, case_id)
    if earlier is not None:  # the same tap again: handed over once, answered as the first was
        return _handed_over(db.session.get_one(Case, case_id))
    case = require_case(case_id)
    if not can_review(current_user, case) or not case.is_open:
        abort(403)
    to_user = find_user(_text("username"))
    kind = request.form.get("kind", "")
    if kind not in {k.value for k in HandoverKind}:
        abort(400)
    if to_user is None:
        flash(_("There is no such worker."), "error")
        return redirect(url_for("cases.show", case_id=case.id))
    try:
        done = hand_over(case, to_user, HandoverKind(kind), by=current_user, note=_text("note"),
                         key=key)
    except HandoverError as error:
        flash(message_of(error), "error")
        return redirect(url_for("cases.show", case_id=case.id))
    audit.record("case.handover", case, kind=kind, to=to_user.username,
                 previous=done.from_user.username if done.from_user else None)
    db.session.commit()
    return _handed_over(case)


def _handed_over(case: Case) -> Any:
    """Where a handover leads: back to the case, or, when a transfer took it to a team whose
    cases the person who made it does not oversee, to their case list, saying why the case
    is no longer there (its page would answer 404)."""
    if can_view_case(current_user, case):
        flash(_("Handed over."), "ok")
        return redirect(url_for("cases.show", case_id=case.id))
    flash(_("Handed over. The case now belongs to another team, so it is no longer "
            "in your list."), "ok")
    return redirect(url_for("cases.index"))


# --- what the case page shows (cases/_flags.html, cases/_history.html) ---------------------

#: What each audit action of a case is called in its access history (the trail keeps the codes;
#: a code not named here is shown as it is).
ACTION_NAMES = {
    "case.open": _l("created the case"),
    "case.view": _l("viewed the case"),
    "case.update": _l("changed the case's details"),
    "case.confidential_open": _l("opened the confidential case"),
    "case.evaluation": _l("recorded the evaluation"),
    "case.followup": _l("recorded a follow-up"),
    "case.survey": _l("recorded a satisfaction survey"),
    "case.handover": _l("handed the case over"),
    "form.submit": _l("submitted a form for review"),
    "form.withdraw": _l("withdrew a form from review"),
    "form.return": _l("returned a form"),
    "form.approve": _l("approved and signed a form"),
    "form.reopen": _l("reopened a signed form"),
    "risk.flag": _l("flagged a risk to life or to others (8.6)"),
    "risk.handle": _l("handled a risk flag"),
    "risk.report_outside": _l("recorded a report made outside the service"),
    "notice.mail_failed": _l("a notice's e-mail failed"),
    "notice.mail_again": _l("sent a notice's e-mail again"),
    "document.download": _l("downloaded a copy"),
    "document.blank": _l("printed a blank form"),
    "document.retry": _l("made a copy again"),
    "original.download": _l("downloaded a scanned original"),
    "survey.download": _l("downloaded a survey"),
    "import.paper": _l("uploaded scanned paper forms"),
    "import.check.view": _l("viewed an imported form's check"),
    "import.review.view": _l("viewed a scanned form for review"),
    "import.review": _l("reviewed a scanned form"),
    "archive.download": _l("downloaded an archived file"),
    "archive.export": _l("downloaded case bundles"),
    "archive.retry": _l("filed the case again"),
    "archive.damaged": _l("an archived file failed its checksum"),
}


def supervision(case: Case) -> dict[str, Any]:
    """The supervision facts of ``case`` for the signed-in user."""
    reviewer = can_review(current_user, case)
    flags = db.session.scalars(
        select(RiskFlag).where(RiskFlag.case_id == case.id).order_by(RiskFlag.id.desc())).all()
    handovers = db.session.scalars(
        select(Handover).where(Handover.case_id == case.id).order_by(Handover.id)).all()
    workers: list[User] = []
    if reviewer and case.is_open:
        people = db.session.scalars(
            select(User).where(User.active.is_(True)).order_by(User.username)).all()
        workers = [u for u in people if u.has_role(Role.WORKER) and u.id != case.worker_id]
    access = audit.case_history(case.id) if reviewer else []
    return {
        "flags": flags,
        "open_flags": [f for f in flags if f.is_open],
        "can_flag": current_user.has_role(Role.WORKER, Role.SUPERVISOR, Role.DIRECTOR)
        and case.is_open,
        "reviewer": reviewer,
        "handovers": handovers,
        "workers": workers,
        "steps": review.history(case.id),
        "access": access,
        "action_names": ACTION_NAMES,
        "people": _people_of(access),
    }


def _people_of(entries: list[Any]) -> dict[int, User]:
    """The people who made ``entries``, by id (the trail keeps their user names)."""
    ids = {e.user_id for e in entries if e.user_id is not None}
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


def flagged_case_ids() -> set[int]:
    """Ids of the visible cases with an open 8.6 risk flag (lists mark them)."""
    if not current_user.is_authenticated:
        return set()
    return set(db.session.scalars(
        select(RiskFlag.case_id).join(Case, Case.id == RiskFlag.case_id)
        .where(RiskFlag.handled_at.is_(None), case_filter(current_user))))


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {"supervision": supervision, "flagged_case_ids": flagged_case_ids,
            "may_edit": lambda case: can_edit_case(current_user, case)}
