"""The import pipeline on a folder of legacy files: dry run, per-file transactions,
duplicates, changed files, originals kept byte for byte, and the `import` command."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from service.annexes import ANNEXES
from service.annexes.validate import clean
from service.cases.imported import ImportedFile
from service.cases.models import Case, Document, FormRecord, FormVersion, Original
from service.db import db
from service.jobs.imports.model import Options
from service.jobs.imports.pipeline import run_import
from tests.imports_legacy import Style, expected, make_docx


def _normal(code: str, data: dict | None = None) -> dict:
    out, _ = clean(ANNEXES[code], data if data is not None else expected(code), submit=False)
    return out


def _c(n: int, day: str) -> dict:
    data = expected("C")
    data.update(session_no=n, date=day)
    data["worker_signature"] = {"date": day, "name": "陈晓敏"}
    return data


@pytest.fixture
def legacy(tmp_path: Path) -> Path:
    """A folder as an agency hands it over: one petitioner per sub-folder, loose files too."""
    root = tmp_path / "legacy"
    wang = root / "王建国"
    wang.mkdir(parents=True)
    (wang / "接案表.docx").write_bytes(make_docx("B", style=Style(tick="wingdings2")))
    (wang / "会谈1.docx").write_bytes(make_docx("C", _c(1, "2024-05-15"),
                                              Style(tick="content_control", spaced=True)))
    (wang / "会谈2.docx").write_bytes(make_docx("C", _c(2, "2024-06-01"),
                                              Style(tick="form_field", below=True)))
    (wang / "结案表.docx").write_bytes(make_docx("D", style=Style(tick="check_before")))
    (wang / "扫描件.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    li = expected("B")
    li.update(client_name="李四", first_contact_date="2023-03-01", birth_month="1970-01",
              age=None)
    (root / "李四-接案.docx").write_bytes(make_docx("B", li, Style(tick="glyph_variants",
                                                                 one_cell=True)))
    (root / "坏文件.docx").write_bytes(b"PK\x03\x04 broken beyond repair")
    return root


def _counts() -> dict[str, int]:
    return {m.__tablename__: db.session.scalar(select(func.count()).select_from(m))
            for m in (Case, FormRecord, FormVersion, Original, ImportedFile)}


def test_a_dry_run_writes_nothing_anywhere(app, legacy: Path):
    queued: list[int] = []
    report = run_import([legacy], Options(dry_run=True, enqueue=queued.append))
    entries = {e["file"]: e for e in report.entries()}
    assert report.counts["would_import"] == 5
    assert report.counts["needs_review"] == 1
    assert entries["legacy/坏文件.docx"]["status"] == "error"
    assert entries["legacy/王建国/会谈2.docx"]["data"] == _normal("C", _c(2, "2024-06-01"))
    cases = {e["case"] for n, e in entries.items() if "王建国" in n}
    assert len(cases) == 1  # grouped by their folder into one case
    assert entries["legacy/李四-接案.docx"]["case"] not in cases
    assert set(_counts().values()) == {0}
    assert queued == []
    assert not Path(app.config["WORK_ROOT"]).exists() or not any(
        Path(app.config["WORK_ROOT"]).rglob("*"))


def test_an_import_keeps_originals_and_files_each_form_in_its_case(app, legacy: Path):
    queued: list[int] = []
    report = run_import([legacy], Options(enqueue=queued.append))
    entries = {e["file"]: e for e in report.entries()}
    assert report.counts == {"imported": 5, "would_import": 0, "duplicate": 0,
                             "needs_review": 1, "error": 1}
    assert "damaged" in entries["legacy/坏文件.docx"]["errors"][0]
    wang = db.session.scalars(select(Case).where(Case.client_name == "王建国")).one()
    assert entries["legacy/王建国/扫描件.png"]["case"] == wang.number
    assert sorted((f.annex, f.seq) for f in wang.forms) == [("B", 1), ("C", 1), ("C", 2),
                                                          ("D", 1)]
    # its Annex D waits for the director's sign-off: the case is pending closure, still open
    assert wang.stage == "待结案审批" and wang.is_open
    by_annex = {(f.annex, f.seq): f.current for f in wang.forms}
    assert by_annex[("B", 1)].data == _normal("B")
    assert by_annex[("C", 2)].data == _normal("C", _c(2, "2024-06-01"))
    assert by_annex[("D", 1)].data == _normal("D")
    assert {v.source for v in by_annex.values()} == {"imported"}
    assert sorted(queued) == sorted(v.id for c in db.session.scalars(select(Case))
                                    for f in c.forms for v in f.versions)
    for path in legacy.rglob("*"):
        if path.is_file() and path.name != "坏文件.docx":
            raw = path.read_bytes()
            original = db.session.scalars(select(Original).where(
                Original.sha256 == hashlib.sha256(raw).hexdigest())).one()
            kept = Path(app.config["WORK_ROOT"]) / original.path
            assert kept.read_bytes() == raw
            assert original.size == len(raw)
    review = db.session.scalars(select(ImportedFile).where(ImportedFile.needs_review)).one()
    assert review.case_id == wang.id and review.version_id is None
    li = db.session.scalars(select(Case).where(Case.client_name == "李四")).one()
    assert li.opened_on.isoformat() == "2023-03-01"


def test_a_second_import_is_only_duplicates_and_changes_nothing(app, legacy: Path):
    (legacy / "坏文件.docx").unlink()
    run_import([legacy], Options(enqueue=lambda _: None))
    before = _counts()
    report = run_import([legacy], Options(enqueue=lambda _: None))
    assert {e["status"] for e in report.entries()} == {"duplicate"}
    assert _counts() == before


def test_a_changed_file_becomes_a_new_version_of_its_form(app, legacy: Path):
    from service.cases import workflow

    run_import([legacy], Options(enqueue=lambda _: None))
    wang = db.session.scalars(select(Case).where(Case.client_name == "王建国")).one()
    [intake] = wang.forms_of("B")
    # while the intake waits for review, a changed file is kept and held for a person
    changed = expected("B")
    changed["phone"] = "13900000000"
    (legacy / "王建国" / "接案表.docx").write_bytes(make_docx("B", changed))
    report = run_import([legacy], Options(enqueue=lambda _: None))
    statuses = {e["file"]: e["status"] for e in report.entries()}
    assert statuses["legacy/王建国/接案表.docx"] == "needs_review"
    db.session.expire_all()
    assert [v.number for v in intake.versions] == [1] and intake.state == "submitted"
    # once it is taken back from review, a changed file becomes its next version
    workflow.withdraw(intake, by=None)
    db.session.commit()
    changed["phone"] = "13900000001"
    (legacy / "王建国" / "接案表.docx").write_bytes(make_docx("B", changed))
    report = run_import([legacy], Options(enqueue=lambda _: None))
    statuses = {e["file"]: e["status"] for e in report.entries()}
    assert statuses["legacy/王建国/接案表.docx"] == "imported"
    assert {s for f, s in statuses.items() if f != "legacy/王建国/接案表.docx"} <= {
        "duplicate", "error"}
    db.session.expire_all()
    wang = db.session.scalars(select(Case).where(Case.client_name == "王建国")).one()
    [intake] = wang.forms_of("B")
    assert [v.number for v in intake.versions] == [1, 2]
    assert intake.current.data["phone"] == "13900000001" and intake.state == "submitted"
    assert db.session.scalar(select(func.count()).select_from(Case)) == 2


@pytest.mark.office
def test_the_import_command_writes_the_report_and_fails_on_an_error(app, legacy: Path,
                                                                     tmp_path: Path):
    archive = tmp_path / "upload.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in legacy.rglob("*"):
            if path.is_file():
                z.write(path, path.relative_to(legacy).as_posix())
    target = tmp_path / "out" / "report.json"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import", str(archive), "--dry-run", "--report", str(target)])
    assert result.exit_code == 1, result.output
    assert "6 would_import" not in result.output and "5 would_import" in result.output
    report = json.loads(target.read_text(encoding="utf-8"))
    assert set(report) >= {"files"}
    for entry in report["files"]:
        assert set(entry) == {"file", "status", "annex", "case", "data", "warnings", "errors",
                              "fields"}
        for value in entry["fields"]:
            assert set(value) >= {"field", "value", "confidence", "flagged", "source"}
            assert 0 <= value["confidence"] <= 1 and value["source"], (entry["file"], value)
        if entry["status"] == "would_import" and entry["file"].endswith(".docx"):
            read = {v["field"]: v["value"] for v in entry["fields"]}
            assert read and all(read[k] == v for k, v in entry["data"].items()
                                if isinstance(v, str) and v)
    assert set(_counts().values()) == {0}
    (legacy / "坏文件.docx").unlink()
    result = runner.invoke(args=["import", str(legacy)])
    assert result.exit_code == 0, result.output
    assert "5 imported" in result.output and "1 needs_review" in result.output
    states = db.session.execute(select(Document.format, Document.state)).all()
    assert sorted(states) == sorted([("docx", "ready"), ("pdf", "ready")] * 5)


def _li_case(worker, *, stage: str | None = None):
    from datetime import date

    from service.cases import lifecycle

    case = lifecycle.open_case(worker=worker, client_name="李四", opened_on=date(2023, 3, 1))
    if stage:
        case.stage = stage
    db.session.commit()
    return case


def _li_only(legacy: Path) -> Path:
    for path in legacy.rglob("*"):
        if path.is_file() and path.name != "李四-接案.docx":
            path.unlink()
    return legacy


@pytest.mark.parametrize("whose", ["own", "another workers", "closed"])
def test_an_import_attaches_only_to_an_open_case_its_importer_may_edit(
        app, legacy: Path, make_user, whose: str):
    chen = make_user("chen", "worker")
    wu = make_user("wu", "worker")
    case = _li_case(wu if whose == "another workers" else chen,
                    stage="结案" if whose == "closed" else None)
    report = run_import([_li_only(legacy)], Options(by=chen, enqueue=lambda _: None))
    [entry] = report.entries()
    assert entry["status"] == "imported", entry.get("errors")
    db.session.expire_all()
    if whose == "own":
        assert entry["case"] == case.number and case.forms_of("B")
        return
    # another worker's case or a closed one is left alone: a new case, its number never named
    assert entry["case"] != case.number and case.number not in json.dumps(entry)
    assert not db.session.get(Case, case.id).forms
    assert db.session.scalar(select(func.count()).select_from(Case)
                             .where(Case.client_name == "李四")) == 2
