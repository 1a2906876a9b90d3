"""API: the cases the caller may see, and one case with its forms."""

from __future__ import annotations

from typing import Any

from flask import request
from sqlalchemy import select

from ..auth import audit
from ..auth.access import case_filter
from ..cases.models import Case, FormRecord
from ..db import db
from ..web.security import mask_name, mask_phone
from . import bp
from .auth import api_user, require_api_case, token_required

PAGE_MAX = 200


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def case_summary(case: Case) -> dict[str, Any]:
    """A case as a list shows it: personal data masked."""
    return {
        "id": case.id,
        "number": case.number,
        "client_name": mask_name(case.client_name),
        "client_phone": mask_phone(case.client_phone),
        "stage": case.stage,
        "risk_grade": case.risk_grade,
        "opened_on": _iso(case.opened_on),
        "closed_on": _iso(case.closed_on),
    }


def form_detail(record: FormRecord) -> dict[str, Any]:
    """A form of a case: its state, its versions, and what it holds now."""
    return {
        "id": record.id,
        "annex": record.annex,
        "seq": record.seq,
        "state": record.state,
        "review_comment": record.review_comment,
        "versions": [{"number": v.number, "submitted_at": _iso(v.submitted_at),
                      "approved_at": _iso(v.approved_at), "source": v.source,
                      "content_hash": v.content_hash,
                      "documents": [{"id": d.id, "format": d.format, "state": d.state,
                                     "sha256": d.sha256} for d in v.documents]}
                     for v in record.versions],
        "data": record.data,
    }


@bp.get("/cases")
@token_required
def list_cases() -> Any:
    """The cases the caller may see, newest first: ``{"items": [...]}``."""
    try:
        limit = min(max(int(request.args.get("limit", 50)), 1), PAGE_MAX)
        offset = max(int(request.args.get("offset", 0)), 0)
    except ValueError:
        return {"error": "limit and offset are whole numbers."}, 400
    cases = db.session.scalars(
        select(Case).where(case_filter(api_user())).order_by(Case.id.desc())
        .limit(limit).offset(offset)).all()
    return {"items": [case_summary(c) for c in cases], "limit": limit, "offset": offset}


@bp.get("/cases/<int:case_id>")
@token_required
def get_case(case_id: int) -> Any:
    """One case in full (its opening is recorded in the audit trail)."""
    case = require_api_case(case_id)
    audit.record("case.view", case, user=api_user(), via="api")
    db.session.commit()
    body = case_summary(case)
    body.update(client_name=case.client_name, client_phone=case.client_phone,
                special_process=case.special_process, confidential=case.confidential,
                representatives=list(case.representatives or []),
                forms=[form_detail(f) for f in case.forms])
    return body
