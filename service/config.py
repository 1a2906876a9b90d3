"""Settings, read from the environment once at start-up."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import Any

from .db import WaitingConnection
from .evaluation.followup import DEFAULT_MONTHS, parse_months
from .storage import atomic_write


def _secret_key(instance: Path) -> str:
    """SECRET_KEY from the environment, else one kept in the instance folder (never in git)."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = instance / "secret_key"
    if not path.exists():
        # private (0600); when another process makes it first, everyone uses that one
        with contextlib.suppress(FileExistsError):
            atomic_write(path, secrets.token_hex(32).encode(), replace=False)
    return path.read_text().strip()


def _mail_settings() -> dict[str, Any]:
    """Flask-Mail's settings, by its own names, from the environment. Without MAIL_SERVER no
    e-mail is sent: notices stay in the inbox."""
    def flag(name: str) -> bool:
        return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")

    return {
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT") or 25),
        "MAIL_USE_TLS": flag("MAIL_USE_TLS"),
        "MAIL_USE_SSL": flag("MAIL_USE_SSL"),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER") or None,
        "MAIL_SUPPRESS_SEND": False,
        "PUBLIC_URL": os.environ.get("PUBLIC_URL", ""),
    }


def engine_options(database: str) -> dict[str, Any]:
    """How the engine of ``database`` (a URL) connects. A SQLite file's connections wait for
    another process's write lock in short steps. A server's pooled connections are checked
    before use without a round trip (``db.server_closed``), so none needs options here."""
    if database.startswith("sqlite"):
        return {"connect_args": {"factory": WaitingConnection}}
    return {}


def load(instance: Path) -> dict[str, Any]:
    """The application's settings for an instance folder."""
    instance = instance.resolve()
    database = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'service.sqlite3'}"
    if database.startswith("postgres://"):
        database = "postgresql+psycopg://" + database[len("postgres://"):]
    elif database.startswith("postgresql://"):
        database = "postgresql+psycopg://" + database[len("postgresql://"):]
    archive = Path(os.environ.get("ARCHIVE_ROOT") or instance / "archive")
    return {
        "SECRET_KEY": _secret_key(instance),
        "SQLALCHEMY_DATABASE_URI": database,
        "ARCHIVE_ROOT": str(archive),
        "WORK_ROOT": os.environ.get("WORK_ROOT") or str(instance / "work"),
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        # seconds an API request waits for a worker's PDF before answering 202 and a job URL
        "API_DOCUMENT_WAIT": float(os.environ.get("API_DOCUMENT_WAIT", 10)),
        # rate limits: counted in Redis when REDIS_URL is set (shared by every web process)
        "RATELIMIT_KEY_PREFIX": os.environ.get("RATELIMIT_KEY_PREFIX", "petition"),
        "HUEY_IMMEDIATE": os.environ.get("HUEY_IMMEDIATE", "") == "1",
        "AGENCY_NAME": os.environ.get("AGENCY_NAME", "广州市信访社会工作服务中心"),
        # its name on the English pages (the Chinese one is printed on every official copy)
        "AGENCY_NAME_EN": os.environ.get("AGENCY_NAME_EN", ""),
        "FONDS_CODE": os.environ.get("FONDS_CODE", "X001"),
        "ARCHIVE_POLICY": os.environ.get("ARCHIVE_POLICY", ""),
        "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "LANGUAGES": ("zh_Hans_CN", "en"),
        # one limit on every request's body; uploads (guard.UPLOAD_ENDPOINTS) have their own
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", 4 * 1024 * 1024)),
        "UPLOAD_MAX_BYTES": int(os.environ.get("UPLOAD_MAX_BYTES", 64 * 1024 * 1024)),
        # no second, smaller limit per field (Flask's default is 500 kB): a drawn genogram may
        # be larger, and the one limit above is the one a person is told about
        "MAX_FORM_MEMORY_SIZE": int(os.environ.get("MAX_CONTENT_LENGTH", 4 * 1024 * 1024)),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "") == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "PERMANENT_SESSION_LIFETIME": int(os.environ.get("IDLE_TIMEOUT_SECONDS", 30 * 60)),
        "WTF_CSRF_TIME_LIMIT": None,
        "FOLLOWUP_MONTHS": parse_months(os.environ.get("FOLLOWUP_MONTHS", ""))
        if os.environ.get("FOLLOWUP_MONTHS") else DEFAULT_MONTHS,
        "PLACES_FILE": os.environ.get("PLACES_FILE") or (
            str(instance / "places.toml") if (instance / "places.toml").exists() else ""),
        **_mail_settings(),
    }
