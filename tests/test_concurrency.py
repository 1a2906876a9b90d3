"""Several processes writing at once (as gunicorn workers and queue workers do): the audit
chain stays unbroken and case numbers stay distinct, on SQLite and on PostgreSQL."""

from __future__ import annotations

import multiprocessing

from sqlalchemy import func, select

WRITERS, ENTRIES = 3, 60


def _write_entries(database_url: str) -> int:
    """In a process of its own: append ENTRIES entries, one transaction each; count failures."""
    from service import create_app
    from service.db import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    failures = 0
    with app.app_context():
        from service.auth import audit

        for n in range(ENTRIES):
            try:
                audit.record("test.concurrent", None, n=n)
                db.session.commit()
            except Exception:  # noqa: BLE001 - any failure is what this test counts
                db.session.rollback()
                failures += 1
        db.engine.dispose()
    return failures


def test_concurrent_writers_keep_one_chain(app, database_url: str) -> None:
    from service.auth import audit
    from service.auth.models import AuditEntry
    from service.db import db

    db.session.commit()
    with multiprocessing.get_context("spawn").Pool(WRITERS) as pool:
        failures = pool.map(_write_entries, [database_url] * WRITERS)
    assert failures == [0] * WRITERS
    assert db.session.scalar(select(func.count(AuditEntry.id))) == WRITERS * ENTRIES
    assert audit.verify().ok


def _open_cases(database_url: str) -> int:
    """In a process of its own: open ENTRIES cases, one transaction each; count failures."""
    from service import create_app
    from service.db import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    failures = 0
    with app.app_context():
        from service.cases import lifecycle

        for _ in range(ENTRIES):
            try:
                lifecycle.open_case(worker=None)
                db.session.commit()
            except Exception:  # noqa: BLE001 - any failure is what this test counts
                db.session.rollback()
                failures += 1
        db.engine.dispose()
    return failures


def test_concurrent_case_openings_get_distinct_numbers(app, database_url: str) -> None:
    from service.cases.models import Case
    from service.db import db

    db.session.commit()
    with multiprocessing.get_context("spawn").Pool(WRITERS) as pool:
        failures = pool.map(_open_cases, [database_url] * WRITERS)
    assert failures == [0] * WRITERS
    numbers = db.session.scalars(select(Case.number)).all()
    assert len(numbers) == len(set(numbers)) == WRITERS * ENTRIES
