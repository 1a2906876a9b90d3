"""The satisfaction survey's Word and PDF/A copies, made by the queue (inline: HUEY_IMMEDIATE)
with real LibreOffice, downloaded from the case page and filed with the case in the archive."""

from __future__ import annotations

import io
import json
import subprocess
from datetime import date
from pathlib import Path

import pikepdf
import pytest
from docx import Document as WordDocument

from tests.conftest import csrf_token, login

from .test_archive_flow import _closed_case

pytestmark = pytest.mark.office

ANSWERS = {"respondent": "petitioner", "attitude": "5", "timeliness": "2", "help": "3",
           "overall": "4", "comment": "社工很耐心 <谢谢> & {{ 再见 }}", "filled_on": "2024-07-02"}


def _pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "survey.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def _ticked_columns(table) -> dict[str, int]:
    """For each row whose first cell is an item's text: the 1-based column of its ☑."""
    found = {}
    for row in table.rows:
        distinct: list = []  # a spanning cell repeats in python-docx: keep each one once
        for cell in row.cells:
            if not distinct or cell._tc is not distinct[-1]._tc:
                distinct.append(cell)
        marks = [c.text for c in distinct[1:]]
        if len(marks) == 5 and set(marks) <= {"☑", "☐"}:
            found[distinct[0].text] = marks.index("☑") + 1
    return found


def test_a_survey_gets_word_and_pdfa_copies_filed_with_its_archived_case(
        app, make_user, client, login_as, tmp_path) -> None:
    from service.cases.archival import ArchiveFile
    from service.cases.evaluation import SatisfactionSurvey
    from service.cases.models import DocumentState
    from service.db import db
    from service.evaluation import survey
    from service.jobs.archive.lookup import archived

    worker = make_user("chen", "worker")
    case = _closed_case(app, worker)
    record = archived(case)
    assert isinstance(record, ArchiveFile)
    pages_before = record.pages
    login_as(worker)
    page = f"/cases/{case.id}/evaluation"
    client.post(f"/cases/{case.id}/surveys", data={"csrf_token": csrf_token(client, page),
                                                   **ANSWERS})
    db.session.expire_all()
    entry = db.session.query(SatisfactionSurvey).one()
    docs = {d.format: d for d in entry.documents}
    assert {f: d.state for f, d in docs.items()} == {"docx": DocumentState.READY,
                                                     "pdf": DocumentState.READY}, \
        {f: d.error for f, d in docs.items()}
    work = Path(app.config["WORK_ROOT"])

    # the Word copy: every label of the declaration, and the petitioner's answers
    word = WordDocument(str(work / docs["docx"].path))
    text = "\n".join([p.text for p in word.paragraphs]
                     + [c.text for t in word.tables for r in t.rows for c in r.cells])
    for label in (survey.TITLE, survey.CASE_LABEL, survey.DATE_LABEL, survey.RESPONDENT_LABEL,
                  survey.ITEM_LABEL, survey.COMMENT.text, *survey.POINTS,
                  *survey.RESPONDENTS.values(), *(i.text for i in survey.ITEMS)):
        assert label in text, label
    assert case.number in text and "2024年7月2日" in text
    assert ANSWERS["comment"] in text  # escaped into the XML, read back as typed
    assert "☑" + survey.RESPONDENTS["petitioner"] in text
    assert "☐" + survey.RESPONDENTS["phone"] in text
    ticked = _ticked_columns(word.tables[0])
    assert ticked == {i.text: int(ANSWERS[i.key]) for i in survey.ITEMS}

    # the PDF/A copy: PDF/A-2b, titled from the declaration, the answers laid out
    pdf = (work / docs["pdf"].path).read_bytes()
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        meta = opened.open_metadata()
        assert meta["pdfaid:part"] == "2" and meta["pdfaid:conformance"] == "B"
        assert meta["dc:title"] == survey.TITLE
    laid_out = _pdf_text(pdf, tmp_path).replace(" ", "")
    assert survey.TITLE in laid_out and "社工很耐心" in laid_out

    # filed with the case: the next 件 after the annex forms, in the manifest, verified
    db.session.expire_all()
    record = archived(case)
    filed = [i for i in record.items if i.survey_id == entry.id]
    assert sorted(i.format for i in filed) == ["docx", "pdf"]
    assert {i.item_no for i in filed} == {5}  # B, C, C, D are 1 to 4
    assert all(i.title.startswith(survey.TITLE) and i.item_date == "2024-07-02" for i in filed)
    folder = Path(app.config["ARCHIVE_ROOT"]) / record.folder
    for item in filed:
        assert (folder / item.filename).read_bytes() == (
            work / docs[item.format].path).read_bytes()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert {i["file"] for i in manifest["items"]} >= {i.filename for i in filed}
    assert record.pages == pages_before + docs["pdf"].pages  # the contents list it
    contents = record.current_items("contents")
    assert survey.TITLE in _pdf_text((folder / contents[0].filename).read_bytes(), tmp_path)
    verified = app.test_cli_runner().invoke(args=["archive", "verify"])
    assert verified.exit_code == 0, verified.output

    # downloaded from the case page with the export mark; refused to one who cannot see it
    shown = client.get(f"/cases/{case.id}").get_data(as_text=True)
    url = f"/cases/{case.id}/surveys/{entry.id}/copy.pdf"
    assert url in shown
    got = client.get(url)
    assert got.status_code == 200
    assert "Exported by chen" in _pdf_text(got.data, tmp_path)
    assert client.get(f"/cases/{case.id}/surveys/{entry.id}/copy.docx").status_code == 200
    assert client.get(f"/cases/{case.id}/surveys/{entry.id}/copy.odt").status_code == 404
    other = app.test_client()
    login(other, make_user("wang", "worker"))
    assert other.get(url).status_code == 404


def test_a_survey_made_before_the_case_is_filed_goes_in_with_it(app, make_user) -> None:
    from service.cases.evaluation import SatisfactionSurvey
    from service.db import db
    from service.jobs.archive.lookup import archived
    from service.jobs.surveys import enqueue_survey_documents

    worker = make_user("chen", "worker")
    case = _closed_case(app, worker, sessions=1, file=False)
    assert archived(case) is None
    entry = SatisfactionSurvey(case_id=case.id, filled_on=date(2024, 6, 20), respondent="phone",
                               attitude=4, timeliness=4, help=4, overall=5, comment="")
    db.session.add(entry)
    db.session.flush()
    enqueue_survey_documents(entry.id)  # its copies ready: the closed case is filed with it
    db.session.commit()
    record = archived(case)
    assert record is not None
    by_no = {i.item_no: i.annex for i in record.items if i.role == "document"}
    assert by_no == {1: "B", 2: "C", 3: "D", 4: "S"}
    verified = app.test_cli_runner().invoke(args=["archive", "verify"])
    assert verified.exit_code == 0, verified.output


def test_a_survey_whose_filing_failed_is_filed_by_the_periodic_catch_up(app, make_user,
                                                                        monkeypatch) -> None:
    from service.cases.evaluation import SatisfactionSurvey
    from service.db import db
    from service.jobs.archive import filing
    from service.jobs.archive.lookup import archived
    from service.jobs.surveys import catch_up, enqueue_survey_documents

    worker = make_user("chen", "worker")
    case = _closed_case(app, worker, sessions=1)
    entry = SatisfactionSurvey(case_id=case.id, filled_on=date(2024, 8, 1), respondent="phone",
                               attitude=3, timeliness=3, help=3, overall=3, comment="")
    db.session.add(entry)
    db.session.flush()

    def broken(_record):
        raise OSError("the archive volume is not mounted")

    with monkeypatch.context() as patched:
        patched.setattr(filing, "file_surveys", broken)
        enqueue_survey_documents(entry.id)
        db.session.commit()
    assert all(d.state == "ready" for d in entry.documents)  # the copies are kept
    assert not [i for i in archived(case).items if i.survey_id == entry.id]
    assert catch_up() == (0, 1)
    db.session.expire_all()
    assert {i.item_no for i in archived(case).items if i.survey_id == entry.id} == {4}
    assert catch_up() == (0, 0)  # filed once
    verified = app.test_cli_runner().invoke(args=["archive", "verify"])
    assert verified.exit_code == 0, verified.output
