"""A legacy form with an unsure value is never filed as if certain: it waits as a draft for a
person, who sees every value beside the text it came from and submits the form corrected;
on SQLite and PostgreSQL, through the pages."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from service.annexes import ANNEXES
from service.cases.imported import ImportedFile
from service.cases.models import Case, FormRecord, FormVersion, Original
from service.db import db
from service.forms.builder import to_formdata
from service.jobs.imports.model import Options
from service.jobs.imports.pipeline import run_import
from tests.conftest import csrf_token, login
from tests.imports_legacy import make_table_docx

#: An intake whose education row has two ticks (unsure) and a tick written after its option.
ROWS = [["初次接触日期", "2023年5月8日", "负责社工", "陈晓敏"],
        ["个案来源", "☑案主主动咨询 ☐社工探访/接访（请注明）： ☐转介人/单位（请注明）："],
        ["信访诉求及要求", "要求解决拆迁补偿问题"],
        ["案主姓名*", "张三", "性别", "男"],
        ["婚姻状况", "未婚   已婚 √   离异   丧偶"],
        ["教育程度", "☐文盲 ☑小学 ☑初中 ☐高中/中专"]]
SURE = [["案主姓名", "李四", "性别", "女"] if r[0] == "案主姓名*" else r
        for r in ROWS if r[0] != "教育程度"]


@pytest.fixture
def supervisor(make_user):
    return make_user("sup", "supervisor")


def _import(folder: Path, files: dict[str, bytes], by, queued: list[int]) -> dict[str, str]:
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    report = run_import([folder], Options(by=by, enqueue=queued.append))
    try:
        return {e["file"]: e["status"] for e in report.entries()}
    finally:
        report.close()


def _imported(name: str) -> ImportedFile:
    db.session.expire_all()
    return db.session.scalars(select(ImportedFile).join(
        Original, Original.id == ImportedFile.original_id).where(
        Original.filename.endswith(name))).one()


def test_an_unsure_form_waits_for_a_person_and_a_sure_one_is_filed(app, client, supervisor,
                                                                   tmp_path):
    queued: list[int] = []
    entries = _import(tmp_path / "legacy", {
        "张三/接案表.docx": make_table_docx("信访社会工作服务接案表", ROWS),
        "李四/接案表.docx": make_table_docx("信访社会工作服务接案表", SURE),
    }, supervisor, queued)
    assert entries == {"legacy/张三/接案表.docx": "needs_review",
                       "legacy/李四/接案表.docx": "imported"}
    zhang = _imported("张三/接案表.docx")
    li = _imported("李四/接案表.docx")
    assert zhang.needs_review and not li.needs_review
    assert zhang.version_id is None and li.version_id is not None
    assert queued == [li.version_id]  # no copies of what is not certain
    record = db.session.get(FormRecord, zhang.form_id)
    assert record.case_id == zhang.case_id and record.annex == "B", (zhang.form_id, li.form_id)
    assert record.state == "draft" and not record.versions
    assert record.draft["marital_status"] == "已婚" and not record.draft.get("education")
    [education] = [f for f in zhang.fields if f["field"] == "education"]
    assert education["flagged"] and "小学、初中" in education["reason"]

    login(client, supervisor)
    listed = client.get("/imports/").get_data(as_text=True)
    url = f"/imports/check/{zhang.id}"
    assert url in listed
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-field="education"' in html and "table 1, row 6, cell 2" in html
    assert html.index('data-field="education"') < html.index('data-field="client_name"')
    assert "<mark>已婚</mark>" in html  # where the value was read, marked in the original

    data = dict(record.draft)
    data["education"] = "初中"
    fields = MultiDict(to_formdata(ANNEXES["B"], data))
    token = uuid.uuid4().hex
    fields.update({"csrf_token": csrf_token(client, url), "annex": "B",
                   "submission_token": token})
    done = client.post(f"/imports/review/{zhang.id}", data=fields)
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    checked = _imported("张三/接案表.docx")
    assert not checked.needs_review and checked.version_id is not None
    version = db.session.get(FormVersion, checked.version_id)
    assert version.data["education"] == "初中" and version.submission_token == token
    case = db.session.get(Case, checked.case_id)
    assert case.client_name == "张三"
    assert client.get(url).status_code == 302  # checked: back to the case


def test_others_cannot_open_the_check(app, client, make_user, supervisor, tmp_path):
    _import(tmp_path / "legacy", {
        "张三/接案表.docx": make_table_docx("信访社会工作服务接案表", ROWS)}, supervisor, [])
    zhang = _imported("张三/接案表.docx")
    login(client, make_user("w", "worker"))
    assert client.get(f"/imports/check/{zhang.id}").status_code in (403, 404)
