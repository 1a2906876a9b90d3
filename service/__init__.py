"""Casework service for petition social workers (信访社会工作服务规范, Annexes B–D).

`create_app()` wires configuration, extensions, blueprints and the command line; nothing else.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from . import config
from .db import db
from .extensions import babel, csrf, login_manager, mail, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the Flask application. ``overrides`` replace settings (tests use it)."""
    instance = os.environ.get("INSTANCE_PATH") or str(PROJECT_ROOT / "instance")
    app = Flask(__name__, instance_path=instance, instance_relative_config=True,
                template_folder="templates", static_folder=str(PROJECT_ROOT / "static"))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(config.load(Path(app.instance_path)))
    app.config.update(overrides or {})
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS",
                          config.engine_options(app.config["SQLALCHEMY_DATABASE_URI"]))

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    mail.init_app(app)

    from . import i18n

    i18n.init_app(app, babel, PROJECT_ROOT / "locales")

    from .jobs.documents import follow_stored_versions

    follow_stored_versions()

    from .api import init_app as init_api
    from .web import init_app as init_web

    init_web(app)
    init_api(app)

    from .cli import register

    register(app)
    return app
