"""The service report (8.2) queued from the statistics page: Word and PDF/A made by the queue
(inline: HUEY_IMMEDIATE) with real LibreOffice, downloaded by those who read the figures,
refused to workers, and filed in the archive as a 件 of the year's service-report file."""

from __future__ import annotations

import io
import json
import re
import subprocess
from pathlib import Path

import pikepdf
import pytest
from docx import Document as WordDocument

from tests.conftest import csrf_token, login

from .test_reports import known  # noqa: F401 - the fixture: cases countable by hand

pytestmark = pytest.mark.office

SPAN = "from=2024-04-01&to=2024-06-30"


def _pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def _queue(client, lang: str = "zh") -> int:
    token = csrf_token(client, f"/statistics?{SPAN}")
    queued = client.post(f"/statistics/reports?{SPAN}", data={"csrf_token": token,
                                                              "lang": lang})
    assert queued.status_code == 302, queued.status_code
    return int(re.search(r"/statistics/reports/(\d+)$", queued.headers["Location"]).group(1))


def test_the_report_is_queued_made_downloaded_and_filed(app, known, make_user,  # noqa: F811
                                                        tmp_path) -> None:
    from service.cases.archival import ArchiveFile, ServiceReport
    from service.db import db

    director = make_user("wu", "director")
    client = app.test_client()
    login(client, director)
    page = client.get(f"/statistics?{SPAN}").get_data(as_text=True)
    assert 'action="/statistics/reports?' in page
    report_id = _queue(client)
    shown = client.get(f"/statistics/reports/{report_id}").get_data(as_text=True)
    db.session.expire_all()
    report = db.session.get(ServiceReport, report_id)
    assert report.state == "ready", report.error
    assert f"/statistics/reports/{report_id}/report.pdf" in shown
    assert "· 中文</h1>" in shown  # the language by its name, not its code
    listed = client.get(f"/statistics?{SPAN}").get_data(as_text=True)
    assert "<td>中文</td>" in listed and "<td>zh</td>" not in listed
    work = Path(app.config["WORK_ROOT"])

    # the Word copy: the whole agency's figures, small counts suppressed, no worker named
    word = WordDocument(str(work / report.docx_path))
    rows = {r.cells[2].text: r.cells[1].text for r in word.tables[0].rows[1:]}
    assert rows["cases_new"] == "<5" and rows["goal_achievement_rate"] == "40.0%"
    assert "chen" not in "\n".join(p.text for p in word.paragraphs)
    # the PDF/A copy, converted from it
    pdf = (work / report.pdf_path).read_bytes()
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        meta = opened.open_metadata()
        assert meta["pdfaid:part"] == "2" and meta["pdfaid:conformance"] == "B"
    assert "信访社会工作服务报告" in _pdf_text(pdf, tmp_path)

    # downloaded by the director with the export mark
    got = client.get(f"/statistics/reports/{report_id}/report.pdf")
    assert got.status_code == 200
    text = _pdf_text(got.data, tmp_path)
    assert "Exported by wu" in text and "<5" in text and "40.0%" in text

    # refused to a worker: the page, the copies and the queueing
    worker = app.test_client()
    login(worker, known["chen"])
    for url in (f"/statistics/reports/{report_id}", f"/statistics/reports/{report_id}/report.pdf",
                f"/statistics/reports/{report_id}/report.docx"):
        assert worker.get(url).status_code in (403, 404), url
    token = csrf_token(worker, "/cases")
    refused = worker.post(f"/statistics/reports?{SPAN}", data={"csrf_token": token, "lang": "zh"})
    assert refused.status_code in (403, 404)
    assert db.session.query(ServiceReport).count() == 1

    # filed: an agency-level file of 2024 in the 服务报告 class, the report as its 件 1
    record = db.session.get(ArchiveFile, report.file_id)
    assert record.case_id is None and record.year == 2024 and record.category == "服务报告"
    assert record.dang_hao == "X001-WS·2024-D30-BG-0001"
    assert record.folder == "X001/2024/定期30年/服务报告/X001-WS.2024-D30-BG-0001"
    folder = Path(app.config["ARCHIVE_ROOT"]) / record.folder
    first = {i.format: i for i in record.items if i.role == "document"}
    assert set(first) == {"pdf", "docx"} and report.item_no == 1
    assert (folder / first["pdf"].filename).read_bytes() == pdf
    assert first["pdf"].title.startswith("信访社会工作服务报告（2024-04-01至2024-06-30")
    verify = app.test_cli_runner().invoke(args=["archive", "verify"])
    assert verify.exit_code == 0, verify.output

    # the same period again (in English): a new 件 beside the first, which is left as it was
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.name != "manifest.json"}
    second_id = _queue(client, "en")
    db.session.expire_all()
    second = db.session.get(ServiceReport, second_id)
    assert second.state == "ready" and second.file_id == record.id and second.item_no == 2
    for name, data in before.items():
        assert (folder / name).read_bytes() == data, name
    manifest = json.loads((folder / "manifest.json").read_text())
    numbers = {i["item_no"] for i in manifest["items"] if i["role"] == "document"}
    assert numbers == {1, 2}
    assert db.session.query(ArchiveFile).filter(ArchiveFile.case_id.is_(None)).count() == 1
    verify = app.test_cli_runner().invoke(args=["archive", "verify"])
    assert verify.exit_code == 0, verify.output


def test_a_report_whose_filing_failed_is_filed_by_the_periodic_catch_up(app, known,  # noqa: F811
                                                                        monkeypatch) -> None:
    from service.cases.archival import ServiceReport
    from service.db import db
    from service.jobs.archive import filing
    from service.jobs.reports import catch_up, queue_service_report
    from service.reports.period import between

    def broken(_report):
        raise OSError("the archive volume is not mounted")

    with monkeypatch.context() as patched:
        patched.setattr(filing, "file_report", broken)
        report = queue_service_report(between("2024-04-01", "2024-06-30"), "zh", None)
        db.session.commit()
    assert report.state == "ready" and report.file_id is None
    assert catch_up() == (0, 1)
    db.session.expire_all()
    report = db.session.get(ServiceReport, report.id)
    assert report.file_id is not None and report.item_no == 1
    assert catch_up() == (0, 0)
    verify = app.test_cli_runner().invoke(args=["archive", "verify"])
    assert verify.exit_code == 0, verify.output
