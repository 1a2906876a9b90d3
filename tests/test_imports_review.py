"""Scans reviewed beside their original, originals downloadable, the confirmation audited:
through the pages, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import re
import subprocess
import uuid
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from service.annexes import ANNEXES
from service.annexes.examples import example, worker_example
from service.auth.models import AuditEntry, ReviewStep
from service.cases.imported import ImportedFile
from service.cases.models import Case, Document, DocumentState, FormRecord, Original
from service.db import db
from service.forms.builder import to_formdata
from service.jobs.imports.model import Options
from service.jobs.imports.pipeline import run_import
from tests.conftest import csrf_token, login
from tests.imports_legacy import INTAKE_ROWS, make_table_docx

#: The colours of the scan's pages, one a page, so that each page shown can be told apart.
PAGE_COLOURS = [(200, 30, 30), (30, 30, 200)]


def _picture(colour: tuple[int, int, int], fmt: str, size: tuple[int, int] = (240, 340)
             ) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, fmt)
    return out.getvalue()


def _image_pdf(colours: list[tuple[int, int, int]]) -> bytes:
    """A scanned paper form: a PDF of pictures only, one page per colour."""
    pages = [Image.new("RGB", (300, 420), c) for c in colours]
    out = io.BytesIO()
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:], resolution=72)
    return out.getvalue()


def _import(folder: Path, files: dict[str, bytes], by) -> None:
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    report = run_import([folder], Options(by=by, enqueue=lambda version_id: None))
    try:
        assert report.ok, list(report.entries())
    finally:
        report.close()


def _scan(name: str) -> ImportedFile:
    db.session.expire_all()
    return db.session.scalars(select(ImportedFile).join(
        Original, Original.id == ImportedFile.original_id).where(
        Original.filename.endswith(name))).one()


def _png_of(response) -> Image.Image:
    assert response.status_code == 200, response.status_code
    return Image.open(io.BytesIO(response.data)).convert("RGB")


def _near(pixel: tuple[int, ...], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) < 40 for a, b in zip(pixel, colour, strict=True))


def _actions(action: str) -> list[dict]:
    rows = db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                              .order_by(AuditEntry.seq)).all()
    return [json.loads(r.details) | {"_case": r.case_id, "_user": r.username} for r in rows]


@pytest.fixture
def supervisor(make_user):
    return make_user("sup", "supervisor")


@pytest.fixture
def scans(app, supervisor, tmp_path) -> dict[str, ImportedFile]:
    """A PDF scan of two pages and a PNG scan, each its own draft case needing review, and a
    Word intake form whose folder also holds a scan."""
    _import(tmp_path / "legacy", {
        "扫描件.pdf": _image_pdf(PAGE_COLOURS),
        "照片.png": _picture((20, 160, 20), "PNG"),
        "张三/接案表.docx": make_table_docx("信访社会工作服务接案表", INTAKE_ROWS),
        "张三/会谈记录.jpg": _picture((120, 120, 0), "JPEG"),
    }, supervisor)
    return {"pdf": _scan("扫描件.pdf"), "png": _scan("照片.png"),
            "beside_intake": _scan("会谈记录.jpg")}


def test_scans_needing_review_are_listed_and_shown_beside_the_form(app, client, supervisor,
                                                                  scans):
    login(client, supervisor)
    page = client.get("/imports/").get_data(as_text=True)
    listed = re.search(r'<table class="list" id="waiting">(.*?)</table>', page, re.S).group(1)
    for key, scan in scans.items():
        assert f"/imports/review/{scan.id}" in listed, key
    assert "扫描件.pdf" in listed and "照片.png" in listed

    pdf = scans["pdf"]
    case_page = client.get(f"/cases/{pdf.case_id}").get_data(as_text=True)
    assert 'id="needs-review"' in case_page and f"/imports/review/{pdf.id}" in case_page
    original = db.session.get(Original, pdf.original_id)
    assert f"/imports/cases/{pdf.case_id}/originals/{original.id}" in case_page

    review = client.get(f"/imports/review/{pdf.id}")
    assert review.status_code == 200
    text = review.get_data(as_text=True)
    pictures = re.findall(rf'<img src="(/imports/review/{pdf.id}/page/\d+)"', text)
    assert len(pictures) == len(PAGE_COLOURS)
    assert ANNEXES["B"].title in text  # B unless another form is chosen
    for f in ANNEXES["B"]:
        assert f.label in text, f.label
    for url, colour in zip(pictures, PAGE_COLOURS, strict=True):
        shown = _png_of(client.get(url))
        assert shown.width > 250 and _near(shown.getpixel((shown.width // 2, shown.height // 2)),
                                           colour), url
    cached = Path(app.config["WORK_ROOT"]) / "imports" / "scans" / original.sha256
    assert sorted(p.name for p in cached.iterdir()) == ["page-1.png", "page-2.png"]
    assert client.get(f"/imports/review/{pdf.id}/page/3").status_code == 404

    chosen = client.get(f"/imports/review/{pdf.id}?annex=C").get_data(as_text=True)
    assert ANNEXES["C"].title in chosen and ANNEXES["B"].title not in chosen

    png = scans["png"]
    text = client.get(f"/imports/review/{png.id}").get_data(as_text=True)
    [url] = re.findall(rf'<img src="(/imports/review/{png.id}/page/\d+)"', text)
    shown = client.get(url)
    assert shown.mimetype == "image/png"
    assert shown.data == (Path(app.config["WORK_ROOT"]) / db.session.get(
        Original, png.original_id).path).read_bytes()
    assert client.get(f"/imports/review/{png.id}/page/2").status_code == 404
    assert [e["imported"] for e in _actions("import.review.view")] == [pdf.id, pdf.id, png.id]


def test_a_submitted_form_is_not_overwritten_from_a_scan(app, client, supervisor, scans):
    login(client, supervisor)
    scan = scans["beside_intake"]  # its folder's intake form was imported: B is submitted
    page = client.get(f"/imports/review/{scan.id}").get_data(as_text=True)
    assert 'id="locked-note"' in page and 'id="submit-review"' not in page
    fields = MultiDict(to_formdata(ANNEXES["B"], example("B")))
    fields.update({"csrf_token": csrf_token(client, f"/imports/review/{scan.id}"),
                   "annex": "B", "submission_token": uuid.uuid4().hex})
    assert client.post(f"/imports/review/{scan.id}", data=fields).status_code == 409
    case = db.session.get(Case, scan.case_id)
    assert len(case.forms_of("B")[0].versions) == 1 and _scan("会谈记录.jpg").needs_review


def test_others_cannot_review_a_scan(app, client, make_user, scans):
    worker = make_user("w", "worker")
    login(client, worker)
    scan = scans["png"]
    # a worker reviews the scans of their own cases only; another's case is not there for them
    assert client.get(f"/imports/review/{scan.id}").status_code == 404
    assert client.get(f"/imports/review/{scan.id}/page/1").status_code == 404
    page = client.get(f"/cases/{scan.case_id}")
    assert page.status_code == 404  # a case of no worker: not this worker's


@pytest.mark.office
def test_submitting_the_review_files_the_form_and_clears_the_scan(app, client, supervisor,
                                                                  scans):
    login(client, supervisor)
    scan = scans["pdf"]
    url = f"/imports/review/{scan.id}"
    bad = {"csrf_token": csrf_token(client, url), "annex": "C",
           "submission_token": uuid.uuid4().hex, "record": "只写了一半"}
    refused = client.post(url, data=bad)
    assert refused.status_code == 422
    assert ANNEXES["C"].title in refused.get_data(as_text=True)
    assert _scan("扫描件.pdf").needs_review
    draft = db.session.get(FormRecord, _scan("扫描件.pdf").form_id)
    assert draft.annex == "C" and draft.draft["record"] == "只写了一半" and not draft.versions
    again = client.get(url).get_data(as_text=True)  # the reviewer's draft is where they left it
    assert "只写了一半" in again and 'aria-current="page"' in again

    # the worker's cells (a supervisor may write the reviewer's too: they are left out here)
    fields = MultiDict(to_formdata(ANNEXES["C"], worker_example("C")))
    token = uuid.uuid4().hex
    fields.update({"csrf_token": csrf_token(client, url), "annex": "C",
                   "submission_token": token})
    done = client.post(url, data=fields)
    assert done.status_code == 302 and done.location.endswith(f"/cases/{scan.case_id}")

    reviewed = _scan("扫描件.pdf")
    assert not reviewed.needs_review and reviewed.reviewed_by_id == supervisor.id
    assert reviewed.reviewed_at is not None and reviewed.annex == "C"
    case = db.session.get(Case, scan.case_id)
    [record] = case.forms_of("C")  # the draft of the refused attempt, not a second form
    assert record.id == draft.id and record.state == "submitted"
    [version] = record.versions
    assert reviewed.version_id == version.id and version.submission_token == token
    assert version.data["record"] == example("C")["record"]
    assert db.session.get(Original, scan.original_id).version_id == version.id
    docs = db.session.scalars(select(Document).where(Document.version_id == version.id)).all()
    assert sorted(d.format for d in docs) == ["docx", "pdf"]
    assert all(d.state == DocumentState.READY for d in docs), [d.error for d in docs]
    steps = db.session.scalars(select(ReviewStep).where(ReviewStep.form_id == record.id)).all()
    assert [s.action for s in steps] == ["submitted"]
    # (the imported forms' own submissions are audited too: this one is the reviewed C)
    [submit] = [a for a in _actions("form.submit") if a["form"] == "C"]
    assert submit["_case"] == case.id and submit["_user"] == "sup"
    [noted] = _actions("import.review")
    assert noted["imported"] == scan.id and noted["version"] == version.number

    assert client.get(url).status_code == 302  # reviewed: back to the case
    assert client.post(url, data=fields).status_code == 302
    assert len(record.versions) == 1
    listed = client.get("/imports/").get_data(as_text=True)
    assert f"/imports/review/{scan.id}\"" not in listed
    assert 'id="needs-review"' not in client.get(f"/cases/{case.id}").get_data(as_text=True)


def test_originals_download_byte_for_byte_to_whoever_sees_the_case(app, client, make_user,
                                                                   supervisor, scans):
    login(client, supervisor)
    png = db.session.get(Original, scans["png"].original_id)
    got = client.get(f"/imports/cases/{png.case_id}/originals/{png.id}")
    assert got.status_code == 200 and "attachment" in got.headers["Content-Disposition"]
    assert got.data == (Path(app.config["WORK_ROOT"]) / png.path).read_bytes()
    assert got.data.startswith(b"\x89PNG")

    pdf = db.session.get(Original, scans["pdf"].original_id)
    marked = client.get(f"/imports/cases/{pdf.case_id}/originals/{pdf.id}")
    assert marked.status_code == 200 and marked.data.startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-", "-"], input=marked.data, capture_output=True,
                          check=True).stdout.decode()
    assert "Exported by sup at " in text
    logged = _actions("original.download")
    assert [(e["original"], e["_case"]) for e in logged] == [(png.id, png.case_id),
                                                            (pdf.id, pdf.case_id)]
    assert logged[0]["sha256"] == png.sha256

    # an original named under another case is not there
    assert client.get(f"/imports/cases/{pdf.case_id}/originals/{png.id}").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/cases")})
    login(client, make_user("w", "worker"))
    assert client.get(f"/imports/cases/{png.case_id}/originals/{png.id}").status_code == 404


def test_confirming_an_upload_is_audited_and_its_scan_goes_to_the_importers_team(
        app, client, make_user):
    from service.auth.users import team_named

    team = team_named("东区")
    db.session.commit()
    importer = make_user("sup2", "supervisor", team_id=team.id)
    login(client, importer)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("旧表/扫描.png", _picture((10, 10, 10), "PNG"))
    uploaded = client.post("/imports/", data={
        "csrf_token": csrf_token(client, "/imports/"),
        "archive": (io.BytesIO(archive.getvalue()), "old.zip")},
        content_type="multipart/form-data")
    assert uploaded.status_code == 302
    run_url = uploaded.location
    run_id = int(run_url.rstrip("/").rsplit("/", 1)[1])
    assert _actions("import.confirm") == []
    confirmed = client.post(f"{run_url}/confirm",
                            data={"csrf_token": csrf_token(client, run_url)})
    assert confirmed.status_code == 302
    [entry] = _actions("import.confirm")
    assert entry["run"] == run_id and entry["_user"] == "sup2" and entry["_case"] is None
    assert client.get(f"{run_url}.json").get_json()["summary"]["needs_review"] == 1
    scan = _scan("扫描.png")
    assert db.session.get(Case, scan.case_id).team_id == team.id
    page = client.get("/imports/").get_data(as_text=True)
    assert f"/imports/review/{scan.id}" in page
