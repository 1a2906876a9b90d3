"""Several processes writing at once (as gunicorn workers and queue workers do): the audit
chain stays unbroken, case numbers stay distinct, and a file imported twice at once is filed
once, on SQLite and on PostgreSQL."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from service.annexes.examples import example

WRITERS, ENTRIES = 3, 60
IMPORTERS, IMPORTED_FILES = 2, 6


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


def _import_at_once(args: tuple[str, str, str, Any]) -> dict[str, int]:
    """In a process of its own: import ``folder`` once the others are ready too; the report's
    counts."""
    database_url, work_root, folder, gate = args
    from service import create_app
    from service.db import db
    from service.jobs.imports.model import Options
    from service.jobs.imports.pipeline import run_import

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "WORK_ROOT": work_root})
    with app.app_context():
        gate.wait()
        report = run_import([folder], Options(enqueue=lambda _version: None))
        counts = dict(report.counts)
        report.close()
        db.engine.dispose()
    return counts


def test_the_same_files_imported_at_once_are_filed_once(app, database_url: str,
                                                        tmp_path: Path) -> None:
    """Two imports of one folder at once (an upload sent twice, a command run twice): every
    file is filed once, in one case, and the other import reports it as a duplicate."""
    from service.cases.models import Case, Original
    from service.db import db
    from tests.imports_legacy import make_docx

    folder = tmp_path / "legacy"
    for n in range(IMPORTED_FILES):
        petitioner = folder / f"案主{n}"
        petitioner.mkdir(parents=True)
        data = {**example("B"), "client_name": f"案主{n}"}
        (petitioner / "接案表.docx").write_bytes(make_docx("B", data))
    db.session.commit()
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        gate = manager.Barrier(IMPORTERS)
        job = (database_url, app.config["WORK_ROOT"], str(folder), gate)
        with context.Pool(IMPORTERS) as pool:
            reports = pool.map(_import_at_once, [job] * IMPORTERS)
    assert sum(r.get("imported", 0) for r in reports) == IMPORTED_FILES, reports
    assert sum(r.get("duplicate", 0) for r in reports) == IMPORTED_FILES * (IMPORTERS - 1)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Original.id))) == IMPORTED_FILES
    assert db.session.scalar(select(func.count(Case.id))) == IMPORTED_FILES
