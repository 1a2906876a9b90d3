"""Several processes writing at once (as gunicorn workers and queue workers do): the audit
chain stays unbroken and case numbers stay distinct, on SQLite and on PostgreSQL."""

from __future__ import annotations

import multiprocessing

from sqlalchemy import func, select

WRITERS, ENTRIES = 3, 60


def _record_audit_entry() -> None:
    from service.auth import audit

    audit.record("test.concurrent", None)


def _open_case() -> None:
    from service.cases import lifecycle

    lifecycle.open_case(worker=None)


STEPS = {"audit": _record_audit_entry, "open_case": _open_case}


def _repeat(args: tuple[str, str]) -> int:
    """In a process of its own: run a step ENTRIES times, one transaction each; count failures."""
    database_url, step = args
    from service import create_app
    from service.db import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    failures = 0
    with app.app_context():
        for _ in range(ENTRIES):
            try:
                STEPS[step]()
                db.session.commit()
            except Exception:  # noqa: BLE001 - any failure is what these tests count
                db.session.rollback()
                failures += 1
        db.engine.dispose()
    return failures


def _all_at_once(database_url: str, step: str) -> list[int]:
    from service.db import db

    db.session.commit()
    with multiprocessing.get_context("spawn").Pool(WRITERS) as pool:
        return pool.map(_repeat, [(database_url, step)] * WRITERS)


def test_concurrent_writers_keep_one_chain(app, database_url: str) -> None:
    from service.auth import audit
    from service.auth.models import AuditEntry
    from service.db import db

    assert _all_at_once(database_url, "audit") == [0] * WRITERS
    assert db.session.scalar(select(func.count(AuditEntry.id))) == WRITERS * ENTRIES
    assert audit.verify().ok


def test_concurrent_case_openings_get_distinct_numbers(app, database_url: str) -> None:
    from service.cases.models import Case
    from service.db import db

    assert _all_at_once(database_url, "open_case") == [0] * WRITERS
    numbers = db.session.scalars(select(Case.number)).all()
    assert len(numbers) == len(set(numbers)) == WRITERS * ENTRIES
