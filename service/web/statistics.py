"""The statistics page (7.1.5, 8.2) for directors, supervisors and the bureau's monitors: any
period, by worker, team and 问题属地, charts with their numbers, the workbook, and the cases
behind each figure for those who may see them. Thin: read the period, call ``reports``."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from ..auth import audit
from ..auth.models import Role
from ..cases.access import roles_required, visible_cases
from ..cases.archival import ArchiveFile, ServiceReport
from ..cases.models import Case
from ..db import db
from ..i18n import LANGUAGE_NAMES, message_of
from ..reports.document import LOCALES, render_report
from ..reports.figures import BY_KEY, Scope, cases_behind
from ..reports.period import Period, PeriodError, between, month, parse_period, previous_quarter
from ..reports.period import year as whole_year
from ..reports.summary import CORE_KEYS, EXTRA_KEYS, NAMES, summary
from ..reports.workbook import workbook_bytes
from ..storage import resolve_under
from .exports import send_export
from .taps import earlier_tap

bp = Blueprint("statistics", __name__)

READERS = (Role.DIRECTOR, Role.SUPERVISOR, Role.MONITOR)
#: Those who may open the cases behind a figure (the cases they may see, no other).
CASE_READERS = (Role.DIRECTOR, Role.SUPERVISOR)
GROUP_TITLES = {"by_worker": "Worker", "by_team": "Team", "by_place": "问题属地"}
REPORT_STATES = {"queued": _l("Being made"), "ready": _l("Ready"), "failed": _l("Failed")}
#: The languages a service report is made in, by the code it keeps, each named in itself.
REPORT_LANGUAGES = {code: LANGUAGE_NAMES[locale] for code, locale in LOCALES.items()}


def _period() -> tuple[Period, str | None]:
    """The period the request asks for (default: the last whole quarter), and an error."""
    text = request.args.get("period", "").strip()
    start, end = request.args.get("from", "").strip(), request.args.get("to", "").strip()
    try:
        if start or end:
            return between(start, end), None
        if text:
            return parse_period(text), None
    except PeriodError as error:
        return previous_quarter(date.today()), message_of(error)
    return previous_quarter(date.today()), None


def _visible() -> Any:
    """The cases whose figures the user reads: a monitor reads the whole agency's figures
    (and never a case), the others the cases they may see."""
    if current_user.has_role(Role.MONITOR) and not current_user.has_role(*CASE_READERS):
        return None
    return visible_cases(current_user).with_only_columns(Case.id)


def bars(values: dict[str, Any], limit: int = 20) -> list[dict[str, Any]]:
    """Rows of a horizontal bar chart: label, value and the bar's length from 0 to 1."""
    items = [(str(k), v) for k, v in values.items() if isinstance(v, int | float)][:limit]
    top = max((v for _, v in items), default=0) or 1
    return [{"label": k, "value": v, "length": v / top} for k, v in items]


@bp.get("/statistics")
@roles_required(*READERS)
def index() -> Any:
    """The figures of a period, with charts and links to the cases behind them."""
    period, error = _period()
    scope = Scope(period)
    data = summary(scope, _visible())
    today = date.today()
    presets = [(_("Last quarter"), previous_quarter(today)),
               (_("This month"), month(today.year, today.month)),
               (_("This year"), whole_year(today.year)),
               (_("Last year"), whole_year(today.year - 1))]
    db.session.commit()
    return render_template(
        "statistics/index.html", data=data, period=period, error=error, presets=presets,
        keys=CORE_KEYS + EXTRA_KEYS, names=NAMES, linkable=set(BY_KEY),
        may_open=current_user.has_role(*CASE_READERS), group_titles=GROUP_TITLES,
        charts=[("cases", _("New cases by worker"), bars(
                    {k: v["cases_new"] for k, v in data["by_worker"].items()})),
                ("places", _("Caseload by 问题属地"), bars(
                    {k: v["caseload"] for k, v in data["by_place"].items()})),
                ("needs", _("问题/需要 of the cases served"), bars(data["needs"])),
                ("grades", _("Risk grades"), bars(data["risk_grades"]))],
        core=CORE_KEYS, report_states=REPORT_STATES, report_languages=REPORT_LANGUAGES,
        reports=db.session.scalars(select(ServiceReport).order_by(ServiceReport.id.desc())
                                   .limit(10)).all())


@bp.get("/statistics/cases")
@roles_required(*CASE_READERS)
def cases() -> Any:
    """The cases behind one figure of a period, among those the user may see."""
    figure = BY_KEY.get(request.args.get("figure") or "caseload")
    if figure is None:
        abort(404)
    period, error = _period()
    stmt = cases_behind(figure, Scope(period), _visible())
    found = db.session.scalars(select(Case).where(Case.id.in_(stmt)).order_by(Case.number)
                               .limit(1000)).all()
    db.session.commit()
    return render_template("statistics/cases.html", figure=figure, period=period, error=error,
                           cases=found)


@bp.get("/statistics/report")
@roles_required(*READERS)
def report() -> Any:
    """The public service report of the period as Word (aggregates of the whole agency, counts
    below 5 suppressed; no LibreOffice here: the PDF is made by the command or the queue)."""
    period, _error = _period()
    lang = request.args.get("lang", "zh")
    if lang not in LOCALES:
        abort(404)
    data = summary(Scope(period))
    content = render_report(data, lang=lang, agency=current_app.config.get("AGENCY_NAME", ""))
    name = f"service-report-{period.start.isoformat()}-{period.end.isoformat()}-{lang}.docx"
    return send_export(content, name, action="reports.service_report",
                       start=period.start.isoformat(), end=period.end.isoformat(), lang=lang)


@bp.get("/statistics/workbook")
@roles_required(*READERS)
def workbook() -> Any:
    """The period's workbook (a monitor's has no case rows)."""
    period, _error = _period()
    scope = Scope(period)
    visible = _visible()
    data = summary(scope, visible)
    content = workbook_bytes(data, scope, visible, case_rows=visible is not None)
    return send_export(content, f"figures-{period.start.isoformat()}-{period.end.isoformat()}"
                       ".xlsx", action="reports.workbook", start=period.start.isoformat(),
                       end=period.end.isoformat())


@bp.post("/statistics/reports")
@roles_required(*READERS)
def queue_report() -> Any:
    """Queue the period's public service report as Word and PDF/A (made and filed in the
    archive by a queue worker, never here); then show its progress."""
    from ..jobs.reports import queue_service_report

    period, _error = _period()
    lang = request.form.get("lang", "zh")
    if lang not in LOCALES:
        abort(400)
    key, earlier = earlier_tap(ServiceReport, lambda row: (
        row.period_start, row.period_end, row.lang) == (period.start, period.end, lang))
    if earlier is not None:  # the same tap again: the report it queued, made and filed once
        return redirect(url_for("statistics.report_job", report_id=earlier.id))
    report = queue_service_report(period, lang, current_user.id, key=key)
    audit.record("reports.queue_service_report", None, report=report.id,
                 start=period.start.isoformat(), end=period.end.isoformat(), lang=lang)
    db.session.commit()
    return redirect(url_for("statistics.report_job", report_id=report.id))


def _report(report_id: int) -> ServiceReport:
    report = db.session.get(ServiceReport, report_id)
    if report is None:
        abort(404)
    return report


@bp.get("/statistics/reports/<int:report_id>")
@roles_required(*READERS)
def report_job(report_id: int) -> Any:
    """A queued report: being made (the page refreshes itself), ready to download, or failed
    with its reason; and the 档号 and 件号 it was filed as."""
    report = _report(report_id)
    filed = db.session.get(ArchiveFile, report.file_id) if report.file_id else None
    db.session.commit()
    return render_template("statistics/report_job.html", report=report, filed=filed,
                           report_states=REPORT_STATES, report_languages=REPORT_LANGUAGES)


@bp.get("/statistics/reports/<int:report_id>/report.<fmt>")
@roles_required(*READERS)
def report_copy(report_id: int, fmt: str) -> Any:
    """A ready report's PDF/A (with the export mark) or Word copy."""
    report = _report(report_id)
    relative = {"pdf": report.pdf_path, "docx": report.docx_path}.get(fmt)
    if report.state != "ready" or not relative:
        abort(404)
    path = resolve_under(current_app.config["WORK_ROOT"], relative)
    if path is None or not path.is_file():
        abort(404)
    name = (f"service-report-{report.period_start.isoformat()}-{report.period_end.isoformat()}"
            f"-{report.lang}.{fmt}")
    return send_export(path, name, action="reports.service_report_copy", report=report.id,
                       format=fmt)
