"""Supervision of forms (8.3): submit for review, approve with a signature, return with comments.

A worker's submission waits for a supervisor or director. The reviewer writes the cells that are
theirs (``Field.reviewer_only``: B 主任签批, C 主任(督导)意见 and 主任签署, D 服务机构的评估 and
项目主任签字) and approves, which stores them as a new, signed version and locks the form; or
returns the form with comments, and the worker carries on from what they submitted. A locked
form changes only by being reopened, which starts a draft whose next version needs review again.

Functions here only add to and flush the session; the caller commits.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..annexes import ANNEXES
from ..annexes.model import Annex, Kind
from ..annexes.validate import Problem, clean, is_blank
from ..auth.models import ReviewAction, ReviewStep
from ..db import db
from .lifecycle import content_hash
from .models import FormRecord, FormState, FormVersion, utcnow

MAX_COMMENT = 2000


class ReviewError(Exception):
    """A review step the form's state does not allow (message id, translated by the caller)."""


def reviewer_fields(annex: Annex) -> list[str]:
    """The names of the cells only a supervisor or director writes."""
    return [f.name for f in annex if f.reviewer_only]


def reviewer_signatures(annex: Annex) -> list[str]:
    """The reviewer's signature cells: approval needs each of them signed and dated."""
    return [f.name for f in annex if f.reviewer_only and f.kind is Kind.SIGNATURE]


def _step(form: FormRecord, action: ReviewAction, by: Any, comment: str = "",
          version: FormVersion | None = None) -> ReviewStep:
    step = ReviewStep(case_id=form.case_id, form_id=form.id, action=action,
                      comment=comment, by_id=getattr(by, "id", None),
                      version_number=version.number if version else None)
    db.session.add(step)
    return step


def submitted(form: FormRecord, version: FormVersion, *, by: Any = None) -> ReviewStep:
    """Note that ``version`` was submitted for review (the lifecycle stored it)."""
    return _step(form, ReviewAction.SUBMITTED, by, version=version)


def approve(form: FormRecord, reviewer_data: dict[str, Any], *, by: Any
            ) -> tuple[FormVersion | None, list[Problem]]:
    """Sign off a submitted form with the reviewer's cells; (new version, []) or (None, problems).

    Only the reviewer's cells are taken from ``reviewer_data``; the worker's cells are those of
    the submitted version. The signed data is checked in full before anything is stored.
    """
    if form.state != FormState.SUBMITTED or form.current is None:
        raise ReviewError("Only a form submitted for review can be approved.")
    annex = ANNEXES[form.annex]
    merged = dict(form.current.data)
    for name in reviewer_fields(annex):
        merged[name] = reviewer_data.get(name)
    data, problems = clean(annex, merged, submit=True)
    for name in reviewer_signatures(annex):
        signature = data.get(name) or {}
        for part in ("image", "date"):
            if is_blank(signature.get(part) if isinstance(signature, dict) else None):
                problems.append(Problem(f"{name}.{part}", "The reviewer must sign and date."))
    if problems:
        return None, problems
    now = utcnow()
    version = FormVersion(form=form, number=form.current.number + 1, data=data,
                          content_hash=content_hash(data), source="typed",
                          submitted_by_id=form.current.submitted_by_id,
                          approved_by_id=getattr(by, "id", None), approved_at=now)
    db.session.add(version)
    form.state = FormState.APPROVED
    form.review_comment = ""
    form.draft = {}
    db.session.flush()
    _step(form, ReviewAction.APPROVED, by, version=version)
    return version, []


def return_form(form: FormRecord, comment: str, *, by: Any) -> ReviewStep:
    """Send a submitted form back to its worker with the reviewer's comments."""
    comment = (comment or "").strip()
    if form.state != FormState.SUBMITTED or form.current is None:
        raise ReviewError("Only a form submitted for review can be returned.")
    if not comment:
        raise ReviewError("Say what should change when returning a form.")
    if len(comment) > MAX_COMMENT:
        raise ReviewError("The comment is too long.")
    form.state = FormState.RETURNED
    form.review_comment = comment
    form.draft = dict(form.current.data)
    return _step(form, ReviewAction.RETURNED, by, comment=comment, version=form.current)


def reopen(form: FormRecord, reason: str, *, by: Any) -> ReviewStep:
    """Unlock an approved form for a correction: a draft whose next version needs review.

    The reviewer's cells start empty again: the earlier sign-off stays on the earlier version.
    """
    reason = (reason or "").strip()
    if form.state != FormState.APPROVED or form.current is None:
        raise ReviewError("Only an approved form can be reopened.")
    if not reason:
        raise ReviewError("Say why the approved form must change.")
    draft = dict(form.current.data)
    for name in reviewer_fields(ANNEXES[form.annex]):
        draft.pop(name, None)
    form.state = FormState.DRAFT
    form.draft = draft
    form.draft_saved_at = utcnow()
    return _step(form, ReviewAction.REOPENED, by, comment=reason[:MAX_COMMENT],
                 version=form.current)


def history(case_id: int) -> list[ReviewStep]:
    """The review steps of a case's forms, oldest first."""
    return list(db.session.scalars(
        select(ReviewStep).where(ReviewStep.case_id == case_id).order_by(ReviewStep.id)))


def waiting(case_ids: Any) -> list[FormRecord]:
    """The forms waiting for review among the cases selected by ``case_ids`` (a subquery)."""
    return list(db.session.scalars(
        select(FormRecord).where(FormRecord.state == FormState.SUBMITTED,
                                 FormRecord.case_id.in_(case_ids))
        .order_by(FormRecord.id)))
