"""API: getSummary — the figures of a period (7.1.5, 8.2), the same JSON as
`reports summary`, for the cases the caller may see (a monitor: the whole agency's)."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext
from sqlalchemy import select

from ..auth.models import Role, User
from ..cases.access import visible_cases
from ..cases.models import Case
from ..db import db
from ..i18n import message_of
from ..reports.figures import Scope
from ..reports.period import PeriodError, between
from ..reports.summary import CORE_KEYS, EXTRA_KEYS, NAMES, summary
from . import bp
from .auth import api_user, token_required
from .problems import ApiProblem
from .spec import json_response, operation, problems, query_param

READERS = (Role.DIRECTOR, Role.SUPERVISOR, Role.MONITOR)

_NUMBER = {"type": ["number", "null"]}
_GROUP = {"type": "object", "additionalProperties": {
    "type": "object", "properties": {k: _NUMBER for k in CORE_KEYS}}}
_COUNTS = {"type": "object", "additionalProperties": {"type": "integer"}}
SUMMARY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["from", "to", *CORE_KEYS, "by_worker", "by_place", "needs"],
    "properties": {
        "from": {"type": "string", "format": "date"},
        "to": {"type": "string", "format": "date"},
        **{k: {**_NUMBER, "description": NAMES[k]} for k in CORE_KEYS + EXTRA_KEYS},
        "by_worker": {**_GROUP, "description": "The core figures per worker's user name."},
        "by_team": {**_GROUP, "description": "The core figures per team."},
        "by_place": {**_GROUP, "description": "The core figures per 问题属地 district."},
        "needs": {**_COUNTS, "description": "Each 问题/需要 option: cases open in the period "
                                             "that ticked it."},
        "needs_by_place": {"type": "object", "additionalProperties": _COUNTS},
        "transfers_by_reason": _COUNTS, "closing_types": _COUNTS,
        "special_processes": _COUNTS, "risk_grades": _COUNTS, "case_sources": _COUNTS,
    },
}
_CORE_EXAMPLE = {"cases_new": 2, "cases_open": 1, "cases_closed": 1, "cases_transferred": 1,
                 "caseload": 3, "interviews": 3, "service_hours": 2.5,
                 "goal_achievement_rate": 0.4, "satisfaction_rate": 1.0,
                 "median_days_to_close": 38.0, "followups_due": 2, "followups_done": 1}
SUMMARY_EXAMPLE = {
    "from": "2024-04-01", "to": "2024-06-30", **_CORE_EXAMPLE,
    "interviews_untimed": 1, "goal_rows": 5, "goal_rows_met": 2, "goal_rows_unrated": 1,
    "change_rated": 2, "change_improved": 1, "change_mean": 1.0, "followups_overdue": 2,
    "by_worker": {"chen": _CORE_EXAMPLE}, "by_team": {"东组": _CORE_EXAMPLE},
    "by_place": {"天河区": _CORE_EXAMPLE},
    "needs": {"法律咨询": 2, "政策引导": 1, "情绪疏导": 1, "家庭关系调适": 0, "危机介入": 0,
              "邻里纠纷": 0, "诉求解决": 0, "链接资源": 0, "其他": 0},
    "needs_by_place": {"天河区": {"法律咨询": 2, "情绪疏导": 1}},
    "transfers_by_reason": {"社工的工作变动": 1}, "closing_types": {"目标达成": 1, "转介": 1},
    "special_processes": {"集体上访": 1, "非理性上访": 0, "生活困难上访": 0},
    "risk_grades": {"高风险": 1, "中风险": 0, "低风险": 0, "未评定": 2},
    "case_sources": {"案主主动咨询": 1, "社工探访/接访": 0, "转介人/单位": 1},
}


def _scope() -> Scope:
    """The period and filters of the query, each fault named."""
    errors = []
    period = None
    try:
        period = between(request.args.get("from", ""), request.args.get("to", ""))
    except PeriodError as error:
        errors.append({"field": "from", "detail": message_of(error)})
    worker_id = None
    if name := request.args.get("worker"):
        worker_id = db.session.scalar(select(User.id).where(User.username == name))
        if worker_id is None:
            errors.append({"field": "worker", "detail": gettext("No such user.")})
    if errors or period is None:
        raise ApiProblem(400, gettext("The request is not well formed."), errors=errors)
    return Scope(period, worker_id=worker_id, district=request.args.get("place") or None)


@bp.get("/reports/summary")
@operation(
    "getSummary", summary="Every figure of a period, whole and by worker, team and place.",
    description="Counts, hours, rates (0 to 1, `null` where nothing counts) and breakdowns "
                "as the README defines them, computed over the cases the caller may see "
                "(a monitor's: the whole agency's). Directors, supervisors and monitors only.",
    parameters=[
        query_param("from", "The first day of the period.", {"type": "string", "format": "date"},
                    required=True, example="2024-04-01"),
        query_param("to", "The last day of the period.", {"type": "string", "format": "date"},
                    required=True, example="2024-06-30"),
        query_param("worker", "Only this worker's cases (user name).", {"type": "string"},
                    example="chen"),
        query_param("place", "Only cases of this 问题属地 district.", {"type": "string"},
                    example="天河区"),
    ],
    responses={"200": json_response("The summary.", SUMMARY_SCHEMA, SUMMARY_EXAMPLE),
               **problems(400, _403="The caller's roles do not read figures.")})
@token_required
def get_summary() -> Any:
    """The summary of the asked period."""
    user = api_user()
    if not user.has_role(*READERS):
        raise ApiProblem(403, gettext("Only directors, supervisors and monitors read figures."))
    scope = _scope()
    visible = None
    if user.has_role(Role.DIRECTOR, Role.SUPERVISOR):
        visible = visible_cases(user).with_only_columns(Case.id)
    data = summary(scope, visible)
    db.session.commit()
    return data
