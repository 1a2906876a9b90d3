"""A case from intake to the archive tree, and what archivists do with it (CLI and pages)."""

from __future__ import annotations

import subprocess
import zipfile
from datetime import date
from pathlib import Path

import pikepdf
import pytest

from .archive_helpers import make_copies, signed_off

pytestmark = pytest.mark.office


def _closed_case(app, worker, *, special=None, risk="中风险", sessions=2, reviewer=None,
                 file: bool = True):
    from service.annexes.examples import example
    from service.auth.models import Role
    from service.auth.users import create_user
    from service.cases import lifecycle
    from service.db import db
    from service.jobs.archive.filing import on_documents_ready

    reviewer = reviewer or create_user(f"director-of-{worker.username}", {Role.DIRECTOR}, "correct horse battery")
    case = lifecycle.open_case(worker=worker, client_name="王建国", opened_on=date(2024, 5, 8))
    case.special_process, case.risk_grade = special, risk
    sign = {"worker": worker, "reviewer": reviewer}
    versions = [signed_off(lifecycle.new_form(case, "B", by=worker), example("B"), **sign)]
    for n in range(sessions, 0, -1):  # entered out of date order: filed by date
        data = example("C")
        data.update(session_no=n, date=f"2024-06-{10 + n:02d}")
        versions.append(signed_off(lifecycle.new_form(case, "C", by=worker), data, **sign))
    versions.append(signed_off(lifecycle.new_form(case, "D", by=worker), example("D"), **sign))
    assert not case.is_open
    work = Path(app.config["WORK_ROOT"])
    for version in versions:
        make_copies(version, work)
    db.session.commit()
    for version in versions if file else ():
        on_documents_ready(version.id)
    return case


def _file_in_a_process(args: tuple[str, str, str, int]) -> str:
    """In a process of its own (as a queue worker): file the case; its 档号, or the error."""
    database_url, work, archive, case_id = args
    from service import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "WORK_ROOT": work,
                      "ARCHIVE_ROOT": archive})
    with app.app_context():
        from service.cases.models import Case
        from service.db import db
        from service.jobs.archive.filing import archive_case

        try:
            return archive_case(db.session.get(Case, case_id)).dang_hao
        except Exception as error:  # noqa: BLE001 - what the test counts
            return f"error: {type(error).__name__}: {error}"
        finally:
            db.engine.dispose()


def test_three_workers_filing_one_case_at_once_file_it_once(app, make_user,
                                                            database_url) -> None:
    import multiprocessing

    from sqlalchemy import func, select

    from service.cases.archival import ArchiveFile
    from service.db import db

    case = _closed_case(app, make_user("chen", "worker"), file=False)
    db.session.commit()
    args = (database_url, app.config["WORK_ROOT"], app.config["ARCHIVE_ROOT"], case.id)
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        answers = pool.map(_file_in_a_process, [args] * 3)
    assert len(set(answers)) == 1 and not answers[0].startswith("error"), answers
    db.session.expire_all()
    assert db.session.scalar(select(func.count(ArchiveFile.id))) == 1
    folders = [p for p in Path(app.config["ARCHIVE_ROOT"]).rglob("manifest*") if p.is_file()]
    assert len(folders) == 1, folders


def test_closed_case_is_filed_verified_moved_and_bundled(app, make_user, tmp_path):
    from service.cases.archival import ArchiveFile
    from service.db import db
    from service.jobs.archive.filing import file_version
    from service.jobs.archive.lookup import archived
    from service.jobs.archive.regrading import regrade

    worker = make_user("chen", "worker")
    case = _closed_case(app, worker, special="集体上访", risk="高风险")
    record = archived(case)
    assert isinstance(record, ArchiveFile)
    root = Path(app.config["ARCHIVE_ROOT"])
    assert record.folder == f"X001/2024/永久/集体上访/高风险/{Path(record.folder).name}"
    folder = root / record.folder
    names = sorted(p.name for p in folder.iterdir())
    stem = Path(record.folder).name
    for expected in (f"{stem}-001-接案表.pdf", f"{stem}-001-接案表.docx",
                     f"{stem}-002-会谈表第1次.pdf", f"{stem}-003-会谈表第2次.pdf",
                     f"{stem}-004-结案表.pdf", f"{stem}-000-卷皮.pdf", "manifest.json"):
        assert expected in names, (expected, names)

    cli = app.test_cli_runner()
    ok = cli.invoke(args=["archive", "verify"])
    assert ok.exit_code == 0, ok.output

    # one byte of one archived PDF changed: verify fails and names the file
    target = folder / f"{stem}-002-会谈表第1次.pdf"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    bad = cli.invoke(args=["archive", "verify"])
    assert bad.exit_code == 1
    assert f"changed: {record.folder}/{target.name}" in bad.output
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))

    # a form edited after archiving: a new version beside the old file
    from service.cases import lifecycle
    from service.cases.models import FormVersion

    intake = case.forms_of("B")[0]
    changed = dict(intake.current.data)
    changed["assessment"] += "（补充）"
    version = FormVersion(form=intake, number=intake.current.number + 1, data=changed,
                          content_hash=lifecycle.content_hash(changed), submitted_by_id=worker.id)
    db.session.add(version)
    db.session.flush()
    make_copies(version, Path(app.config["WORK_ROOT"]))
    db.session.commit()
    file_version(record, version)
    db.session.commit()
    assert (folder / f"{stem}-001-接案表.pdf").exists()
    assert (folder / f"{stem}-001-接案表-v3.pdf").exists()
    olds = [i for i in record.items if i.filename == f"{stem}-001-接案表.pdf"]
    assert olds[0].superseded

    # re-graded: the folder moves whole, the move is recorded
    case.risk_grade = "低风险"
    db.session.commit()
    move = regrade(case, by=worker, reason="风险评估下调")
    assert move is not None and move.from_folder.endswith("/高风险/" + stem)
    assert record.folder.endswith("/低风险/" + stem) and (root / record.folder).is_dir()
    assert not folder.exists()
    assert cli.invoke(args=["archive", "verify"]).exit_code == 0

    # a bundle by folder name: cover, contents, bookmark per document, page numbers
    out = tmp_path / "bundle.pdf"
    made = cli.invoke(args=["archive", "bundle", stem, "--out", str(out)])
    assert made.exit_code == 0, made.output
    with pikepdf.open(out) as pdf, pdf.open_outline() as outline:
        titles = [i.title for i in outline.root]
        pages = len(pdf.pages)
    assert titles[:2] == ["卷皮", "卷内目录"] and titles[-1] == "备考表"
    assert len(titles) == 4 + 3
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True,
                          text=True, check=True).stdout.split("\f")
    assert "案卷封面" in text[0] and record.dang_hao in text[0]
    assert "卷内目录" in text[1] and "会谈表" in text[1]
    assert [t.strip().splitlines()[0].strip() for t in text[:pages]] == [
        str(n) for n in range(1, pages + 1)]

    # the same as a ZIP of bundles: one PDF per case file, no temporary file left behind
    zipped = tmp_path / "bundles.zip"
    made = cli.invoke(args=["archive", "bundle", stem, "--out", str(zipped)])
    assert made.exit_code == 0, made.output
    with zipfile.ZipFile(zipped) as bundles:
        assert bundles.namelist() == [f"{Path(record.folder).name}.pdf"]
        assert bundles.read(bundles.namelist()[0]).startswith(b"%PDF")
    assert not list(tmp_path.glob(".tmp-*"))

    # export for transfer
    bag = tmp_path / "bag"
    exported = cli.invoke(args=["archive", "export", "--bag", str(bag)])
    assert exported.exit_code == 0, exported.output
    assert (bag / "manifest-sha256.txt").exists()


def test_archivist_pages_and_batch(app, make_user, login_as, client):
    from service.db import db
    from service.jobs.archive.lookup import archived

    worker = make_user("chen", "worker")
    archivist = make_user("dang", "archivist")
    case = _closed_case(app, worker, sessions=1)
    record = archived(case)
    assert record.category == "一般信访"

    from tests.conftest import login

    other = app.test_client()
    login(other, worker)
    assert other.get("/archive/").status_code == 403
    from tests.conftest import csrf_token

    assert other.post(f"/archive/{record.id}/bundle",
                      data={"csrf_token": csrf_token(other, "/cases")}).status_code == 403
    login_as(archivist)
    page = client.get("/archive/").get_data(as_text=True)
    assert record.dang_hao in page
    token = csrf_token(client, "/archive/")
    queued = client.post(f"/archive/{record.id}/bundle", data={"csrf_token": token})
    assert queued.status_code == 302  # made by a queue worker; the page follows it
    one = client.get(queued.headers["Location"] + "/file")
    assert one.status_code == 200 and one.data.startswith(b"%PDF")
    sent = client.post("/archive/bundles", data={"file": [str(record.id)], "output": "pdf",
                                                 "duplex": "1", "csrf_token": token})
    assert sent.status_code == 302
    progress = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "<progress" in progress
    state = client.get(sent.headers["Location"] + ".json").get_json()
    assert state == {"state": "ready", "done": 1, "total": 1, "error": ""}
    got = client.get(sent.headers["Location"] + "/file")
    assert got.status_code == 200 and got.data.startswith(b"%PDF")
    assert client.post(f"/archive/{record.id + 99}/bundle",
                       data={"csrf_token": token}).status_code == 404
    db.session.remove()


def test_a_damaged_archived_file_is_never_served(app, make_user, login_as, client):
    """A file changed on disk after filing: a clear error and an audit alert, no bytes."""
    import sqlalchemy as sa

    from service.auth.models import AuditEntry
    from service.db import db
    from service.jobs.archive.lookup import archived

    worker = make_user("chen", "worker")
    case = _closed_case(app, worker, sessions=1)
    record = archived(case)
    item = record.current_items()[0]
    path = Path(app.config["ARCHIVE_ROOT"]) / record.folder / item.filename
    login_as(make_user("dang", "archivist"))
    url = f"/archive/{record.id}/files/{item.filename}"
    good = client.get(url)
    assert good.status_code == 200 and good.data.startswith(b"%PDF")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit flipped on the disk
    path.write_bytes(bytes(data))
    response = client.get(url)
    assert response.status_code == 500
    assert not response.data.startswith(b"%PDF")
    page = response.get_data(as_text=True)
    assert item.filename in page and "SHA-256" in page and "已损坏" in page
    from tests.conftest import csrf_token

    queued = client.post(f"/archive/{record.id}/bundle",
                         data={"csrf_token": csrf_token(client, "/archive/")})
    progress = client.get(queued.headers["Location"]).get_data(as_text=True)
    assert "role=\"alert\"" in progress and item.filename in progress and "SHA-256" in progress
    assert client.get(queued.headers["Location"] + "/file").status_code == 404
    alerts = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "archive.damaged")).all()
    assert len(alerts) == 2 and all(item.filename in a.details for a in alerts)
    assert {a.case_id for a in alerts} == {case.id}
    path.unlink()  # gone altogether: the same refusal
    assert client.get(url).status_code == 500


def test_a_failed_filing_is_kept_shown_retried_and_filed(app, make_user, login_as, client,
                                                         tmp_path):
    """A filing that fails (here: the archive volume is not a folder) is recorded with its
    reason, shown to the archivist with a retry button, and filed by the periodic retry once
    the volume is back."""
    from sqlalchemy import select

    from service.annexes.examples import example
    from service.cases import lifecycle
    from service.cases.archival import FilingFailure
    from service.db import db
    from service.jobs.archive.lookup import archived
    from service.jobs.archive.tasks import retry_failed_filings
    from service.jobs.documents import enqueue_documents
    from tests.conftest import csrf_token

    worker = make_user("chen", "worker")
    director = make_user("li", "director")
    archivist = make_user("dang", "archivist")
    case = lifecycle.open_case(worker=worker, client_name="王建国", opened_on=date(2024, 5, 8))
    case.risk_grade = "中风险"
    work = Path(app.config["WORK_ROOT"])
    intake = signed_off(lifecycle.new_form(case, "B", by=worker), example("B"), worker=worker,
                        reviewer=director)
    make_copies(intake, work)
    db.session.commit()
    volume = app.config["ARCHIVE_ROOT"]
    broken = tmp_path / "archive-volume"
    broken.write_bytes(b"not a folder")  # the archive volume is missing: a file in its place
    app.config["ARCHIVE_ROOT"] = str(broken)
    try:
        # the closing form's copies are made by the real documents job, whose filing fails
        closing = signed_off(lifecycle.new_form(case, "D", by=worker), example("D"),
                             worker=worker, reviewer=director)
        enqueue_documents(closing.id)
        db.session.commit()
        assert not case.is_open
        assert archived(case) is None
        failure = db.session.scalars(select(FilingFailure)).one()
        assert (failure.case_id, failure.version_id) == (case.id, closing.id)
        assert failure.resolved_at is None and failure.attempts == 1
        assert "NotADirectoryError" in failure.error or "FileExistsError" in failure.error

        login_as(archivist)
        page = client.get("/archive/").get_data(as_text=True)
        assert case.number in page
        assert failure.error.split(":")[0] in page
        retry_url = f"/archive/failures/{failure.id}/retry"
        assert retry_url in page
        # the archivist's retry while the volume is still missing: still failing, counted
        token = csrf_token(client, "/archive/")
        sent = client.post(retry_url, data={"csrf_token": token})
        assert sent.status_code == 302
        db.session.expire_all()
        failure = db.session.get(FilingFailure, failure.id)
        assert failure.attempts == 2 and failure.resolved_at is None
        assert archived(case) is None
    finally:
        app.config["ARCHIVE_ROOT"] = volume

    # the volume is back: the periodic task files the case and resolves the failure
    assert retry_failed_filings.call_local() == (1, 1)
    db.session.expire_all()
    record = archived(case)
    assert record is not None
    assert (Path(volume) / record.folder / "manifest.json").exists()
    assert db.session.get(FilingFailure, failure.id).resolved_at is not None
    page = client.get("/archive/").get_data(as_text=True)
    assert retry_url not in page
    assert record.dang_hao in page
    assert retry_failed_filings.call_local() == (0, 0)
