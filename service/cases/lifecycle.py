"""The 7.1 process of a case: opening, forms and their versions, stages, closing.

Functions here only add to and flush the session; the caller commits, so one request or one
imported file is one transaction.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from typing import Any

from sqlalchemy import func, select

from ..annexes import CLOSING, INTAKE, INTERVIEW
from ..annexes.closing import TRANSFER
from ..annexes.process import STAGE_ORDER, Stage
from ..db import db, take_turns
from .evaluation import record_closing, record_form
from .models import Case, FormRecord, FormState, FormVersion, utcnow


class LifecycleError(Exception):
    """A step the process does not allow (message id, translated by the caller)."""


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
              team: Any = None) -> Case:
    """A new case at 接触登记, with its number."""
    opened_on = opened_on or date.today()
    case = Case(number=next_case_number(opened_on.year), client_name=client_name,
                worker_id=getattr(worker, "id", None),
                team_id=getattr(team, "id", None) or getattr(worker, "team_id", None),
                opened_on=opened_on, stage=Stage.CONTACT)
    db.session.add(case)
    db.session.flush()
    return case


def new_form(case: Case, annex_code: str, *, by: Any = None) -> FormRecord:
    """A new, empty form of the case. C forms are numbered (工作次数); B and D are one each."""
    annex_code = annex_code.upper()
    existing = case.forms_of(annex_code)
    if annex_code in (INTAKE.code, CLOSING.code) and existing:
        return existing[0]
    if annex_code == CLOSING.code and not case.is_open:
        raise LifecycleError("This case is already closed.")
    seq = max((f.seq for f in existing), default=0) + 1
    draft = _prefill(case, annex_code, seq)
    form = FormRecord(case=case, annex=annex_code, seq=seq, draft=draft,
                      created_by_id=getattr(by, "id", None))
    db.session.add(form)
    db.session.flush()
    return form


def _prefill(case: Case, annex_code: str, seq: int) -> dict[str, Any]:
    """What a new form can take from the case: C's 工作次数, D's names, dates and goals."""
    worker = case.worker.name if case.worker else ""
    if annex_code == INTAKE.code:
        return {"worker": worker}
    if annex_code == INTERVIEW.code:
        return {"session_no": seq, "interviewee": case.client_name}
    intake = next(iter(case.forms_of(INTAKE.code)), None)
    goals_text = intake.data.get("service_goals", "") if intake else ""
    return {
        "client_name": case.client_name,
        "worker": worker,
        "opened_on": case.opened_on.isoformat() if case.opened_on else "",
        "goals": goals_from_text(goals_text),
    }


def goals_from_text(text: str) -> list[dict[str, Any]]:
    """B's 服务目标, one goal a line (numbering like "1." or "（1）" dropped), as D's rows."""
    goals = [re.sub(r"^\s*(?:[（(]?\d+[)）.、．]\s*|[-•·]\s*)", "", line).strip()
             for line in (text or "").splitlines()]
    return [{"seq": n, "goal": g, "status": "", "remark": ""}
            for n, g in enumerate((g for g in goals if g), start=1)]


def save_draft(form: FormRecord, data: dict[str, Any], *, by: Any = None) -> None:
    """Keep what is typed so far; a draft may be incomplete."""
    if form.state in (FormState.SUBMITTED, FormState.APPROVED):
        form.state = FormState.DRAFT  # editing a submitted form starts a new version
    form.draft = data
    form.draft_saved_at = utcnow()


def find_submission(token: str | None) -> FormVersion | None:
    """The version an earlier submission with ``token`` stored, if any (double submits)."""
    if not token:
        return None
    return db.session.scalar(select(FormVersion).where(FormVersion.submission_token == token))


def submit_form(form: FormRecord, data: dict[str, Any], *, by: Any = None,
                token: str | None = None, source: str = "typed") -> FormVersion:
    """Store a clean form as a new immutable version and move the case along.

    Idempotent: a second submission with the same ``token`` returns the first version.
    """
    earlier = find_submission(token)
    if earlier is not None:
        return earlier
    last = db.session.scalar(
        select(func.max(FormVersion.number)).where(FormVersion.form_id == form.id))
    number = (last or 0) + 1
    version = FormVersion(form=form, number=number, data=data, content_hash=content_hash(data),
                          submission_token=token, source=source,
                          submitted_by_id=getattr(by, "id", None),
                          documents=[])  # known empty: no query for them
    db.session.add(version)
    form.state = FormState.SUBMITTED
    form.draft = {}
    form.review_comment = ""
    _follow(form.case, form.annex, data)
    record_form(form, data)
    db.session.flush()
    return version


def _follow(case: Case, annex_code: str, data: dict[str, Any]) -> None:
    """What a submitted form says about the case: its names, dates and stage."""
    if annex_code == INTAKE.code:
        case.client_name = data.get("client_name") or case.client_name
        case.client_phone = data.get("phone") or case.client_phone
        if data.get("first_contact_date"):
            case.opened_on = date.fromisoformat(data["first_contact_date"])
        advance(case, Stage.PLANNING if data.get("service_goals") else Stage.ASSESSMENT)
    elif annex_code == INTERVIEW.code:
        advance(case, Stage.DELIVERY)
    elif annex_code == CLOSING.code:
        close_case(case, data)


def advance(case: Case, stage: Stage) -> None:
    """Move an open case forward to ``stage`` (never backwards)."""
    if case.is_open and STAGE_ORDER.index(stage) > STAGE_ORDER.index(Stage(case.stage)):
        case.stage = stage


def close_case(case: Case, d_data: dict[str, Any]) -> None:
    """Close or transfer the case as its Annex D says."""
    case.stage = Stage.TRANSFERRED if d_data.get("category") == TRANSFER else Stage.CLOSED
    if d_data.get("closed_on"):
        case.closed_on = date.fromisoformat(d_data["closed_on"])
    if d_data.get("opened_on"):
        case.opened_on = date.fromisoformat(d_data["opened_on"])
    record_closing(case, d_data)


def set_stage(case: Case, stage: Stage) -> None:
    """Set an open case's stage by hand (a worker records 成效评估, say)."""
    if not case.is_open:
        raise LifecycleError("This case is closed.")
    if stage in (Stage.CLOSED, Stage.TRANSFERRED):
        raise LifecycleError("A case is closed by its Annex D.")
    case.stage = stage
