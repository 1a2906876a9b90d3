"""The review cycle under concurrency, against real gunicorn web processes on SQLite and
PostgreSQL: simultaneous duplicate submissions store one version and never answer 5xx; of two
simultaneous approvals exactly one wins and the other is told of the conflict."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from service.annexes.examples import example, worker_example
from tests.servers import all_at_once, gunicorn, page_csrf, server_env, signed_in

AT_ONCE = 6


def _posted(data: dict[str, Any]) -> dict[str, Any]:
    from tests.conftest import posted_form

    return posted_form(data)


def _case_with_intake(worker: Any) -> tuple[int, int]:
    from service.cases import lifecycle
    from service.db import db

    case = lifecycle.open_case(worker=worker, client_name="王建国")
    form = lifecycle.new_form(case, "B", by=worker)
    db.session.commit()
    return case.id, form.id


def test_simultaneous_duplicate_submissions_store_one_version(
        app, database_url: str, make_user, tmp_path: Path) -> None:
    from service.auth.models import AuditEntry, ReviewStep
    from service.cases.models import FormVersion
    from service.db import db

    worker = make_user("chen", "worker")
    case_id, form_id = _case_with_intake(worker)
    env = server_env(tmp_path / "instance", database_url)
    with gunicorn(env, tmp_path / "web.log", "-w", "2", "--threads", "4") as base:
        browser = signed_in(base, "chen")
        url = f"{base}/cases/{case_id}/forms/{form_id}"
        fields = {**_posted(worker_example("B")), "csrf_token": page_csrf(browser, url),
                  "submission_token": uuid.uuid4().hex}
        answers = all_at_once([lambda: browser.post(url, data=fields, allow_redirects=False,
                                                     timeout=60)] * AT_ONCE)
    codes = [a.status_code for a in answers]
    assert all(code < 500 for code in codes), codes
    assert 302 in codes, codes
    db.session.expire_all()
    assert db.session.scalar(select(func.count(FormVersion.id))
                             .where(FormVersion.form_id == form_id)) == 1
    assert db.session.scalar(select(func.count(ReviewStep.id))
                             .where(ReviewStep.form_id == form_id)) == 1
    assert db.session.scalar(select(func.count(AuditEntry.id))
                             .where(AuditEntry.action == "form.submit")) == 1


def test_of_two_simultaneous_approvals_exactly_one_wins(
        app, database_url: str, make_user, tmp_path: Path) -> None:
    from service.auth.models import ReviewStep
    from service.cases import workflow
    from service.cases.models import FormRecord, FormVersion
    from service.db import db

    worker = make_user("chen", "worker")
    make_user("li", "director")
    make_user("zhou", "supervisor")
    case_id, form_id = _case_with_intake(worker)
    workflow.submit(db.session.get(FormRecord, form_id), worker_example("B"), by=worker,
                    then=lambda _v: None)
    db.session.commit()
    env = server_env(tmp_path / "instance", database_url)
    with gunicorn(env, tmp_path / "web.log", "-w", "2", "--threads", "4") as base:
        url = f"{base}/cases/{case_id}/forms/{form_id}"
        browsers, calls = [], []
        for name in ("li", "zhou"):
            browser = signed_in(base, name)
            fields = {**_posted({"director_approval": example("B")["director_approval"]}),
                      "csrf_token": page_csrf(browser, url), "submission_token": uuid.uuid4().hex}
            browsers.append(browser)
            calls.append(lambda b=browser, f=fields: b.post(
                url + "/approve", data=f, allow_redirects=False, timeout=60))
        answers = all_at_once(calls)
        codes = [a.status_code for a in answers]
        assert all(code < 500 for code in codes), codes
        # the winner goes on to the case; the loser back to the form, which says why
        places = [a.headers.get("Location", "") for a in answers]
        assert sorted(p.endswith(f"/forms/{form_id}") for p in places) == [False, True], places
        loser = browsers[[p.endswith(f"/forms/{form_id}") for p in places].index(True)]
        told = loser.get(url, timeout=30).text
        assert "已批准并锁定" in told or "他人在同一时刻处理了此表格" in told, told[:2000]
    db.session.expire_all()
    steps = db.session.scalars(select(ReviewStep.action).where(ReviewStep.form_id == form_id)
                               .order_by(ReviewStep.id)).all()
    assert steps == ["submitted", "approved"]
    approved = db.session.scalars(select(FormVersion).where(
        FormVersion.form_id == form_id, FormVersion.approved_by_id.is_not(None))).all()
    assert len(approved) == 1
    assert db.session.get(FormRecord, form_id).state == "approved"


def test_two_tablets_submitting_different_values_at_once_store_one_and_show_the_other(
        app, database_url: str, make_user, tmp_path: Path) -> None:
    """A submission is checked on the form as read and written under the form's turn: of two
    tablets submitting different values against the same version tag at once, one is stored
    and the other is answered with the comparison page (409), its values kept, never written
    over the first nor merged into it."""
    from service.cases.models import FormRecord, FormVersion
    from service.cases.workflow import version_tag
    from service.db import db

    worker = make_user("chen", "worker")
    case_id, form_id = _case_with_intake(worker)
    tag = version_tag(db.session.get(FormRecord, form_id))
    env = server_env(tmp_path / "instance", database_url)
    with gunicorn(env, tmp_path / "web.log", "-w", "2", "--threads", "4") as base:
        url = f"{base}/cases/{case_id}/forms/{form_id}"
        calls = []
        for name in ("王建国", "王建民"):
            browser = signed_in(base, "chen")
            fields = {**_posted({**worker_example("B"), "client_name": name}),
                      "csrf_token": page_csrf(browser, url), "version_tag": tag,
                      "submission_token": uuid.uuid4().hex}
            calls.append(lambda b=browser, f=fields: b.post(url, data=f, allow_redirects=False,
                                                            timeout=60))
        answers = all_at_once(calls)
    codes = sorted(a.status_code for a in answers)
    assert codes == [302, 409], codes
    loser = next(a for a in answers if a.status_code == 409)
    db.session.expire_all()
    stored = db.session.scalars(select(FormVersion).where(FormVersion.form_id == form_id)).all()
    assert len(stored) == 1
    mine = "王建民" if stored[0].data["client_name"] == "王建国" else "王建国"
    assert f'value="{mine}"' in loser.text  # the loser's own value is still in its form
