"""Scans through the import pipeline: a blank form printed for a case, filled by hand and
scanned, comes back to that case with its ticks read and its handwriting waiting as images;
a typed form scanned pages-reversed is read in page order; the report names annex, case and
pages."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import cv2
import pytest
from PIL import Image

from service.annexes import ANNEXES
from service.annexes.examples import example
from service.documents import DocumentMeta, render_docx
from service.documents.convert import to_pdf
from service.paper.layout import page_layouts, rasterise
from tests.scan_helpers import fill_by_hand, scan, without_code

pytestmark = pytest.mark.office

TICKS = {"place": ["其他"], "work_mode": ["面谈"]}


def _handfilled_c(number: str, out: Path) -> None:
    pdf = to_pdf(render_docx(ANNEXES["C"], {}, DocumentMeta(case_number=number)))
    image, layout = rasterise(pdf)[0], page_layouts(ANNEXES["C"], "00000000", pdf)[0]
    rng = random.Random(5)
    page = fill_by_hand(image, layout, rng, TICKS, {"interviewee", "record"})
    ok, jpeg = cv2.imencode(".jpg", scan(page, rng, dpi=200, angle=-2.0, noise=5),
                            [cv2.IMWRITE_JPEG_QUALITY, 85])
    out.write_bytes(jpeg.tobytes())


def _typed_b_reversed(out: Path, *, coded: bool = True) -> None:
    pdf = to_pdf(render_docx(ANNEXES["B"], example("B")))
    rng = random.Random(6)
    pages = [Image.fromarray(scan(p if coded else without_code(p), rng, dpi=150, angle=1.0))
             for p in rasterise(pdf)][::-1]
    buffer = io.BytesIO()
    pages[0].save(buffer, "PDF", save_all=True, append_images=pages[1:], resolution=150)
    out.write_bytes(buffer.getvalue())


def test_scans_come_home_to_their_case_read(app, client, make_user, tmp_path):
    from service.cases import lifecycle
    from service.cases.imported import ImportedFile
    from service.cases.models import FormRecord
    from service.db import db
    from service.jobs.imports.model import Options
    from service.jobs.imports.pipeline import run_import

    worker = make_user("chen", "worker")
    boss = make_user("zhou", "director")
    case = lifecycle.open_case(worker=worker, client_name="王建国")
    db.session.commit()
    folder = tmp_path / "paper"
    folder.mkdir()
    _handfilled_c(case.number, folder / "visit.jpg")
    _typed_b_reversed(folder / "intake.pdf")

    pages_read: list[tuple[str, int, int]] = []
    report = run_import([folder], Options(
        dry_run=True, by=boss, pages=lambda f, n, count: pages_read.append((Path(f).name, n, count))))
    assert sorted(pages_read) == [("intake.pdf", 1, 2), ("intake.pdf", 2, 2), ("visit.jpg", 1, 1)]
    entries = {Path(e["file"]).name: e for e in report.as_dict()["files"]}
    visit, intake = entries["visit.jpg"], entries["intake.pdf"]
    assert (visit["annex"], visit["case_number"], visit["pages"]) == ("C", case.number, [1])
    assert visit["case"] == case.number
    fields = {f["field"]: f for f in visit["fields"]}
    assert fields["place"]["value"] == "其他" and not fields["place"]["flagged"]
    assert fields["work_mode"]["value"] == "面谈" and not fields["work_mode"]["flagged"]
    for name in ("interviewee", "record", "place_other"):
        assert fields[name]["flagged"] and fields[name]["value"] == "", name
    assert (intake["annex"], intake["case_number"], intake["pages"]) == ("B", None, [1, 2])
    read = {f["field"]: f for f in intake["fields"]}
    assert read["client_name"]["value"] == example("B")["client_name"]
    assert read["education"]["value"] == example("B")["education"]
    json.dumps(report.as_dict(), ensure_ascii=False)
    report.close()

    report = run_import([folder / "visit.jpg"], Options(by=boss, enqueue=lambda _: None))
    report.close()
    imported = db.session.scalars(db.select(ImportedFile)).one()
    assert imported.case_id == case.id and imported.needs_review and imported.annex == "C"
    draft = db.session.get(FormRecord, imported.form_id)
    assert draft.case_id == case.id and draft.annex == "C"
    assert draft.data["place"] == "其他" and draft.data["work_mode"] == "面谈"
    assert not draft.data.get("interviewee")

    # the review: unsure cells first, each with its picture; confirmed through the form
    import re
    import uuid

    from werkzeug.datastructures import MultiDict

    from service.forms.builder import to_formdata
    from tests.conftest import csrf_token, login

    login(client, boss)
    url = f"/imports/review/{imported.id}"
    page = client.get(url).get_data(as_text=True)
    rows = re.findall(r'<tr class="(flagged|read)" data-field="([^"]+)">(.*?)</tr>', page, re.S)
    kinds = [k for k, _f, _b in rows]
    assert kinds == sorted(kinds)  # "flagged" before "read"
    flagged = {f: body for k, f, body in rows if k == "flagged"}
    assert {"interviewee", "record", "place_other"} <= set(flagged)
    assert all('src="data:image/png;base64,' in body for body in flagged.values())
    assert "place" in {f for k, f, _b in rows if k == "read"}
    # and beside each input, the picture of its cell (a write-in's beside its options)
    for name in ("interviewee", "record", "place"):
        cell = re.search(rf'<td class="value[^"]*"[^>]*data-field="{name}">(.*?)</td>', page,
                         re.S)
        assert cell and 'id="crop-' in cell.group(1), name
        assert 'src="data:image/png;base64,' in cell.group(1), name
    assert 'class="cell-crop flagged" id="crop-interviewee"' in page
    # the person types the handwritten cells (the rest as a complete C), the ticks as read
    typed = {**example("C"), "place": draft.data["place"], "work_mode": draft.data["work_mode"],
             "interviewee": "王建国", "place_other": "社区居委会", "record": "案主讲述近况。"}
    fields = MultiDict(to_formdata(ANNEXES["C"], typed))
    fields.update({"csrf_token": csrf_token(client, url), "annex": "C",
                   "submission_token": uuid.uuid4().hex})
    response = client.post(url, data=fields)
    assert response.status_code == 302, re.findall(r'error[^>]*>([^<]+)<',
                                                   response.get_data(as_text=True))
    db.session.expire_all()
    done = db.session.get(ImportedFile, imported.id)
    assert not done.needs_review and done.version_id is not None
    form = db.session.get(FormRecord, imported.form_id)
    assert form.current.data["place"] == "其他" and form.current.data["interviewee"] == "王建国"


def test_a_code_naming_a_case_the_importer_may_not_edit_is_not_followed(app, make_user,
                                                                         tmp_path):
    from service.auth.models import Team
    from service.cases import lifecycle
    from service.db import db
    from service.jobs.imports.model import Options
    from service.jobs.imports.pipeline import run_import

    other_team = Team(name="T2")
    db.session.add(other_team)
    db.session.commit()
    worker = make_user("chen", "worker")
    outsider = make_user("wu", "supervisor", team_id=other_team.id)
    case = lifecycle.open_case(worker=worker, client_name="王建国")
    db.session.commit()
    _handfilled_c(case.number, tmp_path / "visit.jpg")
    report = run_import([tmp_path / "visit.jpg"], Options(dry_run=True, by=outsider))
    entry = report.as_dict()["files"][0]
    report.close()
    assert entry["case_number"] == case.number and entry["case"] != case.number
    assert any("may not edit" in w for w in entry["warnings"])


def test_the_standards_layout_without_a_code_is_read_and_said_so(app, make_user, tmp_path):
    from service.jobs.imports.model import Options
    from service.jobs.imports.pipeline import run_import

    _typed_b_reversed(tmp_path / "old-intake.pdf", coded=False)
    report = run_import([tmp_path / "old-intake.pdf"],
                        Options(dry_run=True, by=make_user("zhou", "director")))
    [entry] = report.as_dict()["files"]
    report.close()
    assert (entry["annex"], entry["case_number"], entry["pages"]) == ("B", None, [1, 2])
    assert any("no form code" in w for w in entry["warnings"])
    read = {f["field"]: f for f in entry["fields"]}
    assert read["client_name"]["value"] == example("B")["client_name"]
    assert read["education"]["value"] == example("B")["education"]


def test_a_worker_brings_a_filled_form_back_from_the_case_page(app, client, make_user, tmp_path):
    import re

    from service.cases import lifecycle
    from service.cases.imported import ImportedFile
    from service.db import db
    from tests.conftest import csrf_token, login

    worker = make_user("chen", "worker")
    case = lifecycle.open_case(worker=worker, client_name="王建国")
    other = lifecycle.open_case(worker=worker, client_name="李秀英")
    db.session.commit()
    _handfilled_c(case.number, tmp_path / "visit.jpg")
    _handfilled_c(other.number, tmp_path / "other.jpg")

    login(client, worker)
    url = f"/cases/{case.id}"
    token = csrf_token(client, url)
    with (tmp_path / "visit.jpg").open("rb") as one, (tmp_path / "other.jpg").open("rb") as two:
        response = client.post(f"/imports/case/{case.id}/paper", data={
            "csrf_token": token, "paper": [(one, "visit.jpg"), (two, "other.jpg")]},
            content_type="multipart/form-data")
    assert response.status_code == 302 and response.headers["Location"].endswith("#paper")
    [imported] = db.session.scalars(db.select(ImportedFile)).all()
    assert imported.case_id == case.id and imported.needs_review and imported.annex == "C"
    page = client.get(url).get_data(as_text=True)
    runs = page[page.index('id="paper-runs"'):]
    assert "visit.jpg" in runs and "other.jpg" in runs
    assert f"names case {other.number}, not {case.number}" in runs  # not attached, said why
    review = re.search(r'href="(/imports/review/\d+[^"]*)"', page).group(1)
    shown = client.get(review.replace("&amp;", "&"))
    assert shown.status_code == 200 and 'id="crop-interviewee"' in shown.get_data(as_text=True)

    login(client, make_user("wang", "worker"))  # another worker: not their case
    assert client.post(f"/imports/case/{case.id}/paper", data={
        "csrf_token": csrf_token(client, "/cases")}).status_code == 404


def test_a_scan_read_in_the_dry_run_is_not_read_again_by_the_import(app, make_user, tmp_path,
                                                                   monkeypatch):
    from service.cases import lifecycle
    from service.cases.imported import ImportedFile
    from service.db import db
    from service.imports import paper
    from service.jobs.imports.model import Options
    from service.jobs.imports.pipeline import run_import

    boss = make_user("zhou", "director")
    case = lifecycle.open_case(worker=make_user("chen", "worker"), client_name="王建国")
    db.session.commit()
    folder = tmp_path / "upload"
    folder.mkdir()
    _handfilled_c(case.number, folder / "visit.jpg")
    kept = tmp_path / "readings"
    checked = run_import([folder], Options(dry_run=True, by=boss, readings=kept))
    [dry] = checked.as_dict()["files"]
    checked.close()
    assert len(list(kept.glob("*.json"))) == 1

    def not_again(*args, **kwargs):
        raise AssertionError("the scan was read a second time")

    monkeypatch.setattr(paper, "read_scan", not_again)
    done = run_import([folder], Options(by=boss, readings=kept, enqueue=lambda _: None))
    [entry] = done.as_dict()["files"]
    done.close()
    assert entry["status"] == dry["status"] == "needs_review"
    assert entry["fields"] == dry["fields"] and entry["pages"] == [1]
    imported = db.session.scalars(db.select(ImportedFile)).one()
    assert imported.case_id == case.id and imported.annex == "C"
    assert {f["field"] for f in imported.fields if f.get("cell")} >= {"interviewee", "record"}
