"""Every role against every route and API call, downloads included.

The routes come from the application's URL map: a route this file does not classify fails the
test, so a new page cannot be added without saying who may reach it. For every route that
names an object (a case, an archived case file, a bundle request), someone who may not see the
object gets the same answer as for an object that does not exist (404 for a case, never 403),
and someone who may see it reaches it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import subprocess
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfWriter

from tests.conftest import login, statements

PASSWORD = "correct horse battery"
MISSING = 999_999
READERS = {"archivist", "director", "supervisor"}
IMPORTERS = {"admin", "director", "supervisor"}

# endpoint -> how it is reached. "public": no sign-in; "signed_in": any signed-in person;
# "token": the API; ("object", gate): names an object, and ``gate`` (roles or None) is the
# role check made before the object is looked up; "session": signing out.
ROUTES: dict[str, Any] = {
    "static": "public",
    "service_worker": "public",
    "favicon": "public",
    "auth.login": "public",
    "api.openapi": "public",
    "auth.logout": "session",
    "auth.change_password": "signed_in",
    "cases.home": "signed_in",
    "cases.index": "signed_in",
    "cases.open_new": "signed_in",
    "review.index": ("page", {"supervisor", "director"}),
    "cases.show": ("object", None),
    "cases.download": ("object", None),
    "cases.retry_document": ("object", None),
    "cases.add_form": ("object", None),
    "cases.edit_form": ("object", None),
    "cases.save_draft": ("object", None),
    "cases.save_chosen": ("object", None),
    "cases.compare": ("object", None),
    "cases.withdraw": ("object", None),
    "cases.show_version": ("object", None),
    "cases.update_profile": ("object", None),
    "evaluation.show": ("object", None),
    "evaluation.update": ("object", None),
    "evaluation.add_survey": ("object", None),
    "evaluation.survey_document": ("object", None),
    "evaluation.record_followup": ("object", None),
    "evaluation.followups": "signed_in",
    "statistics.index": ("page", {"supervisor", "director"}),
    "statistics.workbook": ("page", {"supervisor", "director"}),
    "statistics.report": ("page", {"supervisor", "director"}),
    "statistics.cases": ("page", {"supervisor", "director"}),
    "statistics.queue_report": ("page", {"supervisor", "director"}),
    "statistics.report_job": ("object", {"supervisor", "director"}),
    "statistics.report_copy": ("object", {"supervisor", "director"}),
    "paper.blank_form": ("object", None),
    "review.approve": ("object", None),
    "review.return_form": ("object", None),
    "review.reopen": ("object", None),
    "review.raise_flag": ("object", None),
    "review.handle_flag": ("object", None),
    "review.handover": ("object", None),
    "archive.index": ("page", READERS),
    "archive.show": ("object", READERS),
    "archive.download": ("object", READERS),
    "archive.bundle": ("object", READERS),
    "archive.batch": ("object", READERS),
    "archive.progress": ("object", READERS),
    "archive.progress_json": ("object", READERS),
    "archive.batch_file": ("object", READERS),
    "archive.retry_failure": ("object", READERS),
    "imports.index": ("page", IMPORTERS),
    "imports.upload": ("page", IMPORTERS),
    "imports.show": ("object", IMPORTERS),
    "imports.progress": ("object", IMPORTERS),
    "imports.report": ("object", IMPORTERS),
    "imports.mapping": ("object", IMPORTERS),
    "imports.confirm": ("object", IMPORTERS),
    "imports.review": ("object", None),
    "imports.check": ("object", IMPORTERS),
    "imports.submit_review": ("object", None),
    "imports.scan_page": ("object", None),
    "imports.original": ("object", None),
    "imports.bring_paper": ("object", None),
    "notices.index": "signed_in",
    "notices.read_all": "signed_in",
    "notices.read": ("object", None),
    "notices.report": ("object", None),
    "notices.resend": ("object", None),
    "admin.users": ("page", {"admin"}),
    "admin.edit_user": ("object", {"admin"}),
    "api.list_cases": "token",
    "api.flag_case": "token",
    "api.list_notifications": "token",
    "api.get_case": "token",
    "api.make_document": "token",
    "api.document_job": "token",
    "api.create_case": "token",
    "api.revoke_current_token": "token",
    "api.import_files": "token",
    "api.get_import": "token",
    "api.get_summary": "token",
    "api.create_form": "token",
    "api.get_form": "token",
    "api.save_draft": "token",
    "api.submit_form": "token",
    "api.review_form": "token",
}
#: Reached positively elsewhere (they run LibreOffice): here only their refusals are checked.
HEAVY = {"archive.bundle", "archive.batch", "archive.retry_failure", "imports.mapping",
         "imports.confirm", "statistics.queue_report"}

PEOPLE = {  # name: (roles, team)
    "w1": (("worker",), "T1"),
    "w2": (("worker",), "T1"),
    "w3": (("worker",), "T1"),
    "s1": (("supervisor",), "T1"),
    "s2": (("supervisor",), "T2"),
    "d1": (("director",), "T1"),
    "a1": (("archivist",), None),
    "ad": (("admin",), None),
}
#: Who may see what, written out by hand (not asked of the code under test).
SEES = {
    "open": {"w1", "w3", "s1", "d1"},  # w1's case; handed to w3 for follow-up
    "closed": {"w1", "s1", "d1", "a1"},  # w1's archived case
    "request": {"a1"},  # a1's bundle request
    "run": {"s1", "ad"},  # s1's import run (an administrator sees every run)
    "scan": {"w1", "w3", "s1", "d1"},  # a scan imported into the open case
    "notice": {"s1"},  # s1's notice of the open case's risk flag
    "person": {"ad"},  # w1's record in the administrator's pages
    "report": {"s1", "s2", "d1"},  # a service report: public figures, for whoever reads them
}


@pytest.fixture(autouse=True)
def quick_hashing(monkeypatch):
    """Argon2 with its cheapest parameters: these tests are about access, not hashing."""
    from argon2 import PasswordHasher

    from service.auth import users

    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@dataclass
class World:
    users: dict[str, Any]
    ids: dict[str, dict[str, Any]] = field(default_factory=dict)
    numbers: dict[str, str] = field(default_factory=dict)


def _pdf(path: Path, text_pages: int = 1) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = PdfWriter()
    for _ in range(text_pages):
        writer.add_blank_page(595, 842)
    buffer = io.BytesIO()
    writer.write(buffer)
    path.write_bytes(buffer.getvalue())


def _case_with_documents(app, worker, team, name: str, phone: str, tag: str) -> dict[str, Any]:
    from service.annexes.examples import example
    from service.auth.models import RiskFlag
    from service.cases import lifecycle, workflow
    from service.cases.evaluation import Followup, SatisfactionSurvey, SurveyDocument
    from service.cases.models import Document, DocumentState
    from service.db import db

    case = lifecycle.open_case(worker=worker, client_name=name, team=team)
    case.client_phone = phone
    original = _original(app, case, tag)
    record = lifecycle.new_form(case, "B", by=worker)
    data = example("B")
    data.update(client_name=name, phone=phone, director_approval={})
    version = workflow.submit(record, data, by=worker, then=lambda _v: None).version
    case.client_name, case.client_phone = name, phone
    relative = f"documents/{tag}/b-v1.pdf"
    _pdf(Path(app.config["WORK_ROOT"]) / relative)
    doc = Document(version=version, format="pdf", state=DocumentState.READY, path=relative,
                   size=1, sha256="0" * 64)
    db.session.add(doc)
    flag = RiskFlag(case_id=case.id, raised_by_id=worker.id, concern="自伤风险")
    db.session.add(flag)
    followup = Followup(case_id=case.id, due_on=date(2024, 7, 1), finding="", reopened=False)
    db.session.add(followup)
    answered = SatisfactionSurvey(case_id=case.id, filled_on=date(2024, 6, 1),
                                  respondent="petitioner", attitude=5, timeliness=5, help=5,
                                  overall=5, comment="")
    db.session.add(answered)
    survey_copy = f"documents/{tag}/s.pdf"
    _pdf(Path(app.config["WORK_ROOT"]) / survey_copy)
    db.session.add(SurveyDocument(survey=answered, format="pdf", state=DocumentState.READY,
                                  path=survey_copy, size=1, sha256="0" * 64))
    db.session.flush()
    return {"case": case, "case_id": case.id, "form_id": record.id, "doc_id": doc.id,
            "number": 1, "annex_code": "C", "flag_id": flag.id, "original_id": original.id,
            "followup_id": followup.id, "survey_id": answered.id, "fmt": "pdf"}


def _original(app, case, tag: str) -> Any:
    """A scan kept as an imported original of ``case``, waiting for review."""
    from service.annexes.schema import tiny_png
    from service.cases.imported import ImportedFile
    from service.cases.models import Original
    from service.db import db

    relative = f"cases/{tag}/originals/scan.png"
    path = Path(app.config["WORK_ROOT"]) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(tiny_png().split(",", 1)[1]))
    original = Original(case_id=case.id, filename="scan.png", sha256="a" * 64,
                        size=path.stat().st_size, path=relative)
    db.session.add(original)
    db.session.flush()
    db.session.add(ImportedFile(case_id=case.id, original_id=original.id, needs_review=True))
    db.session.flush()
    return original


@pytest.fixture
def world(app, make_user) -> World:
    from sqlalchemy import select

    from service.annexes.process import Stage
    from service.auth.models import HandoverKind, Role
    from service.auth.users import team_named
    from service.cases.access import hand_over
    from service.cases.archival import (
        ArchiveFile,
        ArchiveItem,
        BundleRequest,
        FilingFailure,
        ServiceReport,
    )
    from service.cases.imported import ImportedFile, ImportRun, RunState
    from service.cases.models import FormRecord
    from service.db import db
    from service.notify.models import NoticeKind, Notification

    teams = {name: team_named(name) for name in ("T1", "T2")}
    users = {}
    for name, (roles, team) in PEOPLE.items():
        users[name] = make_user(name, *roles, team_id=teams[team].id if team else None)
    w = World(users)
    w.ids["open"] = _case_with_documents(app, users["w1"], teams["T1"], "王建国", "13812345678",
                                         "open")
    hand_over(w.ids["open"]["case"], users["w3"], HandoverKind.FOLLOW_UP, by=users["s1"])
    w.ids["closed"] = _case_with_documents(app, users["w1"], teams["T1"], "李秀英",
                                           "13987654321", "closed")
    closed = w.ids["closed"]["case"]
    closed.stage = Stage.CLOSED
    folder = "2024/closed-case"
    filed = Path(app.config["ARCHIVE_ROOT"]) / folder / "001.pdf"
    _pdf(filed)
    archived = ArchiveFile(case_id=closed.id, dang_hao="X001-WS·2024-Y10-XF-0001",
                           folder=folder, year=2024, retention="Y10", category="XF",
                           grade="一般")
    archived.items.append(ArchiveItem(item_no=1, role="document", format="pdf", annex="B",
                                      filename="001.pdf", title="接案表",
                                      sha256=hashlib.sha256(filed.read_bytes()).hexdigest(),
                                      size=filed.stat().st_size))
    db.session.add(archived)
    request_file = "bundles/request-1.pdf"
    _pdf(Path(app.config["WORK_ROOT"]) / request_file)
    bundle = BundleRequest(requested_by_id=users["a1"].id, file_ids=[], state="ready",
                           path=request_file, options={"output": "pdf"})
    db.session.add(bundle)
    db.session.flush()
    closed_form = db.session.get(FormRecord, w.ids["closed"]["form_id"])
    failure = FilingFailure(case_id=closed.id, version_id=closed_form.current.id,
                            error="OSError: the archive volume is not mounted")
    db.session.add(failure)
    db.session.flush()
    w.ids["closed"].update(file_id=archived.id, name="001.pdf", failure_id=failure.id)
    w.ids["request"] = {"request_id": bundle.id}
    run = ImportRun(created_by_id=users["s1"].id, upload_name="old.zip",
                    state=RunState.CHECKED, report={"summary": {}})
    db.session.add(run)
    db.session.flush()
    w.ids["run"] = {"run_id": run.id}
    scan = db.session.scalars(select(ImportedFile).where(
        ImportedFile.case_id == w.ids["open"]["case_id"])).one()
    w.ids["scan"] = {"imported_id": scan.id, "page": 1}
    notice = Notification(recipient_id=users["s1"].id, kind=NoticeKind.RISK_FLAG,
                          case_id=w.ids["open"]["case_id"],
                          params={"number": w.ids["open"]["case"].number})
    db.session.add(notice)
    db.session.flush()
    w.ids["notice"] = {"notice_id": notice.id}
    w.ids["open"]["notice_id"] = w.ids["closed"]["notice_id"] = notice.id
    w.ids["person"] = {"user_id": users["w1"].id}
    report_copy = "reports/service-report-1.pdf"
    _pdf(Path(app.config["WORK_ROOT"]) / report_copy)
    report = ServiceReport(period_start=date(2024, 4, 1), period_end=date(2024, 6, 30),
                           lang="zh", requested_by_id=users["d1"].id, state="ready",
                           pdf_path=report_copy, docx_path="")
    db.session.add(report)
    db.session.flush()
    w.ids["report"] = {"report_id": report.id, "fmt": "pdf"}
    w.numbers = {k: w.ids[k]["case"].number for k in ("open", "closed")}
    assert Role.ADMIN.value == "admin"
    db.session.commit()
    return w


def _kind(rule) -> str | None:
    """Which object a rule names, by its most specific parameter."""
    if "request_id" in rule.arguments:
        return "request"
    if "run_id" in rule.arguments:
        return "run"
    if "imported_id" in rule.arguments:
        return "scan"
    if "user_id" in rule.arguments:
        return "person"
    if "report_id" in rule.arguments:
        return "report"
    if "notice_id" in rule.arguments and "case_id" not in rule.arguments:
        return "notice"
    if "file_id" in rule.arguments or "failure_id" in rule.arguments:
        return "closed"
    if "case_id" in rule.arguments:
        return "case"
    return None


def _url(app, rule, values: dict[str, Any], missing: bool = False) -> str:
    args = {}
    for name in rule.arguments:
        if name not in values:
            raise AssertionError(f"{rule.endpoint}: no test value for <{name}>")
        args[name] = values[name]
    if missing:
        for name in ("request_id", "run_id", "imported_id", "file_id", "failure_id", "case_id", "notice_id",
                     "user_id", "report_id"):
            if name in args:
                args[name] = MISSING
                break
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **args)


def _client(app, user) -> Any:
    client = app.test_client()
    login(client, user)
    return client


def _token(client) -> str:
    page = client.get("/cases").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def _call(client, method: str, url: str, token: str | None, extra: dict | None = None):
    if method == "GET":
        return client.get(url)
    data = {"csrf_token": token, **(extra or {})}
    return client.open(url, method=method, data=data)


def _targets(world: World, rule) -> list[tuple[str, dict[str, Any]]]:
    """(whose object, parameter values) for each object this rule is tried on."""
    if rule.endpoint == "archive.batch":  # names its case files in the posted form
        return [("closed", world.ids["closed"])]
    kind = _kind(rule)
    if kind == "case" and "notice_id" in rule.arguments:  # a notice of the open case
        return [("open", world.ids["open"])]
    if kind == "case":
        return [("open", world.ids["open"]), ("closed", world.ids["closed"])]
    if kind is not None:
        return [(kind, world.ids[kind])]
    return [("", {"code": "B", "job": "not-a-job"})]


def _extra(rule, values: dict[str, Any], missing: bool = False) -> dict[str, Any]:
    if rule.endpoint != "archive.batch":
        return {}
    return {"file": str(MISSING if missing else values["file_id"])}


def _snapshot() -> list[Any]:
    """Everything a case holds that a person could change through a page."""
    from sqlalchemy import select

    from service.auth.models import Handover, RiskFlag
    from service.cases.models import Case, FormRecord, FormVersion
    from service.db import db

    db.session.expire_all()
    rows: list[Any] = []
    for model, order in ((Case, Case.id), (FormRecord, FormRecord.id),
                         (FormVersion, FormVersion.id), (RiskFlag, RiskFlag.id),
                         (Handover, Handover.id)):
        for obj in db.session.scalars(select(model).order_by(order)):
            rows.append({c.key: getattr(obj, c.key) for c in model.__table__.columns
                         if c.key not in ("updated_at",)})
    return rows


def _rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


def test_every_route_is_classified(app) -> None:
    unknown = sorted({r.endpoint for r in app.url_map.iter_rules()} - set(ROUTES))
    assert not unknown, f"say who may reach these routes in ROUTES: {unknown}"


def test_signed_out_reaches_nothing_but_the_sign_in_page(app, world) -> None:
    client = app.test_client()
    for rule in _rules(app):
        how = ROUTES[rule.endpoint]
        if how == "public":
            continue
        for _label, values in _targets(world, rule):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                url = _url(app, rule, values)
                response = _call(client, method, url, None, _extra(rule, values))
                if how == "token":
                    assert response.status_code == 401, (method, url)
                elif method == "GET":
                    assert response.status_code == 302, (method, url, response.status_code)
                    assert "/login" in response.headers["Location"], (method, url)
                else:  # no session, so no CSRF token either: refused before anything runs
                    assert response.status_code in (302, 400), (method, url)


@pytest.mark.parametrize("who", sorted(PEOPLE))
def test_each_role_reaches_exactly_what_it_may(app, world, who) -> None:
    from service.cases.models import Case
    from service.db import db

    user = world.users[who]
    roles = set(PEOPLE[who][0])
    client = _client(app, user)
    token = _token(client)
    before = _snapshot()
    checked = 0
    for rule in sorted(_rules(app), key=lambda r: r.rule):
        how = ROUTES[rule.endpoint]
        if how in ("public", "token", "session"):
            continue
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"}, reverse=True)  # POST before GET
        if how == "signed_in":
            if "GET" in methods:
                response = client.get(_url(app, rule, {}))
                assert response.status_code in (200, 302), (who, rule.endpoint)
            continue
        _, gate = how
        gated_out = gate is not None and not roles & gate
        for label, values in _targets(world, rule):
            visible = who in SEES[label] if label else True
            for method in methods:
                if visible and not gated_out and rule.endpoint in HEAVY:
                    continue
                url = _url(app, rule, values)
                response = _call(client, method, url, token, _extra(rule, values))
                status = response.status_code
                checked += 1
                if gated_out:
                    assert status in (403, 404), (who, method, url, status)
                elif not visible:
                    assert status == 404, (who, method, url, status)
                elif method == "GET":
                    assert status == 200, (who, method, url, status)
                else:  # reached; a 403 here is a refused action, not a hidden case
                    assert status not in (401, 404), (who, method, url, status)
                if (gated_out or not visible) and label:
                    # the same answer as for an object that does not exist: no existence leak
                    absent = _call(client, method, _url(app, rule, values, missing=True),
                                   token, _extra(rule, values, missing=True))
                    assert absent.status_code == status, (who, method, url)
    assert checked > 30
    if who in ("w2", "s2", "a1", "ad"):  # wrote to nothing, whatever they posted
        assert _snapshot() == before, who
    db.session.expire_all()
    assert db.session.get(Case, world.ids["open"]["case_id"]) is not None


@pytest.mark.parametrize("who", sorted(PEOPLE))
def test_lists_and_search_show_only_visible_cases_and_mask_them(app, world, who) -> None:
    client = _client(app, world.users[who])
    page = client.get("/cases").get_data(as_text=True)
    for label in ("open", "closed"):
        number, link = world.numbers[label], f'href="/cases/{world.ids[label]["case_id"]}"'
        assert (number in page) == (who in SEES[label]), (who, label)
        searched = client.get(f"/cases?q={number}").get_data(as_text=True)
        assert (link in searched) == (who in SEES[label]), (who, label)
    assert "王建国" not in page and "13812345678" not in page
    if who in SEES["open"]:
        assert "王**" in page and "138****5678" in page


@pytest.mark.parametrize("who", sorted(PEOPLE))
def test_api_shows_each_role_exactly_its_cases(app, world, who) -> None:
    from service.auth.users import issue_token
    from service.db import db

    bearer = issue_token(world.users[who])
    db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {bearer}"}
    listed = client.get("/api/v1/cases", headers=headers)
    assert listed.status_code == 200
    ids = {item["id"] for item in listed.get_json()["items"]}
    expected = {world.ids[k]["case_id"] for k in ("open", "closed") if who in SEES[k]}
    assert ids == expected
    assert "王建国" not in listed.get_data(as_text=True)
    for label in ("open", "closed"):
        response = client.get(f"/api/v1/cases/{world.ids[label]['case_id']}", headers=headers)
        assert response.status_code == (200 if who in SEES[label] else 404), (who, label)
        if response.status_code == 200:
            assert response.get_json()["number"] == world.numbers[label]
    assert client.get(f"/api/v1/cases/{MISSING}", headers=headers).status_code == 404
    assert "Set-Cookie" not in listed.headers


def test_api_refuses_missing_wrong_and_revoked_tokens(app, world) -> None:
    from service.auth.users import disable_user, issue_token
    from service.db import db

    client = app.test_client()
    assert client.get("/api/v1/cases").status_code == 401
    wrong = client.get("/api/v1/cases", headers={"Authorization": "Bearer pcw_not-a-token"})
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"].startswith("Bearer")
    bearer = issue_token(world.users["w1"])
    db.session.commit()
    basic = client.get("/api/v1/cases", headers={"Authorization": f"Basic {bearer}"})
    assert basic.status_code == 401
    ok = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {bearer}"})
    assert ok.status_code == 200
    disable_user(world.users["w1"])
    db.session.commit()
    assert client.get("/api/v1/cases",
                      headers={"Authorization": f"Bearer {bearer}"}).status_code == 401


def test_only_the_hash_of_a_token_is_stored(app, world) -> None:
    from sqlalchemy import select

    from service.auth.models import ApiToken
    from service.auth.users import issue_token
    from service.db import db

    bearer = issue_token(world.users["s1"])
    db.session.commit()
    stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert bearer not in stored and all(len(h) == 64 for h in stored)


@pytest.mark.parametrize("who", ["w1", "s1", "w3"])
def test_a_downloaded_pdf_names_who_exported_it(app, world, who) -> None:
    client = _client(app, world.users[who])
    ids = world.ids["open"]
    response = client.get(f"/cases/{ids['case_id']}/documents/{ids['doc_id']}")
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-", "-"], input=response.data, capture_output=True,
                          check=True).stdout.decode()
    assert f"Exported by {who} at " in text


def test_a_worker_cannot_reach_another_workers_case_by_any_route(app, world) -> None:
    """w2 works in the same team as w1 but was never handed w1's case."""
    from service.auth.users import issue_token
    from service.db import db

    client = _client(app, world.users["w2"])
    token = _token(client)
    bearer = {"Authorization": f"Bearer {issue_token(world.users['w2'])}"}
    db.session.commit()
    for rule in _rules(app):
        if _kind(rule) != "case":
            continue
        for label in ("open", "closed"):
            url = _url(app, rule, world.ids[label])
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                if ROUTES[rule.endpoint] == "token":
                    response = client.open(url, method=method, headers=bearer)
                else:
                    response = _call(client, method, url, token)
                assert response.status_code == 404, (method, url, response.status_code)
                assert world.numbers[label].encode() not in response.data


def test_a_form_opens_with_its_case_by_one_statement_and_only_under_its_own_case(
        app, client, make_user) -> None:
    """Every form page and form call reads the case and its form together; a form named
    under another case, even one its reader may see, is 404 on the pages and in the API."""

    from service.auth.users import issue_token
    from service.cases import lifecycle
    from service.cases.access import find_case_and_form
    from service.db import db

    worker = make_user("chen", "worker")
    other = make_user("lin", "worker")
    mine = lifecycle.open_case(worker=worker)
    mine_form = lifecycle.new_form(mine, "B", by=worker)
    also_mine = lifecycle.open_case(worker=worker)
    also_form = lifecycle.new_form(also_mine, "B", by=worker)
    token = issue_token(worker)
    db.session.commit()
    ids = (mine.id, mine_form.id, also_mine.id, also_form.id)
    for person in (worker, other):  # read again after the commit, before counting
        assert person.id and person.roles is not None

    with statements() as seen:
        case, form = find_case_and_form(ids[0], ids[1], worker, "web")
    assert (case.id, form.id, form.case) == (ids[0], ids[1], case) and len(seen) == 1
    assert find_case_and_form(ids[0], ids[3], worker, "web")[1] is None
    assert find_case_and_form(ids[0], ids[1], other, "web") is None

    login(client, worker)
    assert client.get(f"/cases/{ids[0]}/forms/{ids[1]}").status_code == 200
    assert client.get(f"/cases/{ids[0]}/forms/{ids[3]}").status_code == 404
    assert client.get(f"/cases/{ids[0]}/forms/{MISSING}").status_code == 404
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/cases/{ids[0]}/forms/{ids[1]}", headers=headers
                      ).status_code == 200
    for case_id, form_id, title in ((ids[0], ids[3], "form"), (MISSING, ids[1], "case")):
        answer = client.get(f"/api/v1/cases/{case_id}/forms/{form_id}", headers=headers)
        assert answer.status_code == 404 and answer.mimetype == "application/problem+json"
        assert answer.get_json()["status"] == 404, title
