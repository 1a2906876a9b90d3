"""API errors as ``application/problem+json`` (RFC 9457).

Every error the API answers is a problem document: ``type``, ``title``, ``status``, ``detail``,
and, when fields are at fault, ``errors``: a list of ``{"field": path, "detail": message}`` where
``path`` is the field's path in the form's data as the annex's JSON Schema names it
(``client_name``, ``goals.0.status``). Titles and details are in the caller's language
(``Accept-Language``), through the catalogs like every other message.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Response, current_app
from flask_babel import gettext
from werkzeug.exceptions import HTTPException, default_exceptions

from ..annexes.validate import N_, Problem
from ..problem import problem
from . import bp


class ApiProblem(Exception):
    """Raised inside a view to answer a problem document (caught by the blueprint)."""

    def __init__(self, status: int, title: str, detail: str = "", *,
                 kind: str = "", errors: list[dict[str, str]] | None = None,
                 headers: Mapping[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail or title)
        self.status, self.title, self.detail = status, title, detail
        self.kind, self.errors, self.headers, self.extra = kind, errors, headers, extra

    def response(self) -> Response:
        """The problem document as a response."""
        return problem(self.status, self.title, self.detail, kind=self.kind,
                       errors=self.errors, headers=self.headers, **self.extra)


def field_errors(problems: Iterable[Problem]) -> list[dict[str, str]]:
    """The checks' problems as the ``errors`` member, each message translated."""
    return [{"field": p.key, "detail": gettext(p.message, **p.params)} for p in problems]


def invalid(problems: Iterable[Problem]) -> ApiProblem:
    """422: the request's data does not pass the form's checks (each field named)."""
    return ApiProblem(422, gettext("The data does not pass the form's checks."),
                      kind="invalid-data", errors=field_errors(problems))


_TITLES = {
    400: N_("The request is not well formed."),
    401: N_("A valid bearer token is required."),
    404: N_("No such resource, or not one you may see."),
    405: N_("This method is not allowed here."),
    409: N_("The request conflicts with the current state."),
    413: N_("The request is too large."),
    415: N_("This media type is not accepted here."),
    429: N_("Too many requests; try again later."),
}


@bp.errorhandler(ApiProblem)
def _api_problem(error: ApiProblem) -> Response:
    return error.response()


def http_problem(error: HTTPException) -> Response:
    """Any HTTP error raised in an API view (404, 405, 413 ...) as a problem document."""
    status = error.code or 500
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    allowed = getattr(error, "valid_methods", None)
    if status == 405 and allowed:
        headers["Allow"] = ", ".join(allowed)
    title = gettext(_TITLES[status]) if status in _TITLES else error.name
    return problem(status, title, headers=headers)


# by code as well as by class: the application's own error pages are registered by code,
# and Flask asks handlers by code before handlers by class
for _code in default_exceptions:
    bp.register_error_handler(_code, http_problem)
bp.register_error_handler(HTTPException, http_problem)


@bp.errorhandler(Exception)
def internal_error(error: Exception) -> Response:
    """500 without internals: the log has them (tests and debugging see the exception)."""
    if current_app.testing or current_app.debug:
        raise error
    current_app.logger.error("API request failed", exc_info=error)
    return problem(500, gettext("The service failed to answer; try again later."))
