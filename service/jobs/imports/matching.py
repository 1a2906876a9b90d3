"""Case matching: which case each imported item belongs to (found in the database, opened
in this run, or to be opened), and which originals were imported before."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from ...annexes import ANNEXES
from ...annexes.process import END_STAGES
from ...annexes.validate import N_
from ...auth.models import Role, Team, User
from ...cases.access import can_edit_case, can_view_case, case_filter
from ...cases.lifecycle import open_case
from ...cases.models import Case, Original
from ...db import db
from ...imports.grouping import FOLDER
from .model import Item, Options

#: How a dry run names a case it would open (the report says it in English; pages translate it).
NEW_CASE = N_("new case %(n)s")


class Cases:
    """The case of each group: found in the database, opened in this run, or to be opened."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.by_group: dict[str, int] = {}  # group key -> case id
        self.planned: dict[str, str] = {}  # dry run: group key -> "new case n"

    def existing(self, item: Item, data: dict[str, Any]) -> Case | None:
        g = item.group
        if g is not None and g.key in self.by_group:
            return db.session.get(Case, self.by_group[g.key])
        name = str(data.get("client_name") or (g.name if g else "") or "")
        opening = item.annex in ANNEXES and ANNEXES[item.annex].opens_case
        if not name or (g is not None and g.key.startswith(FOLDER) and not opening):
            return None
        # only an open case the importer may edit: never a closed or archived one, never one
        # they may not see (and nothing is said of those)
        query = select(Case).where(Case.client_name == name,
                                   Case.stage.not_in([s.value for s in END_STAGES]))
        if self.options.by is not None:
            query = query.where(case_filter(self.options.by))
        day = data.get(ANNEXES[item.annex].date_field) if opening and item.annex else None
        if day:
            query = query.where(Case.opened_on == date.fromisoformat(day))
        found = db.session.scalars(query.order_by(Case.id.desc())).first()
        return found if self.may_attach(found) else None

    def may_attach(self, case: Case | None) -> bool:
        """Whether an imported form may go into ``case``: an open case the importer may edit
        (the command line, run by no one, imports for the agency)."""
        if case is None or not case.is_open:
            return False
        by = self.options.by
        return by is None or can_edit_case(by, case)

    def may_see(self, case: Case | None) -> bool:
        """Whether the report may name ``case`` to the importer."""
        by = self.options.by
        return case is not None and (by is None or can_view_case(by, case))

    def label(self, item: Item) -> str:
        """The case a dry run would file this item under."""
        g = item.group
        key = g.key if g else f"file:{item.order}"
        if key not in self.planned:
            self.planned[key] = NEW_CASE % {"n": len(self.planned) + 1}
        return self.planned[key]

    def open(self, item: Item, data: dict[str, Any]) -> Case:
        name = str(data.get("client_name") or data.get("interviewee") or "")
        day = data.get("first_contact_date") or data.get("opened_on") or data.get("date")
        worker = worker_named(str(data.get("worker") or ""))
        by = self.options.by
        if worker is None and by is not None and by.has_role(Role.WORKER):
            worker = by  # a worker bringing in their own old files keeps the case
        # a case of no known worker (a scan, say) goes to the importer's team, whose
        # supervisors can then see and review it
        team = None if worker is not None else team_of(by)
        case = open_case(worker=worker, client_name=name, team=team,
                         opened_on=date.fromisoformat(day) if day else None)
        return case

    def remember(self, item: Item, case: Case) -> None:
        if item.group is not None:
            self.by_group[item.group.key] = case.id


def worker_named(name: str) -> User | None:
    if not name:
        return None
    return db.session.scalars(select(User).where(
        (User.display_name == name) | (User.username == name))).first()


def team_of(user: User | None) -> Team | None:
    return db.session.get(Team, user.team_id) if user is not None and user.team_id else None


def known_original(sha: str, label: str) -> Original | None:
    """An original already imported with this content (and, for a register row, this row)."""
    query = select(Original).where(Original.sha256 == sha)
    if "#" in label:
        query = query.where(Original.filename == label[:255])
    return db.session.scalars(query.limit(1)).first()


def earlier_original(label: str) -> Original | None:
    """The latest original imported under the same name (a changed file)."""
    return db.session.scalars(select(Original).where(Original.filename == label[:255])
                              .order_by(Original.id.desc()).limit(1)).first()
