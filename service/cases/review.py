"""What supervision (8.3) reads: the review history of a case and the review list.

The steps themselves (submit, withdraw, return, approve, reopen) are the state machine of
:mod:`service.cases.workflow`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..auth.models import ReviewStep
from ..db import db
from .models import FormRecord, FormState

MAX_COMMENT = 2000


def history(case_id: int) -> list[ReviewStep]:
    """The review steps of a case's forms, oldest first."""
    return list(db.session.scalars(
        select(ReviewStep).where(ReviewStep.case_id == case_id).order_by(ReviewStep.id)))


def withdrawn(case_ids: Any) -> list[FormRecord]:
    """The forms their workers took back from review, among the cases ``case_ids`` selects."""
    return list(db.session.scalars(
        select(FormRecord).where(FormRecord.state == FormState.WITHDRAWN,
                                 FormRecord.case_id.in_(case_ids))
        .order_by(FormRecord.id)))


def waiting(case_ids: Any) -> list[FormRecord]:
    """The forms waiting for review among the cases selected by ``case_ids`` (a subquery)."""
    return list(db.session.scalars(
        select(FormRecord).where(FormRecord.state == FormState.SUBMITTED,
                                 FormRecord.case_id.in_(case_ids))
        .order_by(FormRecord.id)))
