"""Case matching: which case each imported item belongs to (found in the database, opened
in this run, or to be opened), and which originals were imported before."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from ...auth.models import Team, User
from ...cases.lifecycle import open_case
from ...cases.models import Case, Original
from ...db import db
from .model import Item, Options


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
        if not name or (g is not None and g.key.startswith("folder:") and item.annex != "B"):
            return None
        query = select(Case).where(Case.client_name == name)
        if item.annex == "B" and data.get("first_contact_date"):
            query = query.where(Case.opened_on == date.fromisoformat(data["first_contact_date"]))
        return db.session.scalars(query.order_by(Case.id.desc())).first()

    def label(self, item: Item) -> str:
        """The case a dry run would file this item under."""
        g = item.group
        key = g.key if g else f"file:{item.order}"
        if key not in self.planned:
            self.planned[key] = f"new case {len(self.planned) + 1}"
        return self.planned[key]

    def open(self, item: Item, data: dict[str, Any]) -> Case:
        name = str(data.get("client_name") or data.get("interviewee") or "")
        day = data.get("first_contact_date") or data.get("opened_on") or data.get("date")
        worker = worker_named(str(data.get("worker") or ""))
        # a case of no known worker (a scan, say) goes to the importer's team, whose
        # supervisors can then see and review it
        team = None if worker is not None else team_of(self.options.by)
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
