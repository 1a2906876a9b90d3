"""The 7.1 process of a case: opening, new forms, what a stored form says about its case,
stages and closing. The review cycle that calls these steps is :mod:`service.cases.workflow`.

Functions here only add to and flush the session; the caller commits, so one request or one
imported file is one transaction.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import Date, and_, bindparam, func, or_, select

from ..annexes import CLOSING, OPENING, Annex, get_annex
from ..annexes.process import END_STAGES, PENDING_STAGES, STAGE_ORDER, Stage
from ..annexes.validate import N_
from ..db import db, take_turns, utcnow
from ..once import made_under
from .errors import LifecycleError
from .evaluation import record_closing
from .models import Case, FormRecord, FormVersion

__all__ = ["LifecycleError", "advance", "close_case", "content_hash", "find_submission",
           "follow", "goals_from_text", "new_form", "next_case_number", "open_case", "prefill",
           "set_stage", "submission_and_latest", "utcnow"]


def content_hash(data: dict[str, Any]) -> str:
    """A stable SHA-256 of a form's data."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def next_case_number(year: int) -> str:
    """XF-<year>-<serial>, the serial never reused within the year."""
    prefix = f"XF-{year}-"
    take_turns("case-number", Case.__table__)
    last = db.session.scalar(
        select(func.max(Case.number)).where(Case.number.like(f"{prefix}%")))
    serial = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{serial:05d}"


def open_case(*, worker: Any = None, client_name: str = "", opened_on: date | None = None,
              team: Any = None, key: str | None = None) -> Case:
    """A new case at 接触登记, with its number; ``key``: the request that opens it
    (``service.once``)."""
    opened_on = opened_on or date.today()
    case = Case(number=next_case_number(opened_on.year), client_name=client_name,
                request_key=key,
                worker_id=getattr(worker, "id", None),
                team_id=getattr(team, "id", None) or getattr(worker, "team_id", None),
                opened_on=opened_on, stage=Stage.CONTACT)
    db.session.add(case)
    db.session.flush()
    return case


def new_form(case: Case, annex_code: str, *, by: Any = None, key: str | None = None
             ) -> FormRecord:
    """A new, empty form of the case. A repeated annex (C) is numbered; others are one each,
    so asking again for one the case holds returns it.

    ``key``: the request that adds it (``service.once``); the same request again (a double
    tap, a retry) returns the form it added. The case's forms take turns, so that
    simultaneous requests number their forms one after another, and a repeat finds the
    first's form."""
    annex = get_annex(annex_code)
    take_turns(f"forms:{case.id}", FormRecord.__table__)
    if (earlier := made_under(FormRecord, key)) is not None:
        if earlier.case_id != case.id:
            raise LifecycleError(N_("This request was already made for another case."))
        return earlier
    existing = db.session.scalars(select(FormRecord).where(
        FormRecord.case_id == case.id, FormRecord.annex == annex.code)
        .order_by(FormRecord.seq)).all()
    if not annex.repeats and existing:
        return existing[0]
    if annex.closes_case and not case.is_open:
        raise LifecycleError(N_("This case is already closed."))
    seq = max((f.seq for f in existing), default=0) + 1
    form = FormRecord(case=case, annex=annex.code, seq=seq, draft=prefill(case, annex, seq),
                      created_by_id=getattr(by, "id", None), request_key=key)
    db.session.add(form)
    db.session.flush()
    return form


def prefill(case: Case, annex: Annex, seq: int) -> dict[str, Any]:
    """What a new form takes from its case, as its declaration says (worker, names, dates,
    its number; a goal table starts from the goals the opening form planned)."""
    sources: dict[str, Any] = {
        "worker": case.worker.name if case.worker else "",
        "client_name": case.client_name,
        "opened_on": case.opened_on.isoformat() if case.opened_on else "",
        "seq": seq,
    }
    data = {name: sources[source] for name, source in annex.prefill}
    if annex.outcomes is not None:
        opening = next(iter(case.forms_of(OPENING.code)), None)
        planned = opening.data.get(annex.outcomes.planned_in, "") if opening else ""
        data[annex.outcomes.table] = goals_from_text(planned, annex)
    return data


def goals_from_text(text: str, annex: Annex = CLOSING) -> list[dict[str, Any]]:
    """Planned goals, one a line (numbering like "1." or "（1）" dropped), as the rows of
    ``annex``'s goal table (its first column numbers them)."""
    table = annex.outcomes
    if table is None:
        return []
    columns = [c.name for c in annex[table.table].columns]
    goals = [re.sub(r"^\s*(?:[（(]?\d+[)）.、．]\s*|[-•·]\s*)", "", line).strip()
             for line in (text or "").splitlines()]
    rows = []
    for n, goal in enumerate((g for g in goals if g), start=1):
        row: dict[str, Any] = dict.fromkeys(columns, "")
        row.update({columns[0]: n, table.goal: goal})
        rows.append(row)
    return rows


def find_submission(token: str | None) -> FormVersion | None:
    """The version an earlier submission with ``token`` stored, if any (double submits)."""
    if not token:
        return None
    return db.session.scalar(_by_token(), {"token": token})


@cache
def _by_token() -> Any:
    return select(FormVersion).where(FormVersion.submission_token == bindparam("token"))


def submission_and_latest(form: FormRecord, token: str | None
                          ) -> tuple[FormVersion | None, FormVersion | None]:
    """What a submission checks first, read by one statement: the version an earlier
    submission with ``token`` stored (:func:`find_submission`), and ``form``'s latest version
    (``form.current``)."""
    if not token or form.id is None or "versions" in form.__dict__:
        return find_submission(token), form.current
    found = db.session.scalars(_by_token_or_latest(), {"token": token,
                                                       "form_id": form.id}).all()
    earlier = next((v for v in found if v.submission_token == token), None)
    latest = max((v for v in found if v.form_id == form.id), key=lambda v: v.number,
                 default=None)
    return earlier, latest


@cache
def _by_token_or_latest() -> Any:
    """The version of a token, and the latest of a form (the highest number among its own)."""
    own = FormVersion.__table__.alias("own")
    highest = (select(func.max(own.c.number)).where(own.c.form_id == bindparam("form_id"))
               .scalar_subquery())
    return select(FormVersion).where(or_(
        FormVersion.submission_token == bindparam("token"),
        and_(FormVersion.form_id == bindparam("form_id"), FormVersion.number == highest)))


def follow(case: Case, annex: Annex, data: dict[str, Any]) -> None:
    """What a submitted form says about its case: the case facts it names and its stage."""
    for attribute, name in annex.case_fields:
        value = data.get(name)
        if not value:
            continue
        setattr(case, attribute, date.fromisoformat(value)
                if isinstance(getattr(Case, attribute).type, Date) else value)
    stage = annex.stage_after(data)
    if stage is not None:
        advance(case, stage)


def advance(case: Case, stage: Stage) -> None:
    """Move an open case forward to ``stage`` (never backwards)."""
    if case.is_open and STAGE_ORDER.index(stage) > STAGE_ORDER.index(Stage(case.stage)):
        case.stage = stage


def await_closing(case: Case, annex: Annex, data: dict[str, Any]) -> None:
    """A closing form is submitted: the case waits for its sign-off (pending closure or
    pending transfer), still open, its closing facts written."""
    follow(case, annex, data)
    case.stage = Stage.PENDING_TRANSFER if annex.transfers(data) else Stage.PENDING_CLOSURE


def resume(case: Case, annex: Annex, data: dict[str, Any]) -> None:
    """A closing form went back to its worker: the case is open at the stage before closing."""
    if case.stage in PENDING_STAGES:
        case.stage = annex.stage_after(data) or Stage.EVALUATION


def close_case(case: Case, annex: Annex, data: dict[str, Any]) -> None:
    """Close or transfer the case as its signed-off closing form says."""
    follow(case, annex, data)
    case.stage = Stage.TRANSFERRED if annex.transfers(data) else Stage.CLOSED
    record_closing(case, data)


def set_stage(case: Case, stage: Stage) -> None:
    """Set an open case's stage by hand (a worker records 成效评估, say)."""
    if not case.is_open:
        raise LifecycleError(N_("This case is closed."))
    if stage in END_STAGES or stage in PENDING_STAGES:
        raise LifecycleError(N_("A case is closed by the sign-off of its closing form."))
    if case.stage in PENDING_STAGES and stage != case.stage:
        raise LifecycleError(N_("The closing form waits for review: withdraw it to change the "
                                "stage."))
    case.stage = stage
