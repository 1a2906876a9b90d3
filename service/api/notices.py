"""API: 8.6 over the API — flag a case as a risk to life (its supervisors and directors are
told), and read the caller's own notices."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext

from ..auth import audit
from ..auth.models import RiskFlag, Role
from ..db import db
from ..jobs.notices import enqueue_mail
from ..notify import notices
from ..notify.models import Notification
from ..notify.texts import headline
from ..once import made_under, request_key
from . import bp
from .auth import api_user, require_api_case, token_required
from .idempotency import IDEMPOTENCY, idempotency_key
from .problems import ApiProblem
from .spec import json_body, json_response, operation, path_param, problems, query_param

FLAGGERS = (Role.WORKER, Role.SUPERVISOR, Role.DIRECTOR)
PAGE_MAX = 200

_FLAG = {
    "type": "object",
    "required": ["id", "case_id", "case_number", "raised_at", "notified"],
    "properties": {
        "id": {"type": "integer"},
        "case_id": {"type": "integer"},
        "case_number": {"type": "string"},
        "concern": {"type": "string"},
        "raised_at": {"type": "string", "format": "date-time"},
        "notified": {"type": "array", "description": "Who was told, and how their e-mail "
                     "stands (`none`: no address or no mail server; `queued`; `sent`; "
                     "`failed`).", "items": {
                         "type": "object", "properties": {
                             "username": {"type": "string"},
                             "mail": {"type": "string",
                                      "enum": ["none", "queued", "sent", "failed"]}}}},
    },
}
_FLAG_EXAMPLE = {"id": 3, "case_id": 12, "case_number": "XF-2024-00012",
                 "concern": "案主称今晚要从楼顶跳下，已联系其家属。",
                 "raised_at": "2024-05-08T09:30:00Z",
                 "notified": [{"username": "zhou", "mail": "queued"},
                              {"username": "lin", "mail": "none"}]}
_NOTICE = {
    "type": "object",
    "required": ["id", "kind", "text", "created_at"],
    "properties": {
        "id": {"type": "integer"},
        "kind": {"type": "string", "enum": ["risk_flag"]},
        "text": {"type": "string", "description": "What happened, in the caller's language "
                                                  "(Accept-Language)."},
        "case_id": {"type": ["integer", "null"]},
        "case_number": {"type": ["string", "null"]},
        "created_at": {"type": "string", "format": "date-time"},
        "read_at": {"type": ["string", "null"], "format": "date-time"},
        "mail": {"type": "string", "enum": ["none", "queued", "sent", "failed"]},
    },
}
_NOTICES_EXAMPLE = {"items": [{"id": 7, "kind": "risk_flag",
                               "text": "Case XF-2024-00012 was flagged as a risk to life (8.6)",
                               "case_id": 12, "case_number": "XF-2024-00012",
                               "created_at": "2024-05-08T09:30:00Z", "read_at": None,
                               "mail": "sent"}],
                    "unread": 1, "limit": 50, "offset": 0}


def _iso(value: Any) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None


def _concern(body: Any) -> str:
    """The concern of a flagCase body, checked (each field at fault named)."""
    if not isinstance(body, dict):
        raise ApiProblem(400, gettext("Expected a JSON object."))
    errors = [{"field": k, "detail": gettext("This is not a field of the request.")}
              for k in sorted(set(body) - {"concern"})]
    concern = body.get("concern")
    if not isinstance(concern, str) or not concern.strip():
        errors.append({"field": "concern",
                       "detail": gettext("Describe the risk before raising the flag.")})
    elif len(concern) > notices.MAX_TEXT:
        errors.append({"field": "concern", "detail": gettext(
            "At most %(max)s characters.", max=notices.MAX_TEXT)})
    if errors:
        raise ApiProblem(422, gettext("The data does not pass the checks."),
                         kind="invalid-data", errors=errors)
    return concern.strip()  # type: ignore[union-attr]


@bp.post("/cases/<int:case_id>/flags")
@operation(
    "flagCase", summary="Flag a case as a risk to the petitioner's life or to others (8.6).",
    description="The supervisors of the case's team and the directors who may open it get a "
                "notice in their inbox and, when the service has a mail server and they have "
                "an address, an e-mail naming the case by its number (the concern stays in "
                "the service). Only workers, supervisors and directors who may see the case "
                "flag it, and only while it is open. With an `Idempotency-Key`, the same "
                "request again (a retry whose answer was lost) answers the flag it raised, "
                "with `Idempotent-Replayed: true`, even if the case has closed since: "
                "nobody is told twice.",
    parameters=[path_param("case_id", "The case's id.", 12), IDEMPOTENCY],
    request=json_body({"type": "object", "required": ["concern"],
                       "additionalProperties": False, "properties": {
                           "concern": {"type": "string", "minLength": 1,
                                       "maxLength": notices.MAX_TEXT,
                                       "description": "What the risk is."}}},
                      {"concern": "案主称今晚要从楼顶跳下，已联系其家属。"}),
    responses={"201": json_response("The flag, and who was told.", _FLAG, _FLAG_EXAMPLE),
               **problems(400, 404, 422, _403="The caller's roles do not flag cases.",
                          _409="The case is closed or transferred.")})
@token_required
def flag_case(case_id: int) -> Any:
    """Raise an 8.6 flag on a case and tell its supervisors and directors."""
    user = api_user()
    case = require_api_case(case_id)
    if not user.has_role(*FLAGGERS):
        raise ApiProblem(403, gettext("Only workers, supervisors and directors flag cases."))
    concern = _concern(request.get_json(silent=True))
    key = request_key("api", user, idempotency_key(required=False))
    headers = {}
    flag = made_under(RiskFlag, key)
    if flag is not None:  # answered as the first was, even if the case has closed since
        if flag.case_id != case.id:
            raise ApiProblem(409, gettext("This request was already made for another case."))
        told = notices.notices_of_flag(flag)
        headers["Idempotent-Replayed"] = "true"
    elif not case.is_open:
        raise ApiProblem(409, gettext("The case is closed or transferred."))
    else:
        flag, told = notices.flag_case(case, concern, user, key=key)
        audit.record("risk.flag", case, user=user, via="api", flag=flag.id, concern=concern,
                     notified=[n.recipient.username for n in told])
        enqueue_mail(told)
    db.session.commit()
    body = {"id": flag.id, "case_id": case.id, "case_number": case.number,
            "concern": flag.concern, "raised_at": _iso(flag.raised_at),
            "notified": [{"username": n.recipient.username, "mail": n.mail_state}
                         for n in told]}
    return body, 201, headers


def notice_body(notice: Notification) -> dict[str, Any]:
    """One notice as the API gives it."""
    params = notice.params or {}
    return {"id": notice.id, "kind": notice.kind, "text": headline(notice.kind, params),
            "case_id": notice.case_id, "case_number": params.get("number"),
            "created_at": _iso(notice.created_at), "read_at": _iso(notice.read_at),
            "mail": notice.mail_state}


def _page() -> tuple[int, int, bool]:
    errors = []
    values: dict[str, int] = {}
    for name, default, low in (("limit", 50, 1), ("offset", 0, 0)):
        raw = request.args.get(name, str(default))
        if not raw.isdigit() or int(raw) < low:
            errors.append({"field": name,
                           "detail": gettext("A whole number of at least %(min)s.", min=low)})
        else:
            values[name] = int(raw)
    unread = request.args.get("unread", "false").lower()
    if unread not in ("true", "false", "1", "0"):
        errors.append({"field": "unread", "detail": gettext("Either true or false.")})
    if errors:
        raise ApiProblem(400, gettext("The request is not well formed."), errors=errors)
    return min(values["limit"], PAGE_MAX), values["offset"], unread in ("true", "1")


@bp.get("/notifications")
@operation(
    "listNotifications", summary="The caller's own notices (their inbox), newest first.",
    description="Each notice says what happened in the caller's language (Accept-Language) "
                "and names its case by number; `unread` counts every unread notice. Reading "
                "the list does not mark notices read (the inbox page does).",
    parameters=[
        query_param("unread", "Only unread notices.", {"type": "boolean", "default": False},
                    example=True),
        query_param("limit", "At most this many.", {"type": "integer", "minimum": 1,
                                                    "maximum": PAGE_MAX, "default": 50},
                    example=50),
        query_param("offset", "Skip this many.", {"type": "integer", "minimum": 0,
                                                  "default": 0}, example=0)],
    responses={"200": json_response("A page of the caller's notices.", {
        "type": "object", "required": ["items", "unread"], "properties": {
            "items": {"type": "array", "items": _NOTICE}, "unread": {"type": "integer"},
            "limit": {"type": "integer"}, "offset": {"type": "integer"}}}, _NOTICES_EXAMPLE),
        **problems(400)})
@token_required
def list_notifications() -> Any:
    """The caller's notices, newest first."""
    user = api_user()
    limit, offset, unread_only = _page()
    items = notices.inbox(user, limit=limit, offset=offset, unread_only=unread_only)
    return {"items": [notice_body(n) for n in items], "unread": notices.unread_count(user),
            "limit": limit, "offset": offset}
