"""The summary of a period: every figure for the whole scope, by worker, team and 问题属地, and
the breakdowns (transfer reasons, closing types, special processes, risk grades, 个案来源, the
recurring 问题/需要 by place). The JSON the CLI, the API, the page and the workbook share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import case, func, or_, select

from ..annexes import CLOSING, INTAKE
from ..annexes.process import RiskGrade, SpecialProcess, Stage
from ..auth.models import Team, User
from ..cases.evaluation import CaseEvaluation, CaseNeed
from ..cases.models import Case
from ..db import db
from . import figures as fig
from . import satisfaction
from .figures import ENDED, PLACE, Scope, ended_in, opened_in, served_in

#: The keys every summary and every group carries, in this order.
CORE_KEYS: tuple[str, ...] = (
    "cases_new", "cases_open", "cases_closed", "cases_transferred", "caseload", "interviews",
    "service_hours", "goal_achievement_rate", "satisfaction_rate", "median_days_to_close",
    "followups_due", "followups_done",
)
#: Further figures of the whole scope.
EXTRA_KEYS: tuple[str, ...] = (
    "interviews_untimed", "goal_rows", "goal_rows_met", "goal_rows_unrated", "change_rated",
    "change_improved", "change_mean", "followups_overdue",
)
#: The Chinese name of every number a summary holds, by JSON key.
NAMES: dict[str, str] = {
    **{f.key: f.name for f in fig.FIGURES},
    "median_days_to_close": fig.N_("结案天数中位数"),
    "satisfaction_rate": fig.N_("服务对象满意率"),
}
UNASSIGNED = "未分配"
UNGRADED = "未评定"


def _values(scope: Scope, group: str, visible: Any, keys: tuple[str, ...] = CORE_KEYS
            ) -> tuple[dict[Any, dict[str, Any]], dict[str, Any]]:
    """Every figure of ``keys`` per group key, and for the whole scope."""
    computed, whole = fig.compute_all(keys, scope, group, visible)
    computed["median_days_to_close"] = fig.median_days_to_close(scope, group, visible)
    computed["satisfaction_rate"] = satisfaction.rate(scope, group, visible)
    groups = {k for values in computed.values() for k in values}
    out = {g: {key: computed[key].get(g, _empty(key)) for key in CORE_KEYS} for g in groups}
    return out, whole


def _empty(key: str) -> Any:
    """What a figure is for a group with nothing counted: 0 for counts, None for rates."""
    return None if key.endswith(("_rate", "_mean")) or key.startswith("median") else (
        0.0 if key == "service_hours" else 0)


def _names(model: Any, ids: set[Any], label: Callable[[Any], str]) -> dict[Any, str]:
    found = {o.id: label(o) for o in db.session.scalars(
        select(model).where(model.id.in_([i for i in ids if i is not None])))}
    return {i: found.get(i, UNASSIGNED) if i is not None else UNASSIGNED for i in ids}


def summary(scope: Scope, visible: Any = None) -> dict[str, Any]:
    """The summary of ``scope``; ``visible`` (a select of case ids) limits it to those cases."""
    by_worker, whole = _values(scope, "worker", visible, CORE_KEYS + EXTRA_KEYS)
    whole["median_days_to_close"] = fig.median_days_to_close(scope, None, visible)[""]
    whole["satisfaction_rate"] = satisfaction.rate(scope, None, visible)[""]
    out: dict[str, Any] = {"from": scope.period.start.isoformat(),
                           "to": scope.period.end.isoformat(),
                           **{k: whole[k] for k in CORE_KEYS + EXTRA_KEYS}}
    names = _names(User, set(by_worker), lambda u: u.username)
    out["by_worker"] = {names[k]: v for k, v in sorted(by_worker.items(),
                                                         key=lambda kv: names[kv[0]])}
    by_team = _values(scope, "team", visible)[0]
    teams = _names(Team, set(by_team), lambda t: t.name)
    out["by_team"] = {teams[k]: v for k, v in sorted(by_team.items(), key=lambda kv: teams[kv[0]])}
    out["by_place"] = dict(sorted(_values(scope, "place", visible)[0].items()))
    out.update(breakdowns(scope, visible))
    return out


def breakdowns(scope: Scope, visible: Any = None) -> dict[str, Any]:
    """How the cases of the period divide: reasons, types, processes, grades, sources, needs.
    Three queries: needs by place (the totals add up, each case having one place), the cases
    served by risk grade and special process, and the cases ended by type and reason."""
    p = scope.period
    needs_by_place: dict[str, dict[str, int]] = {}
    needs: dict[str, int] = {}
    for place, need, n in db.session.execute(_needs_by_place(scope, visible)):
        needs_by_place.setdefault(place, {})[need] = int(n)
        needs[need] = needs.get(need, 0) + int(n)
    grades: dict[str, int] = {}
    processes: dict[str, int] = {}
    sources: dict[str, int] = {}
    served, opened = served_in(p), opened_in(p)
    stmt = _cases(scope, visible, select(
        Case.risk_grade, Case.special_process, CaseEvaluation.case_source,
        func.count(case((served, Case.id))), func.count(case((opened, Case.id))),
    )).where(or_(served, opened)).group_by(Case.risk_grade, Case.special_process,
                                           CaseEvaluation.case_source)
    for grade, process, source, n_served, n_opened in db.session.execute(stmt):
        grades[grade or ""] = grades.get(grade or "", 0) + n_served
        processes[process or ""] = processes.get(process or "", 0) + n_served
        sources[source or ""] = sources.get(source or "", 0) + n_opened
    types: dict[str, int] = {}
    reasons: dict[str, int] = {}
    stmt = _cases(scope, visible, select(
        Case.stage, CaseEvaluation.closing_type, CaseEvaluation.transfer_reason,
        func.count(Case.id))).where(ended_in(p, *ENDED)).group_by(
        Case.stage, CaseEvaluation.closing_type, CaseEvaluation.transfer_reason)
    for stage, closing_type, reason, n in db.session.execute(stmt):
        types[closing_type or ""] = types.get(closing_type or "", 0) + n
        if stage == Stage.TRANSFERRED:
            reasons[reason or ""] = reasons.get(reason or "", 0) + n
    return {
        "needs": {o: needs.get(o, 0) for o in INTAKE["needs"].option_texts},
        "needs_by_place": dict(sorted(needs_by_place.items())),
        "transfers_by_reason": _ordered(reasons, CLOSING["transfer_reason"].option_texts),
        "closing_types": _ordered(types, CLOSING["closing_type"].option_texts),
        "special_processes": {s.value: processes.get(s.value, 0) for s in SpecialProcess},
        "risk_grades": {**{g.value: grades.get(g.value, 0) for g in RiskGrade},
                        UNGRADED: grades.get("", 0)},
        "case_sources": _ordered({k: v for k, v in sources.items() if v},
                                 INTAKE["case_source"].option_texts),
    }


def _cases(scope: Scope, visible: Any, stmt: Any) -> Any:
    """``stmt`` over the cases of the scope, each with its evaluation row."""
    stmt = (stmt.select_from(Case).outerjoin(CaseEvaluation, CaseEvaluation.case_id == Case.id)
            .where(*fig.in_scope(scope)))
    return stmt.where(Case.id.in_(visible)) if visible is not None else stmt


def _ordered(counts: dict[str, int], options: tuple[str, ...]) -> dict[str, int]:
    """Every option in printed order (0 when none), then any other value recorded."""
    out = {o: counts.get(o, 0) for o in options}
    out.update({k or UNGRADED: v for k, v in counts.items() if k not in options})
    return out


def _needs_by_place(scope: Scope, visible: Any) -> Any:
    stmt = (select(PLACE, CaseNeed.need, func.count(func.distinct(Case.id)))
            .select_from(Case).join(CaseNeed, CaseNeed.case_id == Case.id)
            .outerjoin(CaseEvaluation, CaseEvaluation.case_id == Case.id)
            .where(served_in(scope.period), *fig.in_scope(scope)))
    if visible is not None:
        stmt = stmt.where(Case.id.in_(visible))
    return stmt.group_by(PLACE, CaseNeed.need)
