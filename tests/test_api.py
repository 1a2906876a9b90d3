"""The JSON API as an integrator uses it: the OpenAPI document, problem+json errors, cases,
tokens (the workflow operations on forms are tested in test_api_workflow.py)."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

PROBLEM = "application/problem+json"


def _operations(document: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    return {op["operationId"]: (path, method, op)
            for path, item in document["paths"].items() for method, op in item.items()}


def test_openapi_keeps_every_method_of_a_path(client) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    assert set(document["paths"]["/api/v1/cases"]) == {"get", "post"}
    operations = _operations(document)
    assert operations["listCases"][:2] == ("/api/v1/cases", "get")
    assert operations["createCase"][:2] == ("/api/v1/cases", "post")
    assert operations["revokeToken"][:2] == ("/api/v1/tokens/current", "delete")
    for name, (_path, _method, op) in operations.items():
        if "requestBody" in op:
            assert all(c["example"] for c in op["requestBody"]["content"].values()), name
        ok = [code for code in op["responses"] if code.startswith("2")]
        assert ok, name
        for code, response in op["responses"].items():
            if not code.startswith("2"):
                assert PROBLEM in response["content"], (name, code)
    assert "Problem" in document["components"]["schemas"]


def test_openapi_lists_the_nul_refusal_every_call_may_get(client, bearer) -> None:
    operations = _operations(client.get("/api/v1/openapi.json").get_json())
    for name, (_path, _method, op) in operations.items():
        assert "U+0000" in op["responses"]["422"]["description"], name
    createcase = operations["createCase"][2]["responses"]["422"]["description"]
    assert createcase.startswith("The data does not pass the checks")
    for url, headers in (("/api/v1/openapi.json?q=a%00b", {}),
                         ("/api/v1/cases?q=a%00b", bearer("chen", "worker"))):
        answer = client.get(url, headers=headers)
        assert answer.status_code == 422 and answer.mimetype == PROBLEM, url
        title = answer.get_json()["title"]
        assert "U+0000" in title and title.endswith("q"), url


def test_errors_are_problem_documents(client, bearer) -> None:
    headers = bearer("chen", "worker")
    missing_token = client.get("/api/v1/cases")
    assert missing_token.status_code == 401 and missing_token.mimetype == PROBLEM
    assert missing_token.get_json()["status"] == 401
    assert missing_token.headers["WWW-Authenticate"].startswith("Bearer")
    for url in ("/api/v1/cases/999999", "/api/v1/no-such-thing"):
        answer = client.get(url, headers=headers)
        assert answer.status_code == 404 and answer.mimetype == PROBLEM, url
        assert answer.get_json()["title"]
    wrong_method = client.patch("/api/v1/cases", headers=headers)
    assert wrong_method.status_code == 405 and wrong_method.mimetype == PROBLEM
    bad_page = client.get("/api/v1/cases?limit=ten", headers=headers)
    assert bad_page.status_code == 400
    assert bad_page.get_json()["errors"][0]["field"] == "limit"


def test_problem_titles_follow_the_callers_language(client, bearer) -> None:
    headers = bearer("chen", "worker")
    chinese = client.get("/api/v1/cases/999999",
                         headers={**headers, "Accept-Language": "zh-CN"}).get_json()
    english = client.get("/api/v1/cases/999999",
                         headers={**headers, "Accept-Language": "en"}).get_json()
    assert chinese["title"] != english["title"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese["title"])


def test_a_worker_opens_a_case_and_reads_it_back(client, bearer) -> None:
    headers = bearer("chen", "worker")
    example = _operations(client.get("/api/v1/openapi.json").get_json())["createCase"][2]
    body = example["requestBody"]["content"]["application/json"]["example"]
    created = client.post("/api/v1/cases", json=body, headers=headers)
    assert created.status_code == 201, created.get_data(as_text=True)
    case = created.get_json()
    assert case["number"].startswith("XF-") and case["client_name"] == "王建国"
    assert case["opened_on"] == body["opened_on"]
    read = client.get(created.headers["Location"], headers=headers)
    assert read.status_code == 200 and read.get_json()["number"] == case["number"]
    listed = client.get("/api/v1/cases", headers=headers).get_json()["items"]
    assert [c["id"] for c in listed] == [case["id"]]


def test_create_case_names_each_field_at_fault_and_writes_nothing(client, bearer) -> None:
    headers = bearer("chen", "worker")
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    refused = client.post("/api/v1/cases", headers=headers,
                          json={"client_name": "王建国", "opened_on": tomorrow, "colour": 1})
    assert refused.status_code == 422 and refused.mimetype == PROBLEM
    assert {e["field"] for e in refused.get_json()["errors"]} == {"opened_on", "colour"}
    not_json = client.post("/api/v1/cases", headers=headers, data="x",
                           content_type="text/plain")
    assert not_json.status_code == 400 and not_json.mimetype == PROBLEM
    assert client.get("/api/v1/cases", headers=headers).get_json()["items"] == []


def test_only_case_workers_open_cases(client, bearer) -> None:
    archivist = bearer("li", "archivist")
    refused = client.post("/api/v1/cases", headers=archivist, json={"client_name": "王建国"})
    assert refused.status_code == 403 and refused.mimetype == PROBLEM


def test_a_caller_revokes_its_own_token(app, client, bearer) -> None:
    from sqlalchemy import select

    from service.auth.models import AuditEntry
    from service.db import db

    headers = bearer("chen", "worker")
    other = bearer("chen2", "worker")
    assert client.delete("/api/v1/tokens/current", headers=headers).status_code == 204
    assert client.get("/api/v1/cases", headers=headers).status_code == 401
    assert client.delete("/api/v1/tokens/current", headers=headers).status_code == 401
    assert client.get("/api/v1/cases", headers=other).status_code == 200
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert "user.token_revoke" in actions


# --- importing files ------------------------------------------------------------------------

def _word_intake() -> bytes:
    from tests.imports_legacy import make_docx

    return make_docx("B")


def test_import_files_dry_runs_in_the_queue_then_imports_as_the_caller(client, bearer) -> None:
    from sqlalchemy import select

    from service.cases.models import Case
    from service.db import db

    headers = bearer("sup", "supervisor")
    queued = client.post("/api/v1/imports", headers=headers, data={
        "files": [(io.BytesIO(_word_intake()), "接案表-王建国.docx")]},
        content_type="multipart/form-data")
    assert queued.status_code == 202, queued.get_data(as_text=True)
    run = client.get(queued.headers["Location"], headers=headers).get_json()
    assert run["state"] == "checked" and run["dry_run"] is True
    assert run["files"] == ["接案表-王建国.docx"]
    assert run["report"]["summary"]["would_import"] == 1
    assert db.session.scalar(select(Case)) is None  # a dry run writes nothing
    done = client.post("/api/v1/imports", headers=headers, data={
        "files": [(io.BytesIO(_word_intake()), "接案表-王建国.docx")], "dry_run": "false"},
        content_type="multipart/form-data")
    assert done.status_code == 202
    run = client.get(done.headers["Location"], headers=headers).get_json()
    assert run["state"] == "done" and run["dry_run"] is False
    assert run["report"]["summary"]["imported"] == 1
    case = db.session.scalar(select(Case))
    assert case is not None and case.client_name == "王建国"


def test_get_import_names_the_page_being_read(client, bearer) -> None:
    """A scan is read page by page: the run says which file and page, as the import page does."""
    from service.cases.imported import ImportRun, RunState
    from service.db import db

    headers = bearer("sup", "supervisor")
    queued = client.post("/api/v1/imports", headers=headers, data={
        "files": [(io.BytesIO(_word_intake()), "接案表-王建国.docx")]},
        content_type="multipart/form-data")
    run = db.session.get(ImportRun, queued.get_json()["id"])
    assert client.get(queued.headers["Location"], headers=headers).get_json()["step"] == {}
    run.state, run.done, run.total = RunState.CHECKING, 1, 3
    run.step = {"file": "扫描-2019.pdf", "page": 2, "pages": 4}
    db.session.commit()
    shown = client.get(queued.headers["Location"], headers=headers).get_json()
    assert shown["step"] == {"file": "扫描-2019.pdf", "page": 2, "pages": 4}
    assert shown["percent"] == 50  # one file done and half of the next: 1.5 of 3


def test_imports_are_their_callers_own(client, bearer) -> None:
    mine, theirs = bearer("sup", "supervisor"), bearer("sup2", "supervisor")
    queued = client.post("/api/v1/imports", headers=mine, data={
        "files": [(io.BytesIO(_word_intake()), "b.docx")]}, content_type="multipart/form-data")
    assert client.get(queued.headers["Location"], headers=theirs).status_code == 404
    worker = bearer("chen", "worker")
    refused = client.post("/api/v1/imports", headers=worker, data={
        "files": [(io.BytesIO(_word_intake()), "b.docx")]}, content_type="multipart/form-data")
    assert refused.status_code == 403 and refused.mimetype == PROBLEM


def test_import_files_names_what_is_missing(client, bearer) -> None:
    headers = bearer("sup", "supervisor")
    nothing = client.post("/api/v1/imports", headers=headers, data={},
                          content_type="multipart/form-data")
    assert nothing.status_code == 422
    assert nothing.get_json()["errors"][0]["field"] == "files"
    bad_switch = client.post("/api/v1/imports", headers=headers, data={
        "files": [(io.BytesIO(b"x"), "a.docx")], "dry_run": "maybe"},
        content_type="multipart/form-data")
    assert bad_switch.status_code == 422
    assert bad_switch.get_json()["errors"][0]["field"] == "dry_run"


def test_import_files_keeps_files_whatever_their_names(client, bearer) -> None:
    """A name longer than a file system allows (a long Chinese title runs past 255 bytes long
    before 255 characters) is shortened, its extension kept; control characters such as NUL,
    which no file name and no PostgreSQL text holds, are dropped. Both files are read and
    imported, where either had answered a 500."""
    from sqlalchemy import select

    from service.cases.models import Case, Original
    from service.db import db
    from tests.imports_legacy import expected, make_docx

    headers = bearer("sup", "supervisor")
    other = expected("B") | {"client_name": "李四"}
    files = [(io.BytesIO(_word_intake()), "接案表-" + "王建国" * 40 + ".docx"),
             (io.BytesIO(make_docx("B", other)), "接案表\x00-李四.docx")]
    queued = client.post("/api/v1/imports", headers=headers, data={
        "files": files, "dry_run": "false"}, content_type="multipart/form-data")
    assert queued.status_code == 202, queued.get_data(as_text=True)
    run = client.get(queued.headers["Location"], headers=headers).get_json()
    assert run["state"] == "done", run
    kept = run["files"]
    assert len(kept) == 2 and all(name.endswith(".docx") for name in kept)
    assert all(len(name.encode()) <= 255 and "\x00" not in name for name in kept)
    shortened = next(name for name in kept if name != "接案表-李四.docx")
    assert shortened.startswith("接案表-王建国王建国") and len(shortened.encode()) > 200
    assert run["report"]["summary"]["imported"] == 2
    assert sorted(db.session.scalars(select(Case.client_name))) == ["李四", "王建国"]
    for original in db.session.scalars(select(Original)):
        assert all(len(part.encode()) <= 255 for part in original.path.split("/"))
