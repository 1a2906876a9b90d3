"""Bearer-token access for the API: ``Authorization: Bearer <token>``, 401 without a valid one.

The token is looked up by its SHA-256 (see ``auth.users``); the caller's user is kept in
``g.api_user`` for the request only: the API sets no session cookie.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g, request
from flask_babel import gettext

from ..auth.models import User
from ..auth.users import user_for_token
from ..cases.access import find_case, find_case_and_form
from ..cases.models import Case, FormRecord
from .problems import ApiProblem

F = TypeVar("F", bound=Callable[..., Any])


def bearer() -> str:
    """The bearer token the request carries, or an empty string."""
    scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def token_required(view: F) -> F:
    """A view decorator: a valid bearer token, else 401 with ``WWW-Authenticate: Bearer``."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        user = user_for_token(bearer())
        if user is None:
            abort(401)
        g.api_user = user
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def api_user() -> User:
    """The user the current API request's token belongs to."""
    return g.api_user


def require_api_case(case_id: int) -> Case:
    """The case, if the token's user may see it; 404 otherwise (never 403). Opening a
    confidential case is audited."""
    case = find_case(case_id, api_user(), "api")
    if case is None:
        raise ApiProblem(404, _no_case())
    return case


def require_api_form(case_id: int, form_id: int) -> FormRecord:
    """The case's form ``form_id``, read with the case (one statement), if the token's user
    may see the case; 404 otherwise, as for :func:`require_api_case`."""
    found = find_case_and_form(case_id, form_id, api_user(), "api")
    if found is None:
        raise ApiProblem(404, _no_case())
    if found[1] is None:
        raise ApiProblem(404, gettext("No such form in this case."))
    return found[1]


def _no_case() -> str:
    return gettext("No such case, or not one you may see.")
