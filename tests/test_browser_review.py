"""Review and sign-off (8.3) on a tablet in real headless Chromium: a worker submits, the
supervisor returns it with a comment, the worker corrects and submits again, the supervisor
signs with a finger and approves, and the form is locked. A risk flag (8.6) stands first in the
supervisor's queue."""

from __future__ import annotations

import re

import pytest

from service.db import db
from tests.browser import draw_signature, sign_in

pytestmark = pytest.mark.browser



@pytest.fixture
def written_intake(app, make_user):
    """A worker's intake form, filled in and not yet submitted; a supervisor of the agency."""
    from service.annexes.examples import example
    from service.auth.models import RiskFlag
    from service.cases import lifecycle, workflow

    worker = make_user("chen", "worker")
    make_user("zhou", "supervisor")
    case = lifecycle.open_case(worker=worker, client_name="王建国")
    record = lifecycle.new_form(case, "B", by=worker)
    data = example("B")
    data.pop("director_approval")
    workflow.save_draft(record, data, by=worker)
    db.session.add(RiskFlag(case_id=case.id, raised_by_id=worker.id, concern="案主情绪激动，称要轻生"))
    db.session.commit()
    return {"case_id": case.id, "form_id": record.id}


def _record(form_id: int):
    from service.cases.models import FormRecord

    db.session.expire_all()
    return db.session.get(FormRecord, form_id)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_submit_return_correct_approve_and_lock(app, live_server, chromium, tablet,
                                               written_intake) -> None:
    from tests.browser import TABLET_PORTRAIT

    base = live_server.url
    form_url = f"{base}/cases/{written_intake['case_id']}/forms/{written_intake['form_id']}"

    worker = tablet.new_page()
    sign_in(worker, base, "chen")
    worker.goto(form_url)
    worker.click("button[type=submit][value=submit]")
    worker.wait_for_url(f"{base}/cases/{written_intake['case_id']}*")
    assert _record(written_intake["form_id"]).state == "submitted"

    boss_context = chromium.new_context(viewport=TABLET_PORTRAIT, has_touch=True,
                                        locale="zh-CN")
    boss_context.set_default_timeout(15_000)
    try:
        boss = boss_context.new_page()
        sign_in(boss, base, "zhou")
        boss.goto(f"{base}/review")
        flagged = boss.locator("table.flagged-cases tr.flagged")
        assert "称要轻生" in flagged.first.inner_text()
        waiting = boss.locator("section.waiting tr.flagged")
        assert waiting.count() == 1  # the flagged case stands out among the forms waiting
        waiting.locator("a.button").click()
        boss.wait_for_url(form_url)
        # the worker's cells are shown but locked; the reviewer's are open
        assert boss.locator("[name=client_name]").is_disabled()
        assert not boss.locator("[name='director_approval.remark']").is_disabled()

        boss.fill("#review_comment", "请补充案主家庭成员的联系方式")
        boss.click("#return")
        boss.wait_for_url(f"{base}/cases/{written_intake['case_id']}*")
        assert _record(written_intake["form_id"]).state == "returned"

        worker.goto(form_url)
        assert "请补充案主家庭成员的联系方式" in worker.inner_text("main")
        worker.fill("[name=background]", "案主与妻子同住，儿子电话13700001111。")
        worker.click("button[type=submit][value=submit]")
        worker.wait_for_url(f"{base}/cases/{written_intake['case_id']}*")
        assert _record(written_intake["form_id"]).state == "submitted"

        boss.goto(form_url)
        boss.fill("[name='director_approval.remark']", "同意开案，请注意案主情绪变化。")
        draw_signature(boss, "td[data-field=director_approval] canvas")
        boss.fill("[name='director_approval.date']", "2024-05-10")
        boss.click("#approve")
        boss.wait_for_url(f"{base}/cases/{written_intake['case_id']}*")
        history = boss.inner_text("section.review-history")
        assert "请补充案主家庭成员的联系方式" in history
        access = boss.inner_text("section.access-history")
        assert "chen" in access
        # each action by its name, never by the trail's code
        for said in ("查看个案", "提交表格待审", "退回表格", "签批表格"):
            assert said in access, said
        assert not re.search(r"\b(case|form|risk)\.[a-z_]+", access), access
    finally:
        boss_context.close()

    record = _record(written_intake["form_id"])
    assert record.state == "approved"
    signed = record.current
    assert signed.approved_by_id is not None
    assert signed.data["background"].startswith("案主与妻子同住，儿子电话")
    assert signed.data["director_approval"]["image"].startswith("data:image/png;base64,")
    assert signed.data["director_approval"]["remark"] == "同意开案，请注意案主情绪变化。"

    worker.goto(form_url)  # locked for the worker: nothing to type, nothing to submit
    assert worker.locator("button[type=submit][value=submit]").count() == 0
    assert worker.locator("[name=background]").is_disabled()
    assert worker.locator("#reopen").count() == 1
