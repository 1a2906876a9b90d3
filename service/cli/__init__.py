"""The `flask --app service ...` command groups: forms, documents, archive, import, demo,
users, audit, reports. Each group lives in its own module and only calls the packages below it."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Add every command group to ``app``."""
    from . import archive, audit, demo, documents, forms, imports, reports, users

    for module in (forms, documents, archive, imports, demo, users, audit, reports):
        for command in module.COMMANDS:
            app.cli.add_command(command)
