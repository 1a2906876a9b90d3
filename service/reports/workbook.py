"""The summary as an XLSX workbook (openpyxl): the summary sheet gives each figure a row with
its JSON key, Chinese name and stored value; a sheet per table; and the cases behind them."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import func, select

from ..auth.models import Team, User
from ..cases.evaluation import CaseEvaluation, InterviewFact
from ..cases.models import Case
from ..db import db
from .figures import PLACE, Scope, in_scope, served_in
from .summary import CORE_KEYS, EXTRA_KEYS, NAMES

#: The tables of a summary: JSON key, sheet name, heading of the first column.
GROUP_TABLES = (("by_worker", "按社工", "社工"), ("by_team", "按小组", "小组"),
                ("by_place", "按问题属地", "问题属地"))
COUNT_TABLES = (("needs", "问题需要", "问题/需要"), ("transfers_by_reason", "转介原因", "转介原因"),
                ("closing_types", "结案类型", "结案类型"),
                ("special_processes", "特殊流程", "特殊流程"),
                ("risk_grades", "风险等级", "风险等级"), ("case_sources", "个案来源", "个案来源"))
CASE_COLUMNS = ("个案编号", "社工", "小组", "问题属地", "街道", "开案日期", "结案/转出日期", "阶段",
                "会谈次数", "服务分钟", "目标数", "达成", "部分达成", "服务前", "服务后")


def _header(sheet: Worksheet, *titles: str) -> None:
    sheet.append(list(titles))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"


def workbook_bytes(data: dict[str, Any], scope: Scope, visible: Any = None, *,
                   case_rows: bool = True) -> bytes:
    """The workbook of a summary ``data`` (as :func:`summary` made it for ``scope``); without
    ``case_rows``, aggregates only."""
    book = Workbook()
    sheet = book.active
    sheet.title = "汇总"
    _header(sheet, "JSON key", "指标", "数值")
    sheet.append(["from", "起始日期", data["from"]])
    sheet.append(["to", "截止日期", data["to"]])
    for key in (*CORE_KEYS, *EXTRA_KEYS):
        sheet.append([key, NAMES[key], data[key]])
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 36
    for key, title, first in GROUP_TABLES:
        table = book.create_sheet(title)
        _header(table, first, *(f"{NAMES[k]} ({k})" for k in CORE_KEYS))
        for name, values in data[key].items():
            table.append([name, *(values[k] for k in CORE_KEYS)])
    for key, title, first in COUNT_TABLES:
        table = book.create_sheet(title)
        _header(table, first, "个案数")
        for name, n in data[key].items():
            table.append([name, n])
    recurring = book.create_sheet("问题需要按属地")
    _header(recurring, "问题属地", "问题/需要", "个案数")
    for place, counts in data["needs_by_place"].items():
        for need, n in counts.items():
            recurring.append([place, need, n])
    if not case_rows:
        return _saved(book)
    cases = book.create_sheet("个案明细")
    _header(cases, *CASE_COLUMNS)
    for row in db.session.execute(case_rows_query(scope, visible)):
        cases.append([*row[:5], *(d.isoformat() if d else "" for d in row[5:7]), *row[7:]])
    return _saved(book)


def _saved(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def case_rows_query(scope: Scope, visible: Any = None) -> Any:
    """One row per case served in the period (no names: the case number identifies it)."""
    talks = (select(InterviewFact.case_id, func.count().label("n"),
                    func.sum(InterviewFact.minutes).label("minutes"))
             .where(InterviewFact.held_on.between(scope.period.start, scope.period.end))
             .group_by(InterviewFact.case_id).subquery())
    stmt = (select(Case.number, User.username, Team.name, PLACE, CaseEvaluation.place_street,
                   Case.opened_on, Case.closed_on, Case.stage,
                   func.coalesce(talks.c.n, 0), func.coalesce(talks.c.minutes, 0),
                   CaseEvaluation.goals_total, CaseEvaluation.goals_met,
                   CaseEvaluation.goals_partly_met, CaseEvaluation.change_before,
                   CaseEvaluation.change_after)
            .select_from(Case)
            .outerjoin(CaseEvaluation, CaseEvaluation.case_id == Case.id)
            .outerjoin(User, User.id == Case.worker_id)
            .outerjoin(Team, Team.id == Case.team_id)
            .outerjoin(talks, talks.c.case_id == Case.id)
            .where(served_in(scope.period), *in_scope(scope))
            .order_by(Case.number))
    if visible is not None:
        stmt = stmt.where(Case.id.in_(visible))
    return stmt
