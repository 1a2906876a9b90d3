"""Users, roles and teams; API tokens, case handovers, 8.6 risk flags, review steps and the
audit trail."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Model, utcnow
from ..once import MadeOnce


class Role(StrEnum):
    """Roles; the value is the code the CLI takes."""

    WORKER = "worker"  # 社工
    SUPERVISOR = "supervisor"  # 督导
    DIRECTOR = "director"  # 主任
    ARCHIVIST = "archivist"  # 档案员
    ADMIN = "admin"  # 管理员
    MONITOR = "monitor"  # 信访部门监测: the bureau's monitors read the figures, never a case


class Team(Model):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class User(UserMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str] = mapped_column(String(254), default="")  # 8.6 notices by e-mail
    locale: Mapped[str] = mapped_column(String(16), default="")  # last language chosen
    password_hash: Mapped[str] = mapped_column(default="")
    roles_text: Mapped[str] = mapped_column("roles", String(200), default="")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Every session cookie names this number; raising it ends all the user's sessions at once.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")

    team = relationship(Team)

    def get_id(self) -> str:  # Flask-Login keeps this in the session cookie
        return f"{self.id}.{self.session_generation}"

    def end_sessions(self) -> None:
        """End every session of this user, in every browser (the caller commits)."""
        self.session_generation = (self.session_generation or 0) + 1

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


class AuditEntry(Model):
    """One line of the audit trail: append-only, each line chained to the one before by hash.

    ``seq`` is unique and contiguous from 1, so a removed line leaves a gap and a second writer
    racing for the same place fails instead of forking the chain.
    """

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(index=True)  # no FK: the trail outlives users
    username: Mapped[str] = mapped_column(String(80), default="")
    action: Mapped[str] = mapped_column(String(40), index=True)
    case_id: Mapped[int | None] = mapped_column(index=True)
    address: Mapped[str] = mapped_column(String(64), default="")
    details: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class ApiToken(Model):
    """A bearer token for the API. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked: Mapped[bool] = mapped_column(default=False)

    user = relationship(User)


class HandoverKind(StrEnum):
    """How a case reaches a second worker."""

    FOLLOW_UP = "follow_up"  # 服务跟进: 个案委派予 another worker, who works beside the first
    TRANSFER = "transfer"  # the case moves to another worker, who becomes its worker


class Handover(MadeOnce, Model):
    """A case handed to another worker (服务跟进 or transfer): that worker may then see it."""

    __tablename__ = "handovers"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    from_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    to_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[HandoverKind] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text, default="")
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    to_user = relationship(User, foreign_keys=[to_user_id])
    from_user = relationship(User, foreign_keys=[from_user_id])


class RiskFlag(MadeOnce, Model):
    """The 8.6 exception: a risk to the petitioner's life or to others, and what was done."""

    __tablename__ = "risk_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    concern: Mapped[str] = mapped_column(Text)
    action_taken: Mapped[str] = mapped_column(Text, default="")
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    handled_at: Mapped[datetime | None]

    case = relationship("Case")
    raised_by = relationship(User, foreign_keys=[raised_by_id])
    handled_by = relationship(User, foreign_keys=[handled_by_id])

    @property
    def is_open(self) -> bool:
        return self.handled_at is None


class ReviewAction(StrEnum):
    """A step of a form's review (8.3)."""

    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"
    REOPENED = "reopened"


class ReviewStep(MadeOnce, Model):
    """One step in the review history of a form: who did what, when, and why."""

    __tablename__ = "review_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("form_records.id"), index=True)
    version_number: Mapped[int | None]
    action: Mapped[ReviewAction] = mapped_column(String(12))
    comment: Mapped[str] = mapped_column(Text, default="")
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    #: a return's comments on single cells (field path -> comment)
    field_comments: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)

    by = relationship(User)
