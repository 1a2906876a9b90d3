"""What a case's records say for the archive: its plain facts, its 件 in order, their titles,
dates and authors, and whether a version's copies are ready."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ...annexes import ANNEXES
from ...annexes.process import Stage
from ...archive.policy import CaseFacts
from ...cases.archival import ArchiveFile
from ...cases.evaluation import SatisfactionSurvey, SurveyDocument
from ...cases.models import Case, Document, DocumentState, FormRecord, FormVersion
from ...db import db
from ...evaluation import survey


def facts_of(case: Case) -> CaseFacts:
    """The plain facts of a case the archive engine needs."""
    return CaseFacts(
        case_id=case.id, number=case.number, client_name=case.client_name,
        worker=case.worker.name if case.worker else "",
        special_process=case.special_process, screening=dict(case.screening or {}),
        risk_grade=case.risk_grade, confidential=bool(case.confidential),
        transferred=case.stage == Stage.TRANSFERRED, opened_on=case.opened_on, closed_on=case.closed_on)


def ordered_forms(case: Case) -> list[FormRecord]:
    """The case's submitted forms in 件 order, as the annexes declare it (B, then each C by
    its date, then D)."""
    def key(form: FormRecord) -> tuple[Any, ...]:
        annex = ANNEXES[form.annex]
        data = form.current.data if form.current else {}
        return (annex.order, str(data.get(annex.date_field, "")), form.seq)
    return sorted((f for f in case.forms if f.current is not None), key=key)


def form_title(form: FormRecord, *, short: bool) -> str:
    """A 件's title from the declaration; a numbered form carries its number (第 n 次)."""
    annex = ANNEXES[form.annex]
    name = annex.short_title if short else annex.title
    if annex.repeats:
        count = annex[annex.seq_field]
        number = (form.current.data if form.current else {}).get(annex.seq_field) or form.seq
        return f"{name}{count.prefix}{number}{count.suffix}"
    return name


def item_date(version: FormVersion) -> str:
    """The 件's date: the form's own date, else the day it was submitted."""
    value = version.data.get(ANNEXES[version.form.annex].date_field)
    return str(value) if value else version.submitted_at.date().isoformat()


def author_of(case: Case, version: FormVersion) -> str:
    """The 件's 责任者: the worker named on the form, else the case's worker."""
    return str(version.data.get("worker") or (case.worker.name if case.worker else ""))


def ready_copies(version: FormVersion | None) -> dict[str, Document] | None:
    """A version's copies by format when all are ready (a PDF among them); else None."""
    if version is None:
        return None
    docs = {d.format: d for d in version.documents}
    if "pdf" not in docs or any(d.state != DocumentState.READY for d in docs.values()):
        return None
    return docs


def survey_title(entry: SatisfactionSurvey, *, short: bool) -> str:
    """A survey 件's title from its declaration; the full title names the day it was filled,
    since a case may hold a survey at closing and more at its follow-ups."""
    if short:
        return f"{survey.SHORT_TITLE}-{entry.filled_on.isoformat()}"
    return f"{survey.TITLE}（{entry.filled_on.isoformat()}）"


def ready_survey_copies(entry: SatisfactionSurvey) -> dict[str, SurveyDocument] | None:
    """A survey's copies by format when all are ready (a PDF among them); else None."""
    docs = {d.format: d for d in entry.documents}
    if "pdf" not in docs or any(d.state != DocumentState.READY for d in docs.values()):
        return None
    return docs


def unfiled_surveys(case: Case, record: ArchiveFile) -> list[SatisfactionSurvey]:
    """The case's surveys whose copies are ready and that ``record`` does not hold yet, in the
    order they were filled (件 order: after the annex forms)."""
    filed = {i.survey_id for i in record.items if i.survey_id is not None}
    entries = db.session.scalars(
        select(SatisfactionSurvey).where(SatisfactionSurvey.case_id == case.id)
        .order_by(SatisfactionSurvey.filled_on, SatisfactionSurvey.id)).all()
    return [e for e in entries if e.id not in filed and ready_survey_copies(e)]
