"""The ``application/problem+json`` response (RFC 9457), for the API and its error pages.

Kept below both doors: the API answers its own errors with it, and the application's error
handlers answer it for any URL under ``/api/`` that fails before reaching an API view.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, json

MEDIA_TYPE = "application/problem+json"
#: The base of the problem types this API defines; each names a documented kind of error.
TYPE_BASE = "/api/v1/problems/"


def problem(status: int, title: str, detail: str = "", *, kind: str = "",
            errors: list[dict[str, str]] | None = None,
            headers: Mapping[str, str] | None = None, **extra: Any) -> Response:
    """A ``problem+json`` response; ``title`` and ``detail`` are already translated."""
    body: dict[str, Any] = {"type": TYPE_BASE + kind if kind else "about:blank",
                            "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = Response(json.dumps(body, ensure_ascii=False), status=status,
                        mimetype=MEDIA_TYPE)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response
