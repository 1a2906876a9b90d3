"""An importer uploads a ZIP of legacy forms in real headless Chromium, reads the dry-run
table, maps an unrecognised label, confirms, waits for the import and downloads the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from service.cases.models import Case
from service.db import db
from tests.browser import sign_in
from tests.test_imports_web import legacy_zip

pytestmark = [pytest.mark.browser, pytest.mark.office]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_upload_review_map_and_confirm(app, live_server, tablet, make_user,
                                       tmp_path: Path) -> None:
    make_user("director1", "director")
    upload = tmp_path / "legacy.zip"
    upload.write_bytes(legacy_zip())
    page = tablet.new_page()
    sign_in(page, live_server.url, "director1")

    page.goto(f"{live_server.url}/imports/")
    page.set_input_files("#archive", str(upload))
    page.click("#check")
    page.wait_for_url("**/imports/*")
    assert page.locator("#dry-run-note").is_visible()
    rows = page.locator("#report tbody tr")
    assert rows.count() == 3
    statuses = sorted(rows.nth(i).locator(".status").get_attribute("data-status")
                      for i in range(3))
    assert statuses == ["error", "needs_review", "would_import"]
    # the page's own words in the reader's language, the report's codes kept for programs
    shown = sorted(rows.nth(i).locator(".status").inner_text() for i in range(3))
    assert shown == sorted(["待核对", "将导入", "错误"])
    assert page.inner_text("#summary").split() == ["将导入：1", "待核对：1", "错误：1"]
    assert page.locator("#report td.case", has_text="新个案 1").count() == 2
    assert page.inner_text("ul.groups") == "文件夹 upload.zip/张三：2"
    intake = page.locator("#report tbody tr", has_text="接案表.docx")
    assert "label not recognised: 籍贯" in intake.locator(".warnings").inner_text()
    assert db.session.scalar(select(Case)) is None

    page.select_option("select[name='map:B:籍贯']", "address")
    page.click("#apply-mapping")
    page.wait_for_load_state()
    intake = page.locator("#report tbody tr", has_text="接案表.docx")
    assert "籍贯" not in intake.locator(".warnings").inner_text()

    page.click("#confirm")
    page.wait_for_selector("#import-done", timeout=120_000)
    assert "已导入：1" in page.locator("#summary").inner_text()
    case_number = page.locator("#report tbody tr", has_text="接案表.docx").locator(
        ".case").inner_text()
    with page.expect_download() as info:
        page.click("#download-report")
    report = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    intake = next(e for e in report["files"] if e["file"].endswith("接案表.docx"))
    assert intake["status"] == "imported" and intake["case"] == case_number
    assert intake["data"]["address"] == "广东梅州"
    db.session.expire_all()
    case = db.session.scalar(select(Case).where(Case.number == case_number))
    assert case.client_name == "张三"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_scan_is_typed_beside_its_picture_and_submitted(app, live_server, tablet, make_user,
                                                          tmp_path: Path) -> None:
    from service.cases.imported import ImportedFile
    from service.jobs.imports.model import Options
    from service.jobs.imports.pipeline import run_import
    from tests.browser import draw_signature
    from tests.test_imports_review import PAGE_COLOURS, _image_pdf

    director = make_user("director2", "director")
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "纸质接案表.pdf").write_bytes(_image_pdf(PAGE_COLOURS))
    run_import([tmp_path / "old"], Options(by=director)).close()
    scan = db.session.scalar(select(ImportedFile))
    assert scan.needs_review

    page = tablet.new_page()
    sign_in(page, live_server.url, "director2")
    page.goto(f"{live_server.url}/imports/")
    page.locator("#waiting a.button").click()
    page.wait_for_url(f"**/imports/review/{scan.id}")
    page.wait_for_function("() => { const s = [...document.querySelectorAll('#scan img')];"
                           " return s.length === 2 && s.every(i => i.complete"
                           " && i.naturalWidth > 200); }")
    assert page.locator("#choose-B").get_attribute("aria-current") == "page"

    page.fill("[name=first_contact_date]", "2019-04-02")
    page.locator("label.box-option", has_text="社工探访/接访").click()
    page.fill("[name=case_source_visit]", "街道综治中心")
    page.fill("[name=petition_demands]", "要求补发拆迁补偿款")
    page.fill("[name=client_name]", "赵桂兰")
    page.fill("[name=birth_month]", "1958-11")
    page.fill("[name=worker]", "陈晓敏")
    draw_signature(page, "td[data-field=worker_signature] canvas")
    page.fill("[name='worker_signature.date']", "2019-04-02")
    page.click("#submit-review")
    page.wait_for_url(f"**/cases/{scan.case_id}")
    assert page.locator("#needs-review").count() == 0
    assert page.locator("#originals a", has_text="纸质接案表.pdf").is_visible()
    assert "赵桂兰" in page.locator("h1").inner_text()

    db.session.expire_all()
    scan = db.session.get(ImportedFile, scan.id)
    assert not scan.needs_review and scan.reviewed_by_id == director.id
    case = db.session.get(Case, scan.case_id)
    version = case.forms_of("B")[0].current
    assert version.id == scan.version_id and version.data["client_name"] == "赵桂兰"
    assert version.data["petition_demands"] == "要求补发拆迁补偿款"
