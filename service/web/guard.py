"""Web safety that spans the pages: request size limits, a rate limit on signing in, and the
idle session end.

Every request's body is limited to MAX_CONTENT_LENGTH (4 MB: a form with its drawn signatures
fits many times over), whatever the route, so no route is a way around another's limit; the
routes that take file uploads (UPLOAD_ENDPOINTS) allow UPLOAD_MAX_BYTES instead. A larger body
is refused with 413 before anything reads it.

Sign-in attempts are limited per address and user name, and per address overall (Flask-Limiter;
in memory, or in Redis when REDIS_URL is set so that every worker process shares the count).
No other route is limited, so the limiter passes over every other request at once (a request
filter) instead of working out that request's limits: some 3% of a save's CPU.
A signed-in session is permanent with a lifetime of IDLE_TIMEOUT_SECONDS: each request renews
it, and a cookie older than that is refused by the signature check, so an idle session ends.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

#: Attempts allowed, per address and user name, and per address overall.
SIGN_IN_PER_NAME = "10 per minute"
SIGN_IN_PER_ADDRESS = "30 per minute"


#: The routes that take file uploads, and so the larger limit UPLOAD_MAX_BYTES.
UPLOAD_ENDPOINTS = frozenset({"imports.upload"})


def _request_limit() -> None:
    """Give an upload route its larger limit (runs before anything reads the body)."""
    if request.endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = current_app.config["UPLOAD_MAX_BYTES"]


def _name_key() -> str:
    name = (request.form.get("username") or "").strip().lower()[:80]
    return f"{get_remote_address()}|{name}"


def init_app(app: Flask) -> Limiter:
    """Install the request size limits and the sign-in rate limit; return the limiter."""
    # first of all the hooks: the CSRF check already reads the body
    app.before_request_funcs.setdefault(None, []).insert(0, _request_limit)
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
