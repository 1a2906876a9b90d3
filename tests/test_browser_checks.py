"""An importer checks, in real headless Chromium, a legacy form read with an unsure value: the
unsure value first with its reason and the original text marked, the form corrected beside it
and submitted."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from service.cases.imported import ImportedFile
from service.cases.models import Case
from service.db import db
from service.jobs.imports.model import Options
from service.jobs.imports.pipeline import run_import
from tests.browser import sign_in
from tests.imports_legacy import make_table_docx
from tests.test_imports_checks import ROWS

pytestmark = [pytest.mark.browser]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_unsure_value_is_checked_beside_its_text(app, live_server, tablet, make_user,
                                                    tmp_path: Path) -> None:
    director = make_user("director3", "director")
    (tmp_path / "old" / "张三").mkdir(parents=True)
    (tmp_path / "old" / "张三" / "接案表.docx").write_bytes(
        make_table_docx("信访社会工作服务接案表", ROWS))
    run_import([tmp_path / "old"], Options(by=director, enqueue=lambda _: None)).close()
    imported = db.session.scalar(select(ImportedFile))
    assert imported.needs_review and imported.version_id is None

    page = tablet.new_page()
    sign_in(page, live_server.url, "director3")
    page.goto(f"{live_server.url}/imports/")
    page.locator("#waiting a.button").click()
    page.wait_for_url(f"**/imports/check/{imported.id}")
    first = page.locator("#evidence tbody tr").first
    assert first.get_attribute("data-field") == "education"
    assert "小学、初中" in first.locator(".reason").inner_text()
    assert first.locator("mark").count() == 1
    married = page.locator("#evidence tr[data-field=marital_status]")
    assert married.locator("mark").inner_text() == "已婚"
    assert married.locator(".check-flag").count() == 0

    page.locator("label.box-option", has_text="初中").click()
    page.click("#submit-check")
    page.wait_for_url(f"**/cases/{imported.case_id}")
    db.session.expire_all()
    checked = db.session.get(ImportedFile, imported.id)
    assert not checked.needs_review and checked.reviewed_by_id == director.id
    version = db.session.get(Case, checked.case_id).forms_of("B")[0].current
    assert version.data["education"] == "初中" and version.data["marital_status"] == "已婚"
