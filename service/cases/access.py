"""Who may see which case. Asked at the door (pages, API, downloads), never inside an engine.

- a worker: the cases assigned to them, and cases handed to them (服务跟进 or transfer);
- a supervisor or director: the cases of their team (with no teams, the agency is one team; a
  director of no team sees every team, a supervisor of no team the cases of no team);
- an archivist: closed or transferred (archived) cases only, never open case work;
- an administrator, or anyone else: nothing, and not even whether a case exists (404).

A confidential case opens only for its own worker (not for one it was handed to for
follow-up), the supervisors and directors above, never for an archivist: an archivist's
archive list shows that it exists, masked, and nothing more (:func:`listed_filter`). Every
opening of a confidential case is written to the audit trail (:func:`require_case`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, and_, bindparam, event, false, or_, select, true
from sqlalchemy.orm import Session

from ..annexes.process import END_STAGES
from ..annexes.validate import N_
from ..auth.models import Handover, HandoverKind, Role, Team, User
from ..db import db
from ..i18n import MessageError
from .models import Case, FormRecord

F = TypeVar("F", bound=Callable[..., Any])
#: Who may bring legacy files in (pages, API and command line alike).
IMPORTERS = (Role.ADMIN, Role.DIRECTOR, Role.SUPERVISOR)


def _teams_exist() -> bool:
    return db.session.scalar(select(Team.id).limit(1)) is not None


class Oversight(StrEnum):
    """Which cases a supervisor or director oversees."""

    NOTHING = ""  # neither a supervisor nor a director
    ALL = "all"  # every case (no teams yet, or a director of no team)
    TEAM = "team"  # their team's cases
    NO_TEAM = "no_team"  # the cases of no team (a supervisor of no team)


@dataclass(frozen=True)
class Scope:
    """What a user's roles and team decide about the cases they may see, without their ids:
    users of one scope see cases by the same condition, only its values differ."""

    worker: bool = False  # their own cases, and open cases handed to them
    oversight: Oversight = Oversight.NOTHING
    archivist: bool = False  # open-to-all archived cases


def scope_of(user: User | None) -> Scope | None:
    """The scope of ``user``; None for nobody (signed out, inactive)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return None
    oversight = Oversight.NOTHING
    if user.has_role(Role.SUPERVISOR, Role.DIRECTOR):
        if not _teams_exist() or (user.team_id is None and user.has_role(Role.DIRECTOR)):
            oversight = Oversight.ALL
        else:
            oversight = Oversight.TEAM if user.team_id is not None else Oversight.NO_TEAM
    return Scope(worker=user.has_role(Role.WORKER), oversight=oversight,
                 archivist=user.has_role(Role.ARCHIVIST))


def _scope_condition(scope: Scope | None, viewer: Any, team: Any) -> Any:
    """The SQL condition on Case of ``scope`` for the user ``viewer`` of ``team`` (values, or
    bound parameters given when it runs)."""
    if scope is None:
        return false()
    conditions = []
    open_to_all = Case.confidential.is_(False)
    if scope.worker:
        handed = select(Handover.case_id).where(Handover.to_user_id == viewer)
        conditions.append(or_(Case.worker_id == viewer, and_(open_to_all, Case.id.in_(handed))))
    if scope.oversight is Oversight.ALL:
        conditions.append(true())
    elif scope.oversight is Oversight.TEAM:
        conditions.append(Case.team_id == team)
    elif scope.oversight is Oversight.NO_TEAM:
        conditions.append(Case.team_id.is_(None))
    if scope.archivist:
        conditions.append(and_(open_to_all, _archived()))
    return or_(*conditions) if conditions else false()


def case_filter(user: User | None) -> Any:
    """A SQL condition on Case that holds for exactly the cases ``user`` may see."""
    return _scope_condition(scope_of(user), getattr(user, "id", None),
                            getattr(user, "team_id", None))


@cache
def _visible_case(scope: Scope | None) -> Any:
    """The case of a bound id if a user of ``scope`` (bound as ``viewer`` of ``team``) may
    see it: built once a scope, as opening a case is what every case page does first."""
    return select(Case).where(Case.id == bindparam("case_id"),
                              _scope_condition(scope, bindparam("viewer"), bindparam("team")))


@cache
def _visible_case_and_form(scope: Scope | None) -> Any:
    """:func:`_visible_case`, with the case's form of a bound ``form_id`` (or None) beside it."""
    return (_visible_case(scope).add_columns(FormRecord)
            .outerjoin(FormRecord, and_(FormRecord.case_id == Case.id,
                                        FormRecord.id == bindparam("form_id"))))


def _visible(case_id: int, user: User | None) -> Case | None:
    """The case if ``user`` may see it, by the statement of their scope."""
    return db.session.scalar(_visible_case(scope_of(user)), _viewing(case_id, user))


def _visible_with_form(case_id: int, form_id: int, user: User | None
                       ) -> tuple[Case, FormRecord | None] | None:
    """The case if ``user`` may see it, and its form ``form_id`` (None if it has no such
    form), by one statement."""
    row = db.session.execute(_visible_case_and_form(scope_of(user)),
                             {**_viewing(case_id, user), "form_id": form_id}).first()
    return None if row is None else (row[0], row[1])


def _viewing(case_id: int, user: User | None) -> dict[str, Any]:
    return {"case_id": case_id, "viewer": getattr(user, "id", None),
            "team": getattr(user, "team_id", None)}


def _archived() -> Any:
    return Case.stage.in_([s.value for s in END_STAGES])


def listed_filter(user: User | None) -> Any:
    """A SQL condition on Case: the cases whose existence ``user``'s lists show. That is the
    cases they may open, and for an archivist also the confidential archived cases, which
    their lists show masked and never open (:func:`is_masked`)."""
    condition = case_filter(user)
    if user is not None and getattr(user, "is_authenticated", False) and user.active \
            and user.has_role(Role.ARCHIVIST):
        condition = or_(condition, and_(Case.confidential.is_(True), _archived()))
    return condition


def is_masked(user: User | None, case: Case) -> bool:
    """Whether ``case`` appears to ``user`` only as existing (listed, never opened)."""
    return bool(case.confidential) and not can_view_case(user, case)


def audit_confidential_opening(case: Case, user: User | None, via: str) -> None:
    """Write one opening of a confidential case to the audit trail, committed at once (so a
    page that writes nothing still leaves its trace)."""
    from flask import request

    from ..auth import audit

    audit.record("case.confidential_open", case, user=user, via=via,
                 route=request.endpoint or "", method=request.method)
    db.session.commit()


def visible_cases(user: User | None) -> Select[Any]:
    """A select of the cases ``user`` may see."""
    return select(Case).where(case_filter(user))


def can_view_case(user: User | None, case: Case) -> bool:
    """Whether ``user`` may see ``case``: asked of the database once per transaction."""
    if _seen(user, case):
        return True
    visible = _visible(case.id, user) is not None
    if visible:
        _remember_seen(user, case)
    return visible


_SEEN_KEY = "access.cases_seen"


def _seen(user: User | None, case: Case) -> bool:
    return user is not None and (getattr(user, "id", None), case.id) in db.session.info.get(
        _SEEN_KEY, ())


def _remember_seen(user: User | None, case: Case) -> None:
    """Note that ``user`` was found to see ``case`` in this transaction; the note ends with
    it, so a handover or a new role is asked afresh by the next one."""
    if user is not None and getattr(user, "id", None) is not None:
        db.session.info.setdefault(_SEEN_KEY, set()).add((user.id, case.id))


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_seen(session: Session) -> None:
    session.info.pop(_SEEN_KEY, None)


def can_edit_case(user: User | None, case: Case, *, seen: bool = False) -> bool:
    """Whether ``user`` may write the worker's part of the case's forms.

    ``seen``: the caller has just found the case among those the user may see.
    """
    if user is None or not case.is_open or not (seen or can_view_case(user, case)):
        return False
    return user.has_role(Role.WORKER, Role.SUPERVISOR, Role.DIRECTOR)


def can_review(user: User | None, case: Case, *, seen: bool = False) -> bool:
    """Whether ``user`` may sign off the case's forms (8.3); ``seen`` as above."""
    return (user is not None and user.has_role(Role.SUPERVISOR, Role.DIRECTOR)
            and (seen or can_view_case(user, case)))


def reviewers_of(case: Case) -> list[User]:
    """The active supervisors and directors who may sign off ``case`` (who a flag notifies)."""
    people = db.session.scalars(select(User).where(User.active.is_(True))).all()
    return [u for u in people if u.has_role(Role.SUPERVISOR, Role.DIRECTOR)
            and can_view_case(u, case)]


class HandoverError(MessageError, ValueError):
    """A case cannot be handed over as asked."""


def hand_over(case: Case, to_user: User, kind: HandoverKind, *, by: User | None = None,
              note: str = "", key: str | None = None) -> Handover:
    """Hand ``case`` to another worker (the caller commits).

    服务跟进 (follow-up) lets ``to_user`` work on the case beside its worker; a transfer makes
    ``to_user`` its worker, and the previous worker no longer sees it. ``key``: the request
    that hands it over (``service.once``).
    """
    if not to_user.active or not to_user.has_role(Role.WORKER):
        raise HandoverError(N_("A case can only be handed to an active social worker."))
    if to_user.id == case.worker_id:
        raise HandoverError(N_("This worker already holds the case."))
    handover = Handover(case_id=case.id, from_user_id=case.worker_id, to_user_id=to_user.id,
                        kind=HandoverKind(kind), note=note.strip()[:2000],
                        by_id=getattr(by, "id", None), request_key=key)
    db.session.add(handover)
    if handover.kind is HandoverKind.TRANSFER:
        db.session.execute(
            Handover.__table__.delete().where(Handover.case_id == case.id,
                                              Handover.to_user_id == case.worker_id))
        case.worker_id = to_user.id
        if to_user.team_id is not None:
            case.team_id = to_user.team_id
    db.session.flush()
    return handover


def find_case(case_id: int, user: User | None, via: str) -> Case | None:
    """The case if ``user`` may see it, else None. Opening a confidential case is audited
    (``via``: the pages or the API), and the sighting is remembered for the transaction."""
    case = _visible(case_id, user)
    if case is not None:
        _opened(case, user, via)
    return case


def find_case_and_form(case_id: int, form_id: int, user: User | None, via: str
                       ) -> tuple[Case, FormRecord | None] | None:
    """:func:`find_case`, and the case's form ``form_id`` (None if the case has no such
    form), read by the same statement: every form page opens both."""
    found = _visible_with_form(case_id, form_id, user)
    if found is not None:
        _opened(found[0], user, via)
    return found


def _opened(case: Case, user: User | None, via: str) -> None:
    if case.confidential:
        audit_confidential_opening(case, user, via)
    _remember_seen(user, case)


def require_case(case_id: int) -> Case:
    """The case, if the current user may see it; 404 otherwise (never 403: no existence leak).
    Opening a confidential case is audited."""
    case = find_case(case_id, current_user, "web")
    if case is None:
        abort(404)
    return case


def require_case_and_form(case_id: int, form_id: int) -> tuple[Case, FormRecord]:
    """The case and its form ``form_id``, if the current user may see the case and it has
    that form; 404 otherwise, as for :func:`require_case`."""
    found = find_case_and_form(case_id, form_id, current_user, "web")
    if found is None or found[1] is None:
        abort(404)
    return found[0], found[1]


def roles_required(*roles: Role) -> Callable[[F], F]:
    """A view decorator: sign-in required, and one of ``roles``; 403 otherwise."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                from ..extensions import login_manager

                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate
