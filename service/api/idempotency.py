"""The ``Idempotency-Key`` header: its description in the OpenAPI document, its check, and the
caller's key scoped to the caller, so that the same request again gives the first result."""

from __future__ import annotations

from flask import request
from flask_babel import gettext

from .auth import api_user
from .problems import ApiProblem
from .spec import header_param

MAX_KEY = 64

IDEMPOTENCY = header_param(
    "Idempotency-Key", "A key unique to this request (e.g. a UUID): sending the same request "
    "again with it (a retry after a dropped connection) answers the first result.",
    example="2f1c7a3e-5b8d-4c1e-9a57-0d6e3b2a9f10")


def idempotency_key(*, required: bool) -> str | None:
    """The caller's ``Idempotency-Key``, scoped to the caller (another caller's same key is
    another key); 428 when ``required`` and missing, 400 when too long or not printable."""
    key = (request.headers.get("Idempotency-Key") or "").strip()
    if not key:
        if required:
            raise ApiProblem(428, gettext("Send an Idempotency-Key header with a submission."),
                             kind="idempotency-key-required")
        return None
    if len(key) > MAX_KEY or not key.isprintable():
        raise ApiProblem(400, gettext("The Idempotency-Key is at most %(n)s printable "
                                      "characters.", n=MAX_KEY))
    return f"api:{api_user().id}:{key}"[:MAX_KEY]

