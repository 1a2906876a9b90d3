"""Supervision (8.3) and the 8.6 exception through the pages: submit, return, approve with a
signature, the lock, a correction needing review again; risk flags; handovers."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_token, login, posted_form


@pytest.fixture(autouse=True)
def quick_hashing(monkeypatch):
    from argon2 import PasswordHasher

    from service.auth import users

    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))




@pytest.fixture
def desk(app, make_user):
    """A worker with an intake form written and submitted, and their supervisor."""
    from service.annexes.examples import example

    worker = make_user("chen", "worker")
    supervisor = make_user("zhou", "supervisor")
    other = make_user("wu", "worker")
    wc, sc = app.test_client(), app.test_client()
    login(wc, worker)
    login(sc, supervisor)
    token = csrf_token(wc, "/cases")
    opened = wc.post("/cases/new", data={"csrf_token": token})
    case_id, form_id = (int(p) for p in opened.headers["Location"].split("/")[2::2])
    data = example("B")
    signed = data.pop("director_approval")
    posted = wc.post(f"/cases/{case_id}/forms/{form_id}",
                     data={**posted_form(data), "csrf_token": token})
    assert posted.status_code == 302, posted.get_data(as_text=True)[:500]
    return {"worker": worker, "supervisor": supervisor, "other": other, "wc": wc, "sc": sc,
            "case_id": case_id, "form_id": form_id, "signature": signed, "data": data}


def _record(desk):
    from service.cases.models import FormRecord
    from service.db import db

    db.session.expire_all()
    return db.session.get(FormRecord, desk["form_id"])


def _url(desk, tail: str = "") -> str:
    return f"/cases/{desk['case_id']}/forms/{desk['form_id']}{tail}"


def test_a_worker_cannot_approve_and_cannot_write_the_reviewers_cells(app, desk) -> None:
    wc = desk["wc"]
    token = csrf_token(wc, "/cases")
    approve = wc.post(_url(desk, "/approve"),
                      data={"csrf_token": token, **posted_form(
                          {"director_approval": desk["signature"]})})
    assert approve.status_code == 403
    assert _record(desk).state == "submitted"
    assert "director_approval" not in _record(desk).current.data or not _record(
        desk).current.data["director_approval"]


def test_the_reviewer_sees_the_queue_and_a_form_open_only_in_their_cells(app, desk) -> None:
    sc = desk["sc"]
    queue = sc.get("/review").get_data(as_text=True)
    assert _url(desk) in queue
    page = sc.get(_url(desk)).get_data(as_text=True)
    assert 'id="approve"' in page and 'id="return"' in page
    assert "data-draft-url" not in page  # no autosave over the worker's submission
    assert desk["wc"].get("/review").status_code == 403


def test_return_with_comments_then_approve_with_a_signature_locks_the_form(app, desk) -> None:
    sc, wc = desk["sc"], desk["wc"]
    token = csrf_token(sc, "/cases")
    empty = sc.post(_url(desk, "/return"), data={"csrf_token": token, "review_comment": " "})
    assert empty.status_code == 302 and _record(desk).state == "submitted"
    sc.post(_url(desk, "/return"), data={"csrf_token": token,
                                         "review_comment": "请补充家庭背景"})
    record = _record(desk)
    assert record.state == "returned" and record.review_comment == "请补充家庭背景"
    page = wc.get(_url(desk)).get_data(as_text=True)
    assert "请补充家庭背景" in page
    # the worker corrects and submits again: a second version, waiting for review
    wtoken = csrf_token(wc, "/cases")
    data = dict(desk["data"], background=desk["data"]["background"] + "另有一女。")
    wc.post(_url(desk), data={**posted_form(data), "csrf_token": wtoken})
    record = _record(desk)
    assert record.state == "submitted" and len(record.versions) == 2
    # approving needs the reviewer's signature
    unsigned = sc.post(_url(desk, "/approve"), data={"csrf_token": token})
    assert unsigned.status_code == 422 and _record(desk).state == "submitted"
    signed = sc.post(_url(desk, "/approve"), data={
        "csrf_token": token, **posted_form({"director_approval": desk["signature"]})})
    assert signed.status_code == 302
    record = _record(desk)
    assert record.state == "approved" and len(record.versions) == 3
    approved = record.current
    assert approved.approved_by_id == desk["supervisor"].id
    assert approved.data["director_approval"]["remark"] == desk["signature"]["remark"]
    assert approved.data["background"].endswith("另有一女。")
    # locked: the worker can neither submit nor autosave (a conflict with its state)
    assert wc.post(_url(desk), data={**posted_form(data), "csrf_token": wtoken}).status_code == 409
    assert wc.post(_url(desk, "/draft"), data={"csrf_token": wtoken,
                                               "background": "x"}).status_code == 409
    assert _record(desk).state == "approved"
    history = wc.get(f"/cases/{desk['case_id']}").get_data(as_text=True)
    assert "请补充家庭背景" in history
    from service.auth.models import ReviewStep
    from service.db import db

    steps = [s.action for s in db.session.scalars(sa.select(ReviewStep).order_by(ReviewStep.id))]
    assert steps == ["submitted", "returned", "submitted", "approved"]


def test_a_correction_after_approval_is_a_new_version_needing_review(app, desk) -> None:
    sc, wc = desk["sc"], desk["wc"]
    token = csrf_token(sc, "/cases")
    sc.post(_url(desk, "/approve"), data={
        "csrf_token": token, **posted_form({"director_approval": desk["signature"]})})
    assert _record(desk).state == "approved"
    wtoken = csrf_token(wc, "/cases")
    no_reason = wc.post(_url(desk, "/reopen"), data={"csrf_token": wtoken, "reason": ""})
    assert no_reason.status_code == 302 and _record(desk).state == "approved"
    wc.post(_url(desk, "/reopen"), data={"csrf_token": wtoken, "reason": "电话号码有误"})
    record = _record(desk)
    assert record.state == "draft" and "director_approval" not in record.draft
    data = dict(desk["data"], phone="13900001111")
    wc.post(_url(desk), data={**posted_form(data), "csrf_token": wtoken})
    record = _record(desk)
    assert record.state == "submitted"
    assert record.current.approved_by_id is None and record.versions[-2].approved_by_id
    assert not record.current.data.get("director_approval")


def test_a_supervisor_of_another_team_cannot_review(app, desk, make_user) -> None:
    from service.auth.users import team_named
    from service.cases.models import Case
    from service.db import db

    mine, theirs = team_named("一组"), team_named("二组")
    case = db.session.get(Case, desk["case_id"])
    case.team_id = mine.id
    desk["supervisor"].team_id = mine.id
    outsider = make_user("qian", "supervisor", team_id=theirs.id)
    db.session.commit()
    oc = app.test_client()
    login(oc, outsider)
    token = csrf_token(oc, "/cases")
    response = oc.post(_url(desk, "/approve"), data={
        "csrf_token": token, **posted_form({"director_approval": desk["signature"]})})
    assert response.status_code == 404
    assert _url(desk) not in oc.get("/review").get_data(as_text=True)
    assert _url(desk) in desk["sc"].get("/review").get_data(as_text=True)


def test_a_risk_flag_notifies_the_supervisor_and_records_what_was_done(app, desk) -> None:
    from service.auth.models import AuditEntry, RiskFlag
    from service.db import db

    wc, sc = desk["wc"], desk["sc"]
    token = csrf_token(wc, "/cases")
    wc.post(f"/cases/{desk['case_id']}/risk", data={"csrf_token": token,
                                                    "concern": "案主称要轻生"})
    flag = db.session.scalar(sa.select(RiskFlag))
    assert flag.raised_by_id == desk["worker"].id and flag.is_open
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "risk.flag"))
    assert '"notified": ["zhou"]' in entry.details
    queue = sc.get("/review").get_data(as_text=True)
    assert "案主称要轻生" in queue and 'class="flagged"' in queue
    assert queue.index("案主称要轻生") < queue.index(_url(desk))  # flags stand first
    assert 'class="flash error risk-flag"' in wc.get(f"/cases/{desk['case_id']}").get_data(
        as_text=True)
    # only a reviewer records what was done
    wtoken = token
    assert wc.post(f"/cases/{desk['case_id']}/risk/{flag.id}/handle",
                   data={"csrf_token": wtoken, "action_taken": "x"}).status_code == 403
    stoken = csrf_token(sc, "/cases")
    sc.post(f"/cases/{desk['case_id']}/risk/{flag.id}/handle",
            data={"csrf_token": stoken, "action_taken": "已联系家属并转介心理危机干预"})
    db.session.expire_all()
    flag = db.session.get(RiskFlag, flag.id)
    assert not flag.is_open and flag.handled_by_id == desk["supervisor"].id
    assert "案主称要轻生" not in sc.get("/review").get_data(as_text=True)


def test_a_handover_opens_the_case_to_the_receiving_worker(app, desk) -> None:
    sc = desk["sc"]
    oc = app.test_client()
    login(oc, desk["other"])
    case_url = f"/cases/{desk['case_id']}"
    assert oc.get(case_url).status_code == 404
    token = csrf_token(sc, "/cases")
    sc.post(f"{case_url}/handover", data={"csrf_token": token, "username": "wu",
                                          "kind": "follow_up"})
    assert oc.get(case_url).status_code == 200
    assert desk["wc"].get(case_url).status_code == 200  # follow-up: both work on it
    sc.post(f"{case_url}/handover", data={"csrf_token": token, "username": "wu",
                                          "kind": "transfer"})
    assert oc.get(case_url).status_code == 200
    assert desk["wc"].get(case_url).status_code == 404  # transferred away
    wtoken = csrf_token(oc, "/cases")
    refused = oc.post(f"{case_url}/handover", data={"csrf_token": wtoken, "username": "chen",
                                                    "kind": "transfer"})
    assert refused.status_code == 403


def test_a_late_autosave_from_the_submitting_page_leaves_the_form_in_review(app, desk) -> None:
    from service.db import db

    wc = desk["wc"]
    token = csrf_token(wc, "/cases")
    page = wc.get(_url(desk)).get_data(as_text=True)
    fresh = re.search(r'name="submission_token" type="hidden" value="([^"]+)"', page).group(1)
    data = dict(desk["data"], background="改过的背景")
    wc.post(_url(desk), data={**posted_form(data), "csrf_token": token, "submission_token": fresh})
    assert _record(desk).state == "submitted"
    late = wc.post(_url(desk, "/draft"), data={**posted_form(data), "csrf_token": token,
                                               "submission_token": fresh})
    assert late.status_code == 409
    db.session.expire_all()
    assert _record(desk).state == "submitted"
