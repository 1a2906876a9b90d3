"""The import pages: upload a ZIP, the dry-run table, the label mapping, confirm, report."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from sqlalchemy import select

from service.cases.models import Case
from service.db import db
from tests.conftest import login
from tests.imports_legacy import INTAKE_ROWS, make_table_docx


def legacy_zip() -> bytes:
    """A ZIP with a Word intake form carrying an unknown label, a scan and a broken file."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("张三/接案表.docx", make_table_docx("信访社会工作服务接案表",
                                                    INTAKE_ROWS + [["籍贯", "广东梅州"]]))
        z.writestr("张三/扫描.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
        z.writestr("坏.docx", b"PK\x03\x04 broken")
    return out.getvalue()


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


def test_only_importers_may_open_the_import_pages(app, client, make_user):
    login(client, make_user("worker1", "worker"))
    assert client.get("/imports/").status_code == 403


@pytest.mark.office
def test_upload_check_map_confirm_and_download(app, client, make_user):
    user = make_user("sup", "supervisor")
    login(client, user)
    page = client.get("/imports/").get_data(as_text=True)
    response = client.post("/imports/", data={
        "csrf_token": _csrf(page), "archive": (io.BytesIO(legacy_zip()), "legacy.zip")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "would_import" in page and "needs_review" in page and "error" in page
    assert "籍贯" in page
    assert db.session.scalar(select(Case)) is None  # the dry run stored nothing
    run_url = response.headers["Location"]
    response = client.post(f"{run_url}/mapping", data={"csrf_token": _csrf(page),
                                                       "map:B:籍贯": "address"})
    assert response.status_code == 302
    page = client.get(run_url).get_data(as_text=True)
    report = json.loads(client.get(f"{run_url}/report.json").get_data(as_text=True))
    intake = next(e for e in report["files"] if e["file"].endswith("接案表.docx"))
    assert intake["data"]["address"] == "广东梅州"
    assert not [w for w in intake["warnings"] if "籍贯" in w]
    response = client.post(f"{run_url}/confirm", data={"csrf_token": _csrf(page)})
    assert response.status_code == 302
    progress = client.get(f"{run_url}.json").get_json()
    assert progress["state"] == "done"
    assert progress["summary"]["imported"] == 1 and progress["summary"]["error"] == 1
    case = db.session.scalar(select(Case).where(Case.client_name == "张三"))
    assert case is not None and case.forms_of("B")[0].current.data["address"] == "广东梅州"
    other = make_user("other", "supervisor")
    client.post("/logout", data={"csrf_token": _csrf(client.get(run_url).get_data(as_text=True))})
    login(client, other)
    assert client.get(run_url).status_code == 404


def test_the_import_page_shows_the_page_of_a_scan_being_read(app, client, make_user):
    from service.cases.imported import ImportRun, RunState

    user = make_user("sup", "supervisor")
    run = ImportRun(created_by_id=user.id, upload_name="paper.zip", state=RunState.CHECKING,
                    done=2, total=8, step={"file": "扫描/接案表.pdf", "page": 3, "pages": 12})
    db.session.add(run)
    db.session.commit()
    login(client, user)
    page = client.get(f"/imports/{run.id}").get_data(as_text=True)
    assert "扫描/接案表.pdf：正在读第 3 页，共 12 页" in page
    assert 'value="2.25" max="8"' in page  # two files read and a quarter of the third
    assert client.get(f"/imports/{run.id}.json").get_json()["step"]["page"] == 3
