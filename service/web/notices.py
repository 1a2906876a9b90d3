"""Pages of the 8.6 notices: the inbox (and its unread count on every page), the reports made
outside the service, and sending a failed e-mail again. Thin: check access, call
``notify``, queue the e-mail through ``jobs.notices``, audit, render."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..auth import audit
from ..auth.models import RiskFlag, Role
from ..cases.access import can_review, can_view_case, require_case
from ..cases.models import Case
from ..db import db
from ..i18n import message_of
from ..jobs.notices import send_again
from ..notify import notices
from ..notify.models import MailState, Notification, OutsideReport, ReportAgency, ReportChannel
from ..notify.texts import headline
from .taps import this_tap

bp = Blueprint("notices", __name__)

MAIL_STATES = {
    MailState.NONE: _l("in the inbox only (no e-mail address or no mail server)"),
    MailState.QUEUED: _l("e-mail queued"),
    MailState.SENT: _l("e-mail sent"),
    MailState.FAILED: _l("e-mail failed"),
}

#: The names of the report's options in the reader's language (stored as the Chinese terms).
AGENCY_NAMES = {
    ReportAgency.POLICE: _l("Police"),
    ReportAgency.MEDICAL: _l("Medical services"),
    ReportAgency.CIVIL_AFFAIRS: _l("Civil affairs"),
    ReportAgency.PETITION_OFFICE: _l("Petition office"),
    ReportAgency.COMMUNITY: _l("Sub-district or community"),
    ReportAgency.FAMILY: _l("Family"),
    ReportAgency.OTHER: _l("Other"),
}
CHANNEL_NAMES = {
    ReportChannel.PHONE: _l("By telephone"),
    ReportChannel.IN_PERSON: _l("In person"),
    ReportChannel.WRITTEN: _l("In writing"),
    ReportChannel.ONLINE: _l("Online platform"),
    ReportChannel.OTHER: _l("Other"),
}


@bp.get("/notices")
@login_required
def index() -> Any:
    """The signed-in person's notices, newest first, unread ones marked."""
    items = notices.inbox(current_user, limit=200)
    cases = {n.case_id: n.case for n in items if n.case_id is not None}
    openable = {cid for cid, case in cases.items()
                if case is not None and can_view_case(current_user, case)}
    return render_template("notices/index.html", items=items, openable=openable,
                           headline=headline)


def _own(notice_id: int) -> Notification:
    notice = notices.own_notice(current_user, notice_id)
    if notice is None:
        abort(404)  # someone else's notice is as absent as a missing one
    return notice


@bp.post("/notices/<int:notice_id>/read")
@login_required
def read(notice_id: int) -> Any:
    """Mark a notice read; with ``open`` set, go on to its case."""
    notice = _own(notice_id)
    notices.mark_read(notice)
    db.session.commit()
    if request.form.get("open") and notice.case_id is not None:
        return redirect(url_for("cases.show", case_id=notice.case_id))
    return redirect(url_for("notices.index"))


@bp.post("/notices/read-all")
@login_required
def read_all() -> Any:
    """Mark every notice of the signed-in person read."""
    notices.mark_all_read(current_user)
    db.session.commit()
    return redirect(url_for("notices.index"))


def _may_report() -> bool:
    return current_user.has_role(Role.WORKER, Role.SUPERVISOR, Role.DIRECTOR)


@bp.post("/cases/<int:case_id>/outside-reports")
@login_required
def report(case_id: int) -> Any:
    """Record a report of the case's risk made outside the service (to whom, when, how)."""
    case = require_case(case_id)
    if not _may_report():
        abort(403)
    key, earlier = this_tap(OutsideReport, case.id)
    if earlier is not None:  # the same tap again: recorded once
        flash(_("The report made outside the service is recorded."), "ok")
        return redirect(url_for("cases.show", case_id=case.id) + "#outside-reports")
    form = request.form
    flag = None
    if (flag_id := form.get("flag_id", "")).isdigit():
        flag = db.session.get(RiskFlag, int(flag_id))
        if flag is None or flag.case_id != case.id:
            abort(404)
    else:  # the report answers the case's latest flag, if it has one
        flag = db.session.scalar(select(RiskFlag).where(RiskFlag.case_id == case.id)
                                 .order_by(RiskFlag.id.desc()).limit(1))
    try:
        when = notices.parse_reported_at(form.get("reported_at", ""),
                                         current_app.config["BABEL_DEFAULT_TIMEZONE"])
        done = notices.record_outside_report(
            case, agency=form.get("agency", ""), recipient=form.get("recipient", ""),
            reported_at=when, channel=form.get("channel", ""), note=form.get("note", ""),
            flag=flag, by=current_user, key=key)
    except notices.ReportError as error:
        db.session.rollback()
        flash(message_of(error), "error")
        return redirect(url_for("cases.show", case_id=case.id) + "#outside-reports")
    audit.record("risk.report_outside", case, report=done.id, flag=done.flag_id,
                 agency=done.agency, recipient=done.recipient, channel=done.channel,
                 reported_at=done.reported_at.isoformat(timespec="minutes"), note=done.note)
    db.session.commit()
    flash(_("The report made outside the service is recorded."), "ok")
    return redirect(url_for("cases.show", case_id=case.id) + "#outside-reports")


@bp.post("/cases/<int:case_id>/notices/<int:notice_id>/resend")
@login_required
def resend(case_id: int, notice_id: int) -> Any:
    """Send a notice's failed e-mail again (a supervisor or director of the case)."""
    case = require_case(case_id)
    notice = db.session.get(Notification, notice_id)
    if notice is None or notice.case_id != case.id:
        abort(404)
    if not can_review(current_user, case, seen=True):
        abort(403)
    if send_again(notice):
        audit.record("notice.mail_again", case, notice=notice.id, to=notice.mail_to)
        db.session.commit()
        flash(_("The e-mail is queued again."), "ok")
    return redirect(url_for("cases.show", case_id=case.id) + "#outside-reports")


# --- what every page and the case page show ---------------------------------------------------

def unread_notice_count() -> int:
    """The signed-in person's unread notices (the count beside the inbox link)."""
    if not current_user.is_authenticated:
        return 0
    try:
        return notices.unread_count(current_user)
    except SQLAlchemyError:  # an error page after a failed transaction: show it regardless
        current_app.logger.warning("unread notices not counted", exc_info=True)
        return 0


def case_notices(case: Case) -> dict[str, Any]:
    """What the case page shows of 8.6: who each flag told (and how the e-mail fared), and
    the reports made outside the service."""
    flags = db.session.scalars(select(RiskFlag).where(RiskFlag.case_id == case.id)
                               .order_by(RiskFlag.id.desc())).all()
    return {
        "told": {f.id: notices.notices_of_flag(f) for f in flags},
        "flags": flags,
        "reports": notices.outside_reports(case),
        "may_report": _may_report(),
        "reviewer": can_review(current_user, case, seen=True),
        "agencies": AGENCY_NAMES,
        "channels": CHANNEL_NAMES,
        "mail_states": MAIL_STATES,
    }


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {"unread_notice_count": unread_notice_count, "case_notices": case_notices}
