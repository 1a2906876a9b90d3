"""The satisfaction rate (7.1.5 评估服务对象满意度): surveys answered in the period whose overall
answer is 满意 or 非常满意, over all surveys answered in the period."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, literal, select

from ..cases.evaluation import CaseEvaluation, SatisfactionSurvey
from ..cases.models import Case
from ..db import db
from ..evaluation.survey import SATISFIED_FROM
from .figures import GROUPS, Scope, in_scope


def satisfied_query(scope: Scope, group: str | None = None, visible: Any = None) -> Any:
    """Per group key: surveys answered in the period, and how many of them were satisfied."""
    key = GROUPS[group] if group else literal("")
    stmt = (select(key.label("g"), func.count(SatisfactionSurvey.id),
                   func.sum(case((SatisfactionSurvey.overall >= SATISFIED_FROM, 1), else_=0)))
            .select_from(SatisfactionSurvey)
            .join(Case, Case.id == SatisfactionSurvey.case_id)
            .outerjoin(CaseEvaluation, CaseEvaluation.case_id == Case.id)
            .where(SatisfactionSurvey.filled_on.between(scope.period.start, scope.period.end),
                   *in_scope(scope)))
    if visible is not None:
        stmt = stmt.where(Case.id.in_(visible))
    return stmt.group_by(key) if group else stmt


def rate(scope: Scope, group: str | None = None, visible: Any = None) -> dict[Any, Any]:
    """The satisfaction rate per group key; None where no survey was answered."""
    out = {g: (round(float(ok or 0) / n, 4) if n else None)
           for g, n, ok in db.session.execute(satisfied_query(scope, group, visible))}
    if group is None:
        out.setdefault("", None)
    return out
