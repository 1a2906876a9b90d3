"""The pages: thin blueprints that check access, call lifecycle or jobs, render a template."""

from __future__ import annotations

from flask import Flask

from .formbody import FormRequest
from .sessions import PageSessionInterface


def init_app(app: Flask) -> None:
    """Register every page blueprint and the page-wide hooks."""
    from . import (
        admin,
        archive,
        auth,
        cases,
        checks,  # noqa: F401  (its routes attach to imports.bp)
        evaluation,
        guard,
        imports,
        look,
        notices,
        paper,
        review,
        scans,  # noqa: F401  (its routes attach to imports.bp)
        security,
        statistics,
        taps,
    )

    app.request_class = FormRequest
    app.session_interface = PageSessionInterface()
    security.init_app(app)
    look.init_app(app)
    guard.init_app(app)
    taps.init_app(app)
    for module in (auth, cases, archive, imports, paper, review, notices, admin, evaluation,
                   statistics):
        app.register_blueprint(module.bp)
