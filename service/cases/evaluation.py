"""What 7.1.5 evaluates, kept as columns the figures can count: a case's 问题属地 and degree of
change (entered), and the facts its approved forms state (个案来源, 问题/需要, each interview's
date and minutes, the closing type, transfer reason and goal outcomes), plus its follow-ups.

The facts are copied from a form when it is stored, so the figures are SQL aggregates over
indexed columns rather than a reading of every form's JSON.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import (
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    delete,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm.util import identity_key

from ..annexes import CLOSING, INTAKE
from ..annexes.closing import GOAL_MET, GOAL_PARTLY_MET
from ..annexes.process import Stage
from ..annexes.validate import time_span_minutes
from ..db import Model, db, insert_rows, upsert, utcnow
from ..evaluation.followup import DEFAULT_MONTHS, due_dates
from ..once import MadeOnce
from .models import Case, DocumentState, FormRecord


class CaseEvaluation(Model):
    """One row per case: where its matter belongs, how far it changed, what its forms say."""

    __tablename__ = "case_evaluations"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    place_district: Mapped[str] = mapped_column(String(40), default="", index=True)
    place_street: Mapped[str] = mapped_column(String(80), default="")
    change_before: Mapped[int | None]
    change_after: Mapped[int | None]
    case_source: Mapped[str] = mapped_column(String(40), default="", index=True)
    closing_type: Mapped[str] = mapped_column(String(40), default="")
    transfer_reason: Mapped[str] = mapped_column(String(120), default="")
    goals_total: Mapped[int] = mapped_column(default=0)
    goals_met: Mapped[int] = mapped_column(default=0)
    goals_partly_met: Mapped[int] = mapped_column(default=0)
    goals_unrated: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CaseNeed(Model):
    """One 问题/需要 option ticked on a case's intake."""

    __tablename__ = "case_needs"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    need: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class InterviewFact(Model):
    """When one interview (a C form) took place and how long it lasted."""

    __tablename__ = "interview_facts"
    # covering: a period's interviews and minutes are read from the index alone
    __table_args__ = (Index("ix_interview_facts_held_on", "held_on", "case_id", "minutes"),)

    form_id: Mapped[int] = mapped_column(ForeignKey("form_records.id"), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    held_on: Mapped[date | None]
    minutes: Mapped[int | None]


class Followup(Model):
    """A follow-up of a closed case: when it is due, and what was found when it was done."""

    __tablename__ = "followups"
    __table_args__ = (Index("ix_followups_due_on", "due_on", "case_id", "done_on"),
                      Index("ix_followups_done_on", "done_on", "case_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    due_on: Mapped[date]
    done_on: Mapped[date | None]
    finding: Mapped[str] = mapped_column(Text, default="")
    reopened: Mapped[bool] = mapped_column(default=False)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class SatisfactionSurvey(MadeOnce, Model):
    """One answered satisfaction survey of a case (see ``service.evaluation.survey``)."""

    __tablename__ = "satisfaction_surveys"
    __table_args__ = (Index("ix_satisfaction_surveys_filled_on", "filled_on", "case_id",
                            "overall"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    filled_on: Mapped[date]
    respondent: Mapped[str] = mapped_column(String(20))
    attitude: Mapped[int]
    timeliness: Mapped[int]
    help: Mapped[int]
    overall: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    followup_id: Mapped[int | None] = mapped_column(ForeignKey("followups.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    documents: Mapped[list[SurveyDocument]] = relationship(
        back_populates="survey", order_by="SurveyDocument.format")

    def answers(self) -> dict[str, Any]:
        """The answers as the declaration names them, with the day it was filled."""
        return {"filled_on": self.filled_on.isoformat(), "respondent": self.respondent,
                "attitude": self.attitude, "timeliness": self.timeliness, "help": self.help,
                "overall": self.overall, "comment": self.comment}


class SurveyDocument(Model):
    """A Word or PDF/A copy of one answered survey, made by the queue as a form's copies are."""

    __tablename__ = "survey_documents"
    __table_args__ = (UniqueConstraint("survey_id", "format"),
                      Index("ix_survey_documents_state", "state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("satisfaction_surveys.id"))
    format: Mapped[str] = mapped_column(String(8))  # docx | pdf
    state: Mapped[DocumentState] = mapped_column(String(8), default=DocumentState.QUEUED)
    path: Mapped[str] = mapped_column(default="")  # relative to WORK_ROOT
    sha256: Mapped[str] = mapped_column(String(64), default="")
    size: Mapped[int] = mapped_column(default=0)
    pages: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(default="")
    attempts: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    survey: Mapped[SatisfactionSurvey] = relationship(back_populates="documents")


# The figures select cases by these dates and stages.
Index("ix_cases_opened_on", Case.opened_on)
Index("ix_cases_closed_on", Case.closed_on)


#: A new evaluation row: nothing entered, nothing copied yet.
_EMPTY_EVALUATION: dict[str, Any] = {
    "place_district": "", "place_street": "", "case_source": "", "closing_type": "",
    "transfer_reason": "", "goals_total": 0, "goals_met": 0, "goals_partly_met": 0,
    "goals_unrated": 0}


def evaluation_of(case: Case) -> CaseEvaluation:
    """The case's evaluation row, made when first needed."""
    row = db.session.get(CaseEvaluation, case.id)
    if row is None:
        row = CaseEvaluation(case_id=case.id, **_EMPTY_EVALUATION)
        db.session.add(row)
    return row


def record_form(form: FormRecord, data: dict[str, Any]) -> None:
    """Copy what a stored form says into the figures' columns (an intake, an interview).

    Written as plain upserts: a form is stored far more often than its case's evaluation row
    is edited, and these are the hot path of every submission. A row this session already
    holds as an object is changed through it instead, so the two never disagree.
    """
    case = form.case
    if form.annex == INTAKE.code:
        source = str(data.get("case_source") or "")[:40]
        held = _held(CaseEvaluation, case.id)
        if held is not None:
            held.case_source = source
        else:
            upsert(CaseEvaluation.__table__, {"case_id": case.id},
                   {**_EMPTY_EVALUATION, "case_source": source, "updated_at": utcnow()},
                   changing=("case_source", "updated_at"))
        db.session.execute(_clear_needs(), {"case_id": case.id})
        needs = [{"case_id": case.id, "need": str(need)[:40]}
                 for need in dict.fromkeys(str(n)[:40] for n in data.get("needs") or [])]
        if needs:
            insert_rows(CaseNeed.__table__, needs)
    elif form.annex != CLOSING.code:  # an interview
        fact = {"case_id": case.id, "held_on": _date(data.get("date")),
                "minutes": time_span_minutes(data.get("time"))}
        held_fact = _held(InterviewFact, form.id)
        if held_fact is not None:
            for name, value in fact.items():
                setattr(held_fact, name, value)
        else:
            upsert(InterviewFact.__table__, {"form_id": form.id}, fact, changing=tuple(fact))


@cache
def _clear_needs() -> Any:
    """Built once, its case bound as it runs (building it had cost more than running it)."""
    return delete(CaseNeed.__table__).where(CaseNeed.case_id == bindparam("case_id"))


def _held(model: type[Any], key: int) -> Any:
    """The row of ``model`` whose primary key is ``key`` if this session holds it as an
    object (loaded, or added and not yet written), else None."""
    held = db.session.identity_map.get(identity_key(model, key))
    if held is not None:
        return held
    column = model.__mapper__.primary_key[0].key
    return next((o for o in db.session.new
                 if isinstance(o, model) and getattr(o, column) == key), None)


def followup_months() -> tuple[int, ...]:
    """The agency's follow-up months (FOLLOWUP_MONTHS), by default one and three."""
    if has_app_context():
        return tuple(current_app.config.get("FOLLOWUP_MONTHS") or DEFAULT_MONTHS)
    return DEFAULT_MONTHS


def record_closing(case: Case, data: dict[str, Any],
                   months: tuple[int, ...] | None = None) -> None:
    """Copy a closing form's type, reason and goal outcomes, and schedule the follow-ups."""
    row = evaluation_of(case)
    row.closing_type = str(data.get("closing_type") or "")[:40]
    row.transfer_reason = str(data.get("transfer_reason") or "")[:120]
    outcomes = [str(g.get("outcome") or "") for g in data.get("goals") or []
                if isinstance(g, dict)]
    row.goals_total = len(outcomes)
    row.goals_met = outcomes.count(GOAL_MET)
    row.goals_partly_met = outcomes.count(GOAL_PARTLY_MET)
    row.goals_unrated = outcomes.count("")
    if case.closed_on:
        schedule_followups(case, case.closed_on, months or followup_months())


def schedule_followups(case: Case, closed_on: date, months: tuple[int, ...]) -> list[Followup]:
    """The case's follow-ups from ``closed_on``: the ones not yet done are replaced, so a case
    closed again (or on a corrected date) is not followed up twice."""
    db.session.execute(delete(Followup).where(Followup.case_id == case.id,
                                              Followup.done_on.is_(None)))
    done = set(db.session.scalars(select(Followup.due_on).where(Followup.case_id == case.id)))
    made = [Followup(case_id=case.id, due_on=d, finding="", reopened=False)
            for d in due_dates(closed_on, months) if d not in done]
    db.session.add_all(made)
    return made


def reopen_after_followup(followup: Followup) -> None:
    """A follow-up found the matter unresolved: the case is open again (服务实施), its end date
    cleared and its follow-ups not yet done cancelled; a later closing schedules new ones."""
    case = db.session.get(Case, followup.case_id)
    if case is None:
        return
    followup.reopened = True
    case.stage = Stage.DELIVERY
    case.closed_on = None
    db.session.execute(delete(Followup).where(Followup.case_id == case.id,
                                              Followup.done_on.is_(None),
                                              Followup.id != followup.id))


def refresh_facts(case: Case) -> None:
    """Copy the facts of every stored form of ``case`` again from its latest version (records
    made before the figures existed, or after a correction by hand). Follow-ups already
    recorded are kept."""
    for form in case.forms:
        version = form.current
        if version is None:
            continue
        if form.annex == CLOSING.code:
            if not case.is_open:
                record_closing(case, version.data)
        else:
            record_form(form, version.data)


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
