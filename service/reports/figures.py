"""One SQL query per figure, named after its JSON key.

A :class:`Figure` says which rows it counts (cases, interviews or follow-ups, and the condition a
period puts on them) and the aggregate it takes; :func:`compute` runs it for a whole period or
grouped by worker, team or 问题属地, and :func:`cases_behind` lists the cases it counted. Only
constructs that mean the same on SQLite and PostgreSQL are used.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Integer, Select, and_, case, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from ..annexes.process import OPEN_STAGES, Stage
from ..cases.evaluation import CaseEvaluation, Followup, InterviewFact
from ..cases.models import Case
from ..db import db
from ..evaluation.places import UNPLACED
from .period import Period


def N_(message: str) -> str:  # noqa: N802 - the conventional name for a deferred msgid
    """Mark a figure's name for the catalogs; pages translate it, files keep the Chinese."""
    return message


class days_between(FunctionElement[int]):  # noqa: N801 - reads as SQL
    """Whole days from the first date to the second."""

    type = Integer()
    inherit_cache = True


@compiles(days_between)
def _days_default(element: Any, compiler: Any, **kw: Any) -> str:
    first, second = list(element.clauses)
    return f"({compiler.process(second, **kw)} - {compiler.process(first, **kw)})"


@compiles(days_between, "sqlite")
def _days_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    first, second = list(element.clauses)
    return (f"CAST(julianday({compiler.process(second, **kw)}) - "
            f"julianday({compiler.process(first, **kw)}) AS INTEGER)")


@dataclass(frozen=True)
class Scope:
    """Which records a summary covers: a period, optionally one worker, team or district."""

    period: Period
    worker_id: int | None = None
    team_id: int | None = None
    district: str | None = None


#: The groupings a figure can be broken down by.
PLACE = func.coalesce(func.nullif(CaseEvaluation.place_district, ""), UNPLACED)
#: A column or a mapped attribute: what SQL expressions are built from.
Expr = ColumnElement[Any] | QueryableAttribute[Any]
GROUPS: dict[str, Expr] = {
    "worker": Case.worker_id,
    "team": Case.team_id,
    "place": PLACE,
}

# Which cases a period selects.


def opened_in(p: Period) -> ColumnElement[bool]:
    """Cases opened (初次接触/开案) within the period."""
    return Case.opened_on.between(p.start, p.end)


def ended_in(p: Period, *stages: Stage) -> ColumnElement[bool]:
    """Cases closed or transferred (结案/转出日期) within the period."""
    return and_(Case.stage.in_([s.value for s in stages]), Case.closed_on.between(p.start, p.end))


def open_at_end(p: Period) -> ColumnElement[bool]:
    """Cases opened by the period's last day and not yet ended on it."""
    return and_(Case.opened_on <= p.end,
                or_(Case.stage.in_([s.value for s in OPEN_STAGES]), Case.closed_on > p.end))


def served_in(p: Period) -> ColumnElement[bool]:
    """Cases open on at least one day of the period (the period's caseload)."""
    return and_(Case.opened_on <= p.end,
                or_(Case.stage.in_([s.value for s in OPEN_STAGES]), Case.closed_on >= p.start))


ENDED = (Stage.CLOSED, Stage.TRANSFERRED)


Aggregate = tuple[str, Callable[[], Expr]]  # ("count" | "sum", value)
_AGGREGATES: dict[str, Callable[[Any], ColumnElement[Any]]] = {"count": func.count,
                                                             "sum": func.sum}


@dataclass(frozen=True)
class Figure:
    """A figure: its JSON key, Chinese name, the rows it counts (``cases``, ``interviews`` or
    ``followups``), which of them a period selects, and the aggregates it takes of them."""

    key: str
    name: str
    rows: str
    where: Callable[[Period], ColumnElement[bool]]
    aggregates: tuple[Aggregate, ...]
    finish: Callable[[Sequence[Any]], Any] = field(default=lambda v: int(v[0] or 0))

    def columns(self, period: Period) -> list[ColumnElement[Any]]:
        """The figure's aggregates over its own rows only (``CASE WHEN``), so that several
        figures over the same rows are taken in one pass."""
        condition = self.where(period)
        return [_AGGREGATES[name](case((condition, value()))) for name, value in self.aggregates]


def _ratio(values: Sequence[Any]) -> float | None:
    part, whole = (float(v or 0) for v in values)
    return round(part / whole, 4) if whole else None


def _hours(values: Sequence[Any]) -> float:
    return round(float(values[0] or 0) / 60, 2)


def _mean(values: Sequence[Any]) -> float | None:
    total, n = values
    return round(float(total or 0) / n, 2) if n else None


CASES: tuple[Aggregate, ...] = (("count", lambda: Case.id),)
INTERVIEWS: tuple[Aggregate, ...] = (("count", lambda: InterviewFact.case_id),)
FOLLOWUPS: tuple[Aggregate, ...] = (("count", lambda: Followup.case_id),)


def _goal_sum(column: Any) -> tuple[Aggregate, ...]:
    return (("sum", lambda: column),)


def _rated(p: Period) -> ColumnElement[bool]:
    return and_(ended_in(p, *ENDED), CaseEvaluation.change_before.is_not(None),
                CaseEvaluation.change_after.is_not(None))


def _held_in(p: Period) -> ColumnElement[bool]:
    return InterviewFact.held_on.between(p.start, p.end)


FIGURES: tuple[Figure, ...] = (
    Figure("cases_new", N_("新开个案数"), "cases", opened_in, CASES),
    Figure("cases_open", N_("期末在案个案数"), "cases", open_at_end, CASES),
    Figure("cases_closed", N_("结案个案数"), "cases", lambda p: ended_in(p, Stage.CLOSED), CASES),
    Figure("cases_transferred", N_("转介个案数"), "cases",
           lambda p: ended_in(p, Stage.TRANSFERRED), CASES),
    Figure("caseload", N_("服务个案数（个案量）"), "cases", served_in, CASES),
    Figure("interviews", N_("会谈次数"), "interviews", _held_in, INTERVIEWS),
    Figure("service_hours", N_("服务时数（小时）"), "interviews", _held_in,
           (("sum", lambda: InterviewFact.minutes),), _hours),
    Figure("interviews_untimed", N_("未记起止时间的会谈次数"), "interviews",
           lambda p: and_(_held_in(p), InterviewFact.minutes.is_(None)), INTERVIEWS),
    Figure("goal_rows", N_("目标数（结案/转介个案）"), "cases", lambda p: ended_in(p, *ENDED),
           _goal_sum(CaseEvaluation.goals_total)),
    Figure("goal_rows_met", N_("达成的目标数"), "cases", lambda p: ended_in(p, *ENDED),
           _goal_sum(CaseEvaluation.goals_met)),
    Figure("goal_rows_unrated", N_("未评定达成情况的目标数"), "cases", lambda p: ended_in(p, *ENDED),
           _goal_sum(CaseEvaluation.goals_unrated)),
    Figure("goal_achievement_rate", N_("服务目标达成率"), "cases", lambda p: ended_in(p, *ENDED),
           (*_goal_sum(CaseEvaluation.goals_met), *_goal_sum(CaseEvaluation.goals_total)),
           _ratio),
    Figure("change_rated", N_("评定改变程度的个案数"), "cases", _rated, CASES),
    Figure("change_improved", N_("有改善的个案数"), "cases",
           lambda p: and_(_rated(p), CaseEvaluation.change_after > CaseEvaluation.change_before),
           CASES),
    Figure("change_mean", N_("平均改变程度（服务后减服务前）"), "cases", _rated,
           (("sum", lambda: CaseEvaluation.change_after - CaseEvaluation.change_before),
            ("count", lambda: Case.id)), _mean),
    Figure("followups_due", N_("到期跟进次数"), "followups",
           lambda p: Followup.due_on.between(p.start, p.end), FOLLOWUPS),
    Figure("followups_done", N_("完成跟进次数"), "followups",
           lambda p: Followup.done_on.between(p.start, p.end), FOLLOWUPS),
    Figure("followups_overdue", N_("逾期未跟进次数"), "followups",
           lambda p: and_(Followup.due_on <= p.end,
                          or_(Followup.done_on.is_(None), Followup.done_on > p.end)),
           FOLLOWUPS),
)
BY_KEY: dict[str, Figure] = {f.key: f for f in FIGURES}


def _rows(kind: str, stmt: Select[*tuple[Any, ...]]) -> Select[*tuple[Any, ...]]:
    """Join the rows a figure counts to their case and its evaluation."""
    if kind == "interviews":
        stmt = stmt.select_from(InterviewFact).join(Case, Case.id == InterviewFact.case_id)
    elif kind == "followups":
        stmt = stmt.select_from(Followup).join(Case, Case.id == Followup.case_id)
    else:
        stmt = stmt.select_from(Case)
    return stmt.outerjoin(CaseEvaluation, CaseEvaluation.case_id == Case.id)


def in_scope(scope: Scope) -> list[ColumnElement[bool]]:
    """The conditions a scope puts on cases, beside its period."""
    conditions: list[ColumnElement[bool]] = []
    if scope.worker_id is not None:
        conditions.append(Case.worker_id == scope.worker_id)
    if scope.team_id is not None:
        conditions.append(Case.team_id == scope.team_id)
    if scope.district is not None:
        conditions.append(literal(scope.district) == PLACE)
    return conditions


_ROW_TABLES: dict[str, type[InterviewFact] | type[Followup]] = {
    "interviews": InterviewFact, "followups": Followup}


def figures_query(figures: Sequence[Figure], scope: Scope, group: str | None = None,
                  visible: Any = None) -> Select[Any]:
    """One pass over the rows of ``figures`` (all of one kind): a row per group key (or one
    row), the key first, then each figure's aggregates in turn.

    Interviews and follow-ups are first added up per case from their covering indexes (counts
    and sums add), and only those per-case totals are joined to the cases they group by.
    """
    kinds = {f.rows for f in figures}
    if len(kinds) != 1:
        raise ValueError("figures of one kind of row only")
    kind = kinds.pop()
    key = GROUPS[group] if group else literal("")
    columns = [c for f in figures for c in f.columns(scope.period)]
    if kind == "cases":
        # every case figure is of cases opened by the period's end: one range, not an OR
        stmt = _rows(kind, select(key.label("g"), *columns)).where(
            Case.opened_on <= scope.period.end, *in_scope(scope))
    else:
        table = _ROW_TABLES[kind]
        per_case = (select(table.case_id.label("case_id"),
                           *(c.label(f"v{n}") for n, c in enumerate(columns)))
                    .where(or_(*(f.where(scope.period) for f in figures)))
                    .group_by(table.case_id).subquery())
        stmt = (select(key.label("g"),
                       *(func.sum(per_case.c[f"v{n}"]) for n in range(len(columns))))
                .select_from(per_case).join(Case, Case.id == per_case.c.case_id)
                .outerjoin(CaseEvaluation, CaseEvaluation.case_id == Case.id)
                .where(*in_scope(scope)))
    if visible is not None:
        stmt = stmt.where(Case.id.in_(visible))
    return stmt.group_by(key) if group else stmt


def figure_query(figure: Figure, scope: Scope, group: str | None = None,
                 visible: Any = None) -> Select[Any]:
    """The SQL of one figure."""
    return figures_query([figure], scope, group, visible)


def raw_many(figures: Sequence[Figure], scope: Scope, group: str | None = None,
             visible: Any = None) -> dict[Any, list[Any]]:
    """The aggregates of ``figures`` (rows of one kind, one query) per group key."""
    return {row[0]: list(row[1:])
            for row in db.session.execute(figures_query(figures, scope, group, visible))}


def finish_many(figures: Sequence[Figure], raw: dict[Any, list[Any]]
                ) -> dict[str, dict[Any, Any]]:
    """Each figure's value per group key, from :func:`raw_many`'s aggregates."""
    out: dict[str, dict[Any, Any]] = {f.key: {} for f in figures}
    for g, values in raw.items():
        for f in figures:
            n = len(f.aggregates)
            out[f.key][g] = f.finish(values[:n])
            values = values[n:]
    return out


def total(raw: dict[Any, list[Any]]) -> dict[Any, list[Any]]:
    """The aggregates of every group added up: the whole scope (counts and sums add)."""
    columns = list(zip(*raw.values(), strict=True))
    return {"": [sum(v for v in column if v is not None) for column in columns]} if raw else {}


def compute_many(figures: Sequence[Figure], scope: Scope, group: str | None = None,
                 visible: Any = None) -> dict[str, dict[Any, Any]]:
    """Each figure's value per group key ({"": value} without a group), rows of one kind
    taken in a single query."""
    out = finish_many(figures, raw_many(figures, scope, group, visible))
    if not group:
        for f in figures:
            out[f.key].setdefault("", f.finish([None] * len(f.aggregates)))
    return out


def compute(figure: Figure, scope: Scope, group: str | None = None,
            visible: Any = None) -> dict[Any, Any]:
    """The figure's value per group key ({"": value} without a group)."""
    return compute_many([figure], scope, group, visible)[figure.key]


def compute_all(keys: Sequence[str], scope: Scope, group: str,
                visible: Any = None) -> tuple[dict[str, dict[Any, Any]], dict[str, Any]]:
    """The figures named by ``keys`` per ``group`` key, and for the whole scope (added up
    from the groups, every row being in exactly one group): one query per kind of row."""
    by_group: dict[str, dict[Any, Any]] = {}
    whole: dict[str, Any] = {}
    for kind in ("cases", "interviews", "followups"):
        chosen = [BY_KEY[k] for k in keys if k in BY_KEY and BY_KEY[k].rows == kind]
        if not chosen:
            continue
        raw = raw_many(chosen, scope, group, visible)
        by_group.update(finish_many(chosen, raw))
        summed = finish_many(chosen, total(raw))
        whole.update({f.key: summed[f.key].get("", f.finish([None] * len(f.aggregates)))
                      for f in chosen})
    return by_group, whole


def median_days_to_close(scope: Scope, group: str | None = None,
                         visible: Any = None) -> dict[Any, float | None]:
    """The median of 开案 to 结案/转出 in whole days, of the cases ended in the period: the
    middle value, or the mean of the two middle values (window functions, both databases)."""
    key = GROUPS[group] if group else literal("")
    days = days_between(Case.opened_on, Case.closed_on)
    ranked = _rows("cases", select(
        key.label("g"), days.label("days"),
        func.row_number().over(partition_by=key, order_by=days).label("n"),
        func.count().over(partition_by=key).label("total"),
    )).where(ended_in(scope.period, *ENDED), Case.opened_on.is_not(None), *in_scope(scope))
    if visible is not None:
        ranked = ranked.where(Case.id.in_(visible))
    r = ranked.subquery()
    middle = or_(r.c.n == (r.c.total + 1) // 2, r.c.n == (r.c.total + 2) // 2)
    stmt = select(r.c.g, func.avg(r.c.days)).where(middle).group_by(r.c.g)
    result: dict[Any, float | None] = {
        g: round(float(v), 1) for g, v in db.session.execute(stmt)}
    if not group:
        result.setdefault("", None)
    return result


def counts_by(column: Expr, rows: str, where: ColumnElement[bool],
              scope: Scope, visible: Any = None, *, joins: Sequence[Any] = ()
              ) -> dict[str, int]:
    """How many cases (or rows) hold each value of ``column``."""
    stmt = _rows(rows, select(column, func.count(func.distinct(Case.id))))
    for target, on in joins:
        stmt = stmt.join(target, on)
    stmt = stmt.where(where, *in_scope(scope))
    if visible is not None:
        stmt = stmt.where(Case.id.in_(visible))
    return {str(k or ""): int(n) for k, n in db.session.execute(stmt.group_by(column))}


def cases_behind(figure: Figure, scope: Scope, visible: Any = None) -> Select[Any]:
    """The ids of the cases a figure counted, for a list a permitted person may open."""
    stmt = _rows(figure.rows, select(Case.id).distinct()).where(
        figure.where(scope.period), *in_scope(scope))
    if visible is not None:
        stmt = stmt.where(Case.id.in_(visible))
    return stmt


__all__ = ["BY_KEY", "FIGURES", "GROUPS", "Figure", "Scope", "cases_behind", "compute",
           "compute_all", "counts_by", "figure_query", "median_days_to_close"]
