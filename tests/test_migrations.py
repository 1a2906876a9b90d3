"""The Alembic migrations build exactly the schema the models declare, on both databases."""

from __future__ import annotations

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect


def test_upgrade_matches_the_models_and_downgrades_cleanly(database_url: str, tmp_path) -> None:
    from service import create_app
    from service.db import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True,
                      "ARCHIVE_ROOT": str(tmp_path / "archive"),
                      "WORK_ROOT": str(tmp_path / "work")})
    with app.app_context():
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
            tables = set(inspect(connection).get_table_names())
        assert differences == []
        assert {"cases", "form_versions", "documents", "audit_entries"} <= tables
        flask_migrate.downgrade(revision="base")
        with db.engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()
