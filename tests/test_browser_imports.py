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
    statuses = sorted(rows.nth(i).locator(".status").inner_text() for i in range(3))
    assert statuses == ["error", "needs_review", "would_import"]
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
    assert "imported: 1" in page.locator("#summary").inner_text()
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
