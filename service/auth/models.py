"""Users, their roles and teams."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..cases.models import utcnow
from ..db import db


class Role(StrEnum):
    """Roles; the value is the code the CLI takes."""

    WORKER = "worker"  # 社工
    SUPERVISOR = "supervisor"  # 督导
    DIRECTOR = "director"  # 主任
    ARCHIVIST = "archivist"  # 档案员
    ADMIN = "admin"  # 管理员


class Team(db.Model):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(default="")
    roles_text: Mapped[str] = mapped_column("roles", String(200), default="")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    team = relationship(Team)

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(r) for r in self.roles_text.split(",") if r)

    @roles.setter
    def roles(self, roles: set[Role] | frozenset[Role]) -> None:
        self.roles_text = ",".join(sorted(Role(r).value for r in roles))

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles & set(roles))

    @property
    def is_active(self) -> bool:  # Flask-Login asks this
        return self.active

    @property
    def name(self) -> str:
        return self.display_name or self.username
