"""The JSON API (/api/v1) and its OpenAPI document."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def init_app(app: Flask) -> None:
    """Register the API's routes; the API authenticates by bearer token, not by CSRF."""
    from ..extensions import csrf
    from . import (  # noqa: F401  (attach to bp)
        cases,
        documents,
        forms,
        imports,
        notices,
        openapi,
        problems,
        reports,
        tokens,
    )

    csrf.exempt(bp)
    app.register_blueprint(bp)
