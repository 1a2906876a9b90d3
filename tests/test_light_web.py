"""No LibreOffice in a web process: the pages that need it (a bundle, the dry run of an import
whose files may be .doc) only queue the work and show its progress; a queue worker does it."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest

from tests.conftest import csrf_token, login


@pytest.fixture
def no_office_here(monkeypatch):
    """Any LibreOffice conversion in this process fails the test; the queue only enqueues."""
    from service.documents import convert
    from service.jobs.queue import huey

    def refuse(*_args, **_kwargs):
        raise AssertionError("LibreOffice was started in the web process")

    for name in ("to_pdf", "to_docx"):
        monkeypatch.setattr(convert, name, refuse)
    monkeypatch.setattr(convert.OfficePool, "__init__", refuse)
    huey.immediate = False  # a real queue (a SQLite file): nothing runs in this process
    yield huey
    huey.immediate = True


def _legacy_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("接案表-王建国.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2048)
    return out.getvalue()


def test_an_import_upload_and_its_mapping_are_dry_run_by_a_worker(app, client, make_user,
                                                                    no_office_here) -> None:
    from service.cases.imported import ImportRun, RunState
    from service.db import db

    login(client, make_user("zhou", "supervisor"))
    before = no_office_here.pending_count()
    response = client.post("/imports/", data={"csrf_token": csrf_token(client, "/imports/"),
                                              "archive": (io.BytesIO(_legacy_zip()), "old.zip")})
    assert response.status_code == 302
    run = db.session.query(ImportRun).one()
    assert run.state == RunState.CHECKING and no_office_here.pending_count() == before + 1
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="checking-note"' in page and 'http-equiv="refresh"' in page
    run.state = RunState.CHECKED  # as the worker leaves it
    db.session.commit()
    mapped = client.post(f"/imports/{run.id}/mapping", data={
        "csrf_token": csrf_token(client, f"/imports/{run.id}"), "map:B:姓名": "client_name"})
    assert mapped.status_code == 302
    db.session.refresh(run)
    assert run.state == RunState.CHECKING and run.mapping == {"B": {"姓名": "client_name"}}
    assert no_office_here.pending_count() == before + 2


def closed_case_file(worker: Any) -> Any:
    """A closed case of ``worker`` and its case file in the archive's records (committed);
    nothing filed on disk: enough to queue its bundle."""
    from datetime import date

    from service.annexes.process import Stage
    from service.cases import lifecycle
    from service.cases.archival import ArchiveFile
    from service.db import db

    case = lifecycle.open_case(worker=worker, client_name="王建国", opened_on=date(2024, 5, 8))
    case.stage = Stage.CLOSED
    record = ArchiveFile(case_id=case.id, dang_hao="X001-WS·2024-Y10-XF-0001",
                         folder="2024/c", year=2024, retention="Y10", category="XF", grade="一般")
    db.session.add(record)
    db.session.commit()
    return record


def test_a_bundle_is_queued_not_made_in_the_request(app, client, make_user,
                                                    no_office_here) -> None:
    from service.cases.archival import BundleRequest
    from service.db import db

    record = closed_case_file(make_user("chen", "worker"))
    login(client, make_user("dang", "archivist"))
    before = no_office_here.pending_count()
    response = client.post(f"/archive/{record.id}/bundle",
                           data={"csrf_token": csrf_token(client, "/archive/"), "duplex": "1"})
    assert response.status_code == 302
    req = db.session.query(BundleRequest).one()
    assert req.state == "queued" and req.file_ids == [record.id] and req.options["duplex"]
    assert no_office_here.pending_count() == before + 1
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="bundle-progress"' in page and 'http-equiv="refresh"' in page
