"""The archive's settings: the checked policy, the archive and work folders, the page-number
sheet, and the error shown to an archivist."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app

from ...archive import bundle as binder
from ...archive.policy import Policy, load_policy
from ...i18n import MessageError

_POLICY_KEY = "archive_policy"


class ArchiveError(MessageError):
    """The archive cannot do what was asked (a clear message for the archivist)."""


def init_policy(app: Flask) -> Policy:
    """Load and check the archive policy once per application (start-up fails on a bad one)."""
    policy = load_policy(app.config.get("ARCHIVE_POLICY") or None,
                         fonds=app.config.get("FONDS_CODE", ""),
                         fonds_name=app.config.get("AGENCY_NAME", ""))
    app.extensions[_POLICY_KEY] = policy
    return policy


def policy() -> Policy:
    """The application's checked archive policy."""
    return current_app.extensions.get(_POLICY_KEY) or init_policy(current_app)


def archive_root() -> Path:
    """The root of the archive tree (ARCHIVE_ROOT)."""
    return Path(current_app.config["ARCHIVE_ROOT"])


def work_root() -> Path:
    """The root of the working files: copies, originals, bundles (WORK_ROOT)."""
    return Path(current_app.config["WORK_ROOT"])


def number_sheet() -> binder.NumberSheet:
    """The page-number sheet, cached in the work folder."""
    sheets = current_app.extensions.setdefault("archive_number_sheets", {})
    cache = work_root() / "cache"
    if str(cache) not in sheets:
        sheets[str(cache)] = binder.NumberSheet(cache)
    return sheets[str(cache)]
