"""API: the forms of a case and their review cycle: ``createForm``, ``getForm`` (data, state,
version tag as ``ETag``), ``saveDraft`` (``PUT`` with ``If-Match``), ``submitForm`` (with an
``Idempotency-Key``) and ``reviewForm`` (approve or return).

Every change goes through the one road of :mod:`service.cases.workflow`, the same the pages
take: the API checks the token and that the case is visible, hands the step to the workflow and
turns its refusals into problem documents (403 not allowed, 409 wrong state, 412 stale version
tag, 422 invalid data with each field named).
"""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask_babel import gettext

from ..annexes import ANNEXES
from ..annexes.examples import example
from ..annexes.validate import UNKNOWN, clean
from ..cases import lifecycle, workflow
from ..cases.access import can_edit_case
from ..cases.errors import CaseError, Invalid, StaleVersion
from ..cases.models import FormRecord
from ..db import db
from ..once import request_key
from . import bp
from .auth import api_user, require_api_case, require_api_form, token_required
from .idempotency import IDEMPOTENCY, idempotency_key
from .problems import ApiProblem, field_errors
from .spec import (
    header_param,
    json_body,
    json_response,
    operation,
    path_param,
    problems,
)

_FORM_REF = {"$ref": "#/components/schemas/Form"}
_CASE_ID = path_param("case_id", "The case's id.", 12)
_FORM_ID = path_param("form_id", "The form's id.", 31)
_ETAG_HEADER = {"ETag": {"description": "The form's version tag, to send as If-Match.",
                         "schema": {"type": "string"}, "example": '"31-4"'}}
_IF_MATCH = header_param("If-Match", "The version tag (ETag) the change was made against.",
                         required=True, example='"31-4"')


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def etag(record: FormRecord) -> str:
    """The form's version tag as an HTTP entity tag (quoted)."""
    return f'"{workflow.version_tag(record)}"'


def form_detail(record: FormRecord) -> dict[str, Any]:
    """A form of a case: its state, version tag, review comments, versions and data."""
    return {
        "id": record.id,
        "case_id": record.case_id,
        "annex": record.annex,
        "seq": record.seq,
        "state": record.state,
        "version_tag": workflow.version_tag(record),
        "review_comment": record.review_comment,
        "field_comments": dict(record.field_comments or {}),
        "versions": [{"number": v.number, "submitted_at": _iso(v.submitted_at),
                      "approved_at": _iso(v.approved_at), "source": v.source,
                      "content_hash": v.content_hash,
                      "documents": [{"id": d.id, "format": d.format, "state": d.state,
                                     "sha256": d.sha256} for d in v.documents]}
                     for v in record.versions],
        "data": record.data,
    }


def _answer(record: FormRecord, status: int = 200, *, replayed: bool = False) -> Any:
    headers = {"ETag": etag(record)}
    if status == 201:
        headers["Location"] = url_for("api.get_form", case_id=record.case_id,
                                      form_id=record.id)
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return form_detail(record), status, headers


def _refused(error: CaseError) -> ApiProblem:
    """A refusal of the workflow as the problem that answers it."""
    if isinstance(error, Invalid):
        return ApiProblem(422, error.message, kind="invalid-data",
                          errors=field_errors(error.problems))
    if isinstance(error, StaleVersion):
        return ApiProblem(412, error.message, kind="stale-version",
                          headers={"ETag": f'"{error.current_tag}"'},
                          current_version_tag=error.current_tag,
                          current_data=error.current_data)
    kinds = {403: "not-allowed", 409: "wrong-state"}
    errors = [{"field": error.field, "detail": error.message}] if error.field else None
    return ApiProblem(error.status, error.message, kind=kinds.get(error.status, ""),
                      errors=errors)


def _form_data(record: FormRecord, *, required: bool) -> dict[str, Any] | None:
    """The posted form data (the annex's JSON), with any unknown field refused by name."""
    body = request.get_json(silent=True)
    if body is None and not required and not request.get_data():
        return None
    if not isinstance(body, dict):
        raise ApiProblem(422, gettext("Expected a JSON object of the form's fields."),
                         kind="invalid-data")
    unknown = [p for p in clean(ANNEXES[record.annex], body, submit=False)[1]
               if p.message == UNKNOWN]
    if unknown:
        raise ApiProblem(422, gettext("The data does not pass the form's checks."),
                         kind="invalid-data", errors=field_errors(unknown))
    return body


def _expected_tag(*, required: bool) -> str | None:
    """The version tag of ``If-Match`` (quotes and a weak prefix dropped)."""
    raw = (request.headers.get("If-Match") or "").strip()
    if not raw:
        if required:
            raise ApiProblem(428, gettext("Send the form's version tag (its ETag) in "
                                          "If-Match."), kind="version-tag-required")
        return None
    return raw.removeprefix("W/").strip('"')


def _form_example(code: str, state: str = "draft") -> dict[str, Any]:
    return {"id": 31, "case_id": 12, "annex": code, "seq": 1, "state": state,
            "version_tag": "31-4", "review_comment": "", "field_comments": {},
            "versions": [], "data": example(code)}


def _annex_data_schema() -> dict[str, Any]:
    return {"oneOf": [{"$ref": f"#/components/schemas/Annex{code}"} for code in sorted(ANNEXES)]}


# --- the operations -------------------------------------------------------------------------

@bp.post("/cases/<int:case_id>/forms")
@operation(
    "createForm", summary="Start a draft of Annex B, C or D in a case.",
    description="B and D are one per case (asking again answers the existing one with 200); "
                "C is numbered (工作次数) within the case. The draft starts from what the case "
                "already knows (names, dates, B's goals for D). With an `Idempotency-Key`, the "
                "same request again (a retry whose answer was lost) answers the form it made, "
                "with `Idempotent-Replayed: true`, rather than starting another.",
    parameters=[_CASE_ID, IDEMPOTENCY],
    request=json_body({"type": "object", "required": ["annex"], "properties": {
        "annex": {"type": "string", "enum": sorted(ANNEXES)}}, "additionalProperties": False},
        {"annex": "C"}),
    responses={"201": json_response("The new draft.", _FORM_REF, _form_example("C"), headers={
        **_ETAG_HEADER, "Location": {"schema": {"type": "string"}}}),
        "200": json_response("The case's existing one.", _FORM_REF, _form_example("B"),
                             headers=_ETAG_HEADER),
        **problems(404, 409, 422, _403="The caller may see the case but not write in it.")})
@token_required
def create_form(case_id: int) -> Any:
    """Start a draft of an annex in a case."""
    case = require_api_case(case_id)
    body = request.get_json(silent=True)
    code = body.get("annex") if isinstance(body, dict) else None
    if not isinstance(code, str) or code.upper() not in ANNEXES:
        raise ApiProblem(422, gettext("Name the annex of the form."), kind="invalid-data",
                         errors=[{"field": "annex", "detail": gettext(
                             "One of %(codes)s.", codes=", ".join(sorted(ANNEXES)))}])
    if not can_edit_case(api_user(), case, seen=True):
        raise ApiProblem(403, gettext("You may see this case but not write in it."),
                         kind="not-allowed")
    key = request_key("api", api_user(), idempotency_key(required=False))
    existing = {f.id for f in case.forms}
    try:
        record = lifecycle.new_form(case, code.upper(), by=api_user(), key=key)
    except CaseError as exc:
        db.session.rollback()
        raise _refused(exc) from exc
    db.session.commit()
    replayed = key is not None and record.request_key == key and record.id in existing
    return _answer(record, 201 if replayed or record.id not in existing else 200,
                   replayed=replayed)


@bp.get("/cases/<int:case_id>/forms/<int:form_id>")
@operation(
    "getForm", summary="One form: its data, its state and its version tag (as ETag).",
    parameters=[_CASE_ID, _FORM_ID],
    responses={"200": json_response("The form.", _FORM_REF, _form_example("B"),
                                    headers=_ETAG_HEADER), **problems(404)})
@token_required
def get_form(case_id: int, form_id: int) -> Any:
    """One form with its version tag."""
    return _answer(require_api_form(case_id, form_id))


@bp.put("/cases/<int:case_id>/forms/<int:form_id>")
@operation(
    "saveDraft", summary="Save what is typed so far (a draft may be incomplete).",
    description="The body is the annex's own form data (its JSON Schema, as `flask --app "
                "service forms schema B` prints; a draft may leave fields out). `If-Match` "
                "must carry the version tag the change was made against: a stale tag answers "
                "412 with the form's current tag and data (nothing is merged), no tag 428. A "
                "form waiting for review or approved is not changed by a draft (409). "
                "`Idempotency-Key` is optional: the same request repeated (a retry whose "
                "answer was lost) answers the form as the first left it, with "
                "`Idempotent-Replayed: true`, while that save is still the form's last "
                "change; after any other change the retry's tag is stale (412).",
    parameters=[_CASE_ID, _FORM_ID, _IF_MATCH, IDEMPOTENCY],
    request=json_body(_annex_data_schema(), example("C")),
    responses={"200": json_response("Saved; the new version tag is in ETag.", _FORM_REF,
                                    _form_example("C"), headers=_ETAG_HEADER),
               **problems(403, 404, 409, 412, 422, 428)})
@token_required
def save_draft(case_id: int, form_id: int) -> Any:
    """Save a draft against the version tag it was made from."""
    record = require_api_form(case_id, form_id)
    expected = _expected_tag(required=True)
    key = request_key("api", api_user(), idempotency_key(required=False))
    data = _form_data(record, required=True)
    try:  # the key names the save (hex digits: the form's mark keeps it beside the tag)
        outcome = workflow.save_draft(record, data or {}, by=api_user(),
                                      expected_version=expected, attempt=key)
    except CaseError as exc:
        db.session.rollback()
        raise _refused(exc) from exc
    db.session.commit()
    return _answer(record, replayed=outcome.repeated)


@bp.post("/cases/<int:case_id>/forms/<int:form_id>/submit")
@operation(
    "submitForm", summary="Submit a form for review (its data checked in full).",
    description="The body is the annex's form data to submit; without a body the saved draft "
                "is submitted. `Idempotency-Key` is required: the same request repeated (a "
                "double tap, a retry) answers the first result with `Idempotent-Replayed: "
                "true`, and simultaneous duplicates store one version. `If-Match` is optional; "
                "when sent, a stale tag answers 412.",
    parameters=[_CASE_ID, _FORM_ID, {**IDEMPOTENCY, "required": True},
                {**_IF_MATCH, "required": False}],
    request=json_body(_annex_data_schema(), example("C"), required=False),
    responses={"200": json_response("Submitted; the form waits for review.", _FORM_REF,
                                    _form_example("C", "submitted"), headers=_ETAG_HEADER),
               **problems(400, 403, 404, 409, 412, 422, 428)})
@token_required
def submit_form(case_id: int, form_id: int) -> Any:
    """Submit a form for review, once whatever the retries."""
    record = require_api_form(case_id, form_id)
    key = idempotency_key(required=True)
    expected = _expected_tag(required=False)
    data = _form_data(record, required=False)
    try:
        outcome = workflow.submit(record, record.data if data is None else data,
                                  by=api_user(), idempotency_key=key, expected_version=expected)
    except CaseError as exc:
        db.session.rollback()
        raise _refused(exc) from exc
    db.session.commit()
    return _answer(outcome.form, replayed=outcome.repeated)


_REVIEW_FIELDS = ("decision", "comment", "field_comments", "reviewer")
_REVIEW_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["decision"], "additionalProperties": False,
    "properties": {
        "decision": {"type": "string", "enum": ["approve", "return"]},
        "comment": {"type": "string", "description": "Required to return: what should change."},
        "field_comments": {"type": "object", "additionalProperties": {"type": "string"},
                           "description": "Comments on single cells, by field path "
                                          "(`client_name`, `goals.0.status`)."},
        "reviewer": {"type": "object", "description": "The reviewer's cells (B 主任签批; C "
                     "主任(督导)意见 and 主任签署; D 服务机构的评估 and 项目主任签字), "
                     "required to approve."},
    },
}


def _review_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiProblem(422, gettext("Expected a JSON object."), kind="invalid-data")
    errors = [{"field": k, "detail": gettext("This is not a field of the request.")}
              for k in sorted(set(body) - set(_REVIEW_FIELDS))]
    if body.get("decision") not in ("approve", "return"):
        errors.append({"field": "decision", "detail": "approve | return"})
    for name in ("field_comments", "reviewer"):
        if not isinstance(body.get(name, {}), dict):
            errors.append({"field": name, "detail": gettext("Expected a JSON object.")})
    if not isinstance(body.get("comment", ""), str):
        errors.append({"field": "comment", "detail": gettext("Expected text.")})
    if errors:
        raise ApiProblem(422, gettext("The data does not pass the checks."),
                         kind="invalid-data", errors=errors)
    return body


@bp.post("/cases/<int:case_id>/forms/<int:form_id>/review")
@operation(
    "reviewForm", summary="Approve (sign off) or return a submitted form.",
    description="A supervisor or director of the case who neither wrote nor submitted the "
                "form approves it with the reviewer's cells (signed and dated), or returns it "
                "with a comment and, if wanted, comments on single cells. Approving Annex D "
                "closes or transfers the case (it needs every goal's outcome and the reviewer's "
                "assessment and signature). Of two simultaneous reviews one wins; the other "
                "answers 409. With an `Idempotency-Key`, a repeated request answers the first "
                "result.",
    parameters=[_CASE_ID, _FORM_ID, IDEMPOTENCY, {**_IF_MATCH, "required": False}],
    request=json_body(_REVIEW_SCHEMA, {
        "decision": "return", "comment": "请补充各目标的达成情况。",
        "field_comments": {"goals.0.status": "请填写此目标的达成情况。"}}),
    responses={"200": json_response("Reviewed.", _FORM_REF, _form_example("D", "approved"),
                                    headers=_ETAG_HEADER),
               **problems(400, 404, 409, 412, 422,
                          _403="Not a reviewer of the case, or the form's own writer or "
                               "submitter (two people for every sign-off).")})
@token_required
def review_form(case_id: int, form_id: int) -> Any:
    """Approve or return a submitted form."""
    record = require_api_form(case_id, form_id)
    body = _review_body()
    key = idempotency_key(required=False)
    expected = _expected_tag(required=False)
    try:
        if body["decision"] == "approve":
            outcome = workflow.approve(record, body.get("reviewer") or {}, by=api_user(),
                                       idempotency_key=key, expected_version=expected)
        else:
            outcome = workflow.return_(record, body.get("comment") or "",
                                       body.get("field_comments") or {}, by=api_user(),
                                       idempotency_key=key, expected_version=expected)
    except CaseError as exc:
        db.session.rollback()
        raise _refused(exc) from exc
    db.session.commit()
    return _answer(outcome.form, replayed=outcome.repeated)
