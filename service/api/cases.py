"""API: the cases the caller may see, opening a case, and one case with its forms."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import request, url_for
from flask_babel import gettext
from sqlalchemy import select

from ..auth import audit
from ..auth.models import Role
from ..cases import lifecycle
from ..cases.access import case_filter
from ..cases.models import Case, FormRecord
from ..db import db
from ..once import made_under, request_key
from ..web.security import mask_name, mask_phone
from . import bp
from .auth import api_user, require_api_case, token_required
from .idempotency import IDEMPOTENCY, idempotency_key
from .problems import ApiProblem
from .spec import json_body, json_response, operation, path_param, problems, query_param

PAGE_MAX = 200
CASE_OPENERS = (Role.WORKER, Role.SUPERVISOR, Role.DIRECTOR)
MAX_NAME = 200

_CASE_EXAMPLE = {"id": 12, "number": "XF-2024-00012", "client_name": "王建国",
                 "client_phone": "13800005678", "stage": "contact", "risk_grade": None,
                 "opened_on": "2024-05-08", "closed_on": None, "special_process": None,
                 "confidential": False, "representatives": [], "forms": []}


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


def form_summary(record: FormRecord) -> dict[str, Any]:
    """A form as its case lists it: which annex, which one, its state and where to get it."""
    return {"id": record.id, "annex": record.annex, "seq": record.seq, "state": record.state}


def case_detail(case: Case) -> dict[str, Any]:
    """A case in full, for someone who may see it."""
    body = case_summary(case)
    body.update(client_name=case.client_name, client_phone=case.client_phone,
                special_process=case.special_process, confidential=case.confidential,
                representatives=list(case.representatives or []),
                forms=[form_summary(f) for f in case.forms])
    return body


@bp.get("/cases")
@operation(
    "listCases", summary="The cases the caller may see, newest first (personal data masked).",
    parameters=[
        query_param("limit", "How many cases at most.",
                    {"type": "integer", "minimum": 1, "maximum": PAGE_MAX, "default": 50},
                    example=50),
        query_param("offset", "How many to skip.", {"type": "integer", "minimum": 0,
                                                    "default": 0}, example=0)],
    responses={"200": json_response(
        "A page of cases.",
        {"type": "object", "required": ["items"], "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/CaseSummary"}},
            "limit": {"type": "integer"}, "offset": {"type": "integer"}}},
        {"items": [{k: v for k, v in _CASE_EXAMPLE.items() if k in (
            "id", "number", "stage", "risk_grade", "opened_on", "closed_on")}
            | {"client_name": "王**", "client_phone": "138****5678"}],
         "limit": 50, "offset": 0}), **problems(400)})
@token_required
def list_cases() -> Any:
    """The cases the caller may see, newest first: ``{"items": [...]}``."""
    try:
        limit = min(max(int(request.args.get("limit", 50)), 1), PAGE_MAX)
        offset = max(int(request.args.get("offset", 0)), 0)
    except ValueError as exc:
        raise ApiProblem(400, gettext("limit and offset are whole numbers."),
                         errors=[{"field": "limit", "detail": gettext("Not a whole number.")}]
                         ) from exc
    cases = db.session.scalars(
        select(Case).where(case_filter(api_user())).order_by(Case.id.desc())
        .limit(limit).offset(offset)).all()
    return {"items": [case_summary(c) for c in cases], "limit": limit, "offset": offset}


def _opening(body: Any) -> tuple[str, date | None]:
    """The petitioner's name and the opening date of a createCase body, checked."""
    if not isinstance(body, dict):
        raise ApiProblem(400, gettext("Expected a JSON object."))
    unknown = sorted(set(body) - {"client_name", "opened_on"})
    errors = [{"field": k, "detail": gettext("This is not a field of the request.")}
              for k in unknown]
    name = body.get("client_name", "")
    if not isinstance(name, str) or len(name) > MAX_NAME:
        errors.append({"field": "client_name",
                       "detail": gettext("At most %(max)s characters.", max=MAX_NAME)})
    opened: date | None = None
    if body.get("opened_on") is not None:
        try:
            opened = date.fromisoformat(str(body["opened_on"]))
        except ValueError:
            errors.append({"field": "opened_on",
                           "detail": gettext("Not a valid date: write it as 2024-05-08.")})
        else:
            if opened > date.today():
                errors.append({"field": "opened_on",
                               "detail": gettext("This date cannot be in the future.")})
    if errors:
        raise ApiProblem(422, gettext("The data does not pass the checks."),
                         kind="invalid-data", errors=errors)
    return name.strip() if isinstance(name, str) else "", opened


@bp.post("/cases")
@operation(
    "createCase", summary="Open a case (接触登记) with the caller as its responsible worker.",
    description="Only workers, supervisors and directors open cases. The answer's `Location` "
                "is the new case; add its Annex B with createForm. With an "
                "`Idempotency-Key`, the same request again (a retry whose answer was lost) "
                "answers the case it opened, with `Idempotent-Replayed: true`, rather than "
                "opening another.",
    parameters=[IDEMPOTENCY],
    request=json_body({"type": "object", "properties": {
        "client_name": {"type": "string", "maxLength": MAX_NAME},
        "opened_on": {"type": "string", "format": "date"}}, "additionalProperties": False},
        {"client_name": "王建国", "opened_on": "2024-05-08"}),
    responses={"201": json_response(
        "The new case.", {"$ref": "#/components/schemas/Case"}, _CASE_EXAMPLE,
        headers={"Location": {"schema": {"type": "string"}}}),
        **problems(400, 422, _403="The caller's roles do not open cases.")})
@token_required
def create_case() -> Any:
    """Open a case for the caller."""
    user = api_user()
    if not user.has_role(*CASE_OPENERS):
        raise ApiProblem(403, gettext("Only workers, supervisors and directors open cases."))
    name, opened = _opening(request.get_json(silent=True))
    key = request_key("api", user, idempotency_key(required=False))
    headers = {}
    case = made_under(Case, key)
    if case is None:
        case = lifecycle.open_case(worker=user, client_name=name, opened_on=opened, key=key)
        audit.record("case.open", case, user=user, via="api")
    else:
        headers["Idempotent-Replayed"] = "true"
    db.session.commit()
    headers["Location"] = url_for("api.get_case", case_id=case.id)
    return case_detail(case), 201, headers


@bp.get("/cases/<int:case_id>")
@operation(
    "getCase", summary="One case with its forms (the opening is recorded in the audit trail).",
    parameters=[path_param("case_id", "The case's id.", 12)],
    responses={"200": json_response("The case.", {"$ref": "#/components/schemas/Case"},
                                    _CASE_EXAMPLE), **problems(404)})
@token_required
def get_case(case_id: int) -> Any:
    """One case in full (its opening is recorded in the audit trail)."""
    case = require_api_case(case_id)
    audit.record("case.view", case, user=api_user(), via="api")
    db.session.commit()
    return case_detail(case)
