"""Web safety that spans the pages: a rate limit on signing in, and the idle session end.

Sign-in attempts are limited per address and user name, and per address overall (Flask-Limiter;
in memory, or in Redis when REDIS_URL is set so that every worker process shares the count).
A signed-in session is permanent with a lifetime of IDLE_TIMEOUT_SECONDS: each request renews
it, and a cookie older than that is refused by the signature check, so an idle session ends.
"""

from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

#: Attempts allowed, per address and user name, and per address overall.
SIGN_IN_PER_NAME = "10 per minute"
SIGN_IN_PER_ADDRESS = "30 per minute"


def _name_key() -> str:
    name = (request.form.get("username") or "").strip().lower()[:80]
    return f"{get_remote_address()}|{name}"


def init_app(app: Flask) -> Limiter:
    """Install the sign-in rate limit on ``app`` and return the limiter."""
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
    return limiter
