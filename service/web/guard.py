"""Web safety that spans the pages: request size limits, no NUL in text sent, a rate limit on
signing in, and the idle session end.

Every request's body is limited to MAX_CONTENT_LENGTH (4 MB: a form with its drawn signatures
fits many times over), whatever the route, so no route is a way around another's limit; the
routes that take file uploads (UPLOAD_ENDPOINTS) allow UPLOAD_MAX_BYTES instead. A larger body
is refused with 413 before anything reads it.

Sign-in attempts are limited per address and user name, and per address overall (Flask-Limiter;
in memory, or in Redis when REDIS_URL is set so that every worker process shares the count).
No other route is limited, so the limiter passes over every other request at once (a request
filter) instead of working out that request's limits: some 3% of a save's CPU.
No text sent may hold the character U+0000 (NUL): no person types it, no file name or
PostgreSQL text can hold it, and a crafted one had answered a 500 wherever it reached the
database. A query, posted field or JSON string holding it is refused at once (422, naming where).
A signed-in session is permanent with a lifetime of IDLE_TIMEOUT_SECONDS: each page or API
request renews it (not what the browser fetches on its own: ``web.sessions``), and a cookie
older than that is refused by the signature check, so an idle session ends.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from .security import unprocessable

#: Attempts allowed, per address and user name, and per address overall.
SIGN_IN_PER_NAME = "10 per minute"
SIGN_IN_PER_ADDRESS = "30 per minute"


#: The routes that take file uploads, and so the larger limit UPLOAD_MAX_BYTES.
UPLOAD_ENDPOINTS = frozenset({"imports.upload"})


def _request_limit() -> None:
    """Give an upload route its larger limit (runs before anything reads the body)."""
    if request.endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = current_app.config["UPLOAD_MAX_BYTES"]


#: The character no text sent to the service may hold.
NUL = "\x00"
#: How many places a refusal names at most.
NAMED_AT_MOST = 20


def _refuse_nul() -> Any:
    """Refuse a request whose query, posted fields or JSON hold U+0000, before any view reads
    them: a 422 naming where (query or form names, or a JSON string's path such as
    ``data.goals.0.goal``)."""
    names = _nul_pairs(request.args.items(multi=True))
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        names += _nul_pairs(request.form.items(multi=True))
    elif request.is_json:
        _nul_in_json(request.get_json(silent=True), "", names)
    if not names:
        return None
    shown = ", ".join(name.replace(NUL, "\\0") for name in names[:NAMED_AT_MOST])
    return unprocessable(_l("Text may not hold the character U+0000 (NUL): %(names)s",
                            names=shown[:500]))


def _nul_pairs(pairs: Any) -> list[str]:
    return [name for name, value in pairs if NUL in name or NUL in value]


def _nul_in_json(value: Any, path: str, names: list[str]) -> None:
    """Add to ``names`` the path of every key or string in ``value`` that holds U+0000."""
    if isinstance(value, str):
        if NUL in value:
            names.append(path or "(body)")
    elif isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            if NUL in str(key):
                names.append(inner)
            _nul_in_json(item, inner, names)
    elif isinstance(value, list):
        for n, item in enumerate(value):
            _nul_in_json(item, f"{path}.{n}" if path else str(n), names)


def _name_key() -> str:
    name = (request.form.get("username") or "").strip().lower()[:80]
    return f"{get_remote_address()}|{name}"


def init_app(app: Flask) -> Limiter:
    """Install the request size limits, the NUL refusal and the sign-in rate limit; return the
    limiter."""
    # first of all the hooks: the CSRF check already reads the body
    app.before_request_funcs.setdefault(None, []).insert(0, _request_limit)
    app.before_request_funcs[None].insert(1, _refuse_nul)
    redis = app.config.get("REDIS_URL") or ""
    app.config.setdefault("RATELIMIT_STORAGE_URI", redis or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    app.config.setdefault("SIGN_IN_PER_NAME", SIGN_IN_PER_NAME)
    app.config.setdefault("SIGN_IN_PER_ADDRESS", SIGN_IN_PER_ADDRESS)
    limiter = Limiter(get_remote_address, app=app, default_limits=[])
    from . import auth

    limiter.limit(lambda: app.config["SIGN_IN_PER_NAME"], key_func=_name_key,
                  methods=["POST"], scope="sign-in-name")(auth.bp)
    limiter.limit(lambda: app.config["SIGN_IN_PER_ADDRESS"], methods=["POST"],
                  scope="sign-in-address")(auth.bp)
    limited = frozenset({auth.bp.name})
    limiter.request_filter(lambda: request.blueprint not in limited)
    return limiter
