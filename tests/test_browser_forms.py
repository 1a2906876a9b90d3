"""A worker fills Annex B on a tablet in real headless Chromium, loses the connection, reloads,
finds every word typed, and submits."""

from __future__ import annotations

import pytest

from service.cases.models import FormVersion
from service.db import db
from tests.browser import TABLET_LANDSCAPE, TABLET_PORTRAIT, draw_signature, sign_in

pytestmark = pytest.mark.browser

OFFLINE_TEXT = "断网后继续输入的内容：案主2019年起多次到区信访局反映"


def _until_held(page, held: list) -> None:
    """Wait (up to 5 s) until a draft save has reached the route that holds it."""
    for _ in range(100):
        if held:
            return
        page.wait_for_timeout(50)
    raise AssertionError("no draft save left")


def _store_then_hold(page, held: list) -> None:
    """The page's draft saves reach the server, which stores them, and their answers are held
    back: ``held`` gets each (route, answer), to fulfil or leave."""
    page.route("**/draft", lambda route: held.append((route, route.fetch())))


def _store_then_lose(page, stored: list) -> None:
    """The page's draft saves reach the server, which stores them, but their answers never
    reach the page (a network error): ``stored`` gets each answer."""
    def lose(route) -> None:
        stored.append(route.fetch())
        route.abort("internetdisconnected")

    page.route("**/draft", lose)


def _new_intake(page, base_url: str) -> None:
    page.locator("form[action='/cases/new'] button").click()
    page.wait_for_url("**/cases/*/forms/*")


def _sign_and_submit(page) -> None:
    """The worker names and signs the intake, submits it, and the case page says so."""
    page.fill("[name=worker]", "陈晓敏")
    draw_signature(page, "td[data-field=worker_signature] canvas")
    page.fill("[name='worker_signature.date']", "2024-05-08")
    page.click("button[type=submit][value=submit]")
    page.wait_for_url("**/cases/*?submitted=*")


def _save_more_and_submit_after_the_lost_answer(page) -> None:
    """After a save whose answer the page never got (its 诉求 stored): the next save is
    answered as saved, not as a conflict, and the completed intake is submitted holding both."""
    with page.expect_response(lambda r: r.url.endswith("/draft")) as answer:
        page.fill("[name=client_name]", "王建国")
        page.locator("[name=client_name]").blur()
    assert answer.value.status == 200, answer.value.text()
    page.wait_for_function("() => document.getElementById('save-status').textContent.includes('草稿已保存')")
    assert page.is_hidden("#compare-button")
    page.fill("[name=first_contact_date]", "2024-05-08")
    page.locator("label.box-option", has_text="社工探访/接访").click()
    page.fill("[name=case_source_visit]", "区信访接待大厅")
    page.fill("[name=birth_month]", "1961-03")
    _sign_and_submit(page)
    version = db.session.query(FormVersion).one()
    assert version.data["petition_demands"] == "要求尽快处理加装电梯引发的邻里纠纷"
    assert version.data["client_name"] == "王建国"


@pytest.fixture
def intake_page(live_server, tablet, make_user):
    """A worker signed in on a tablet, on the intake form of a case just opened."""
    make_user("chen", "worker")
    page = tablet.new_page()
    sign_in(page, live_server.url, "chen")
    _new_intake(page, live_server.url)
    return page



@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_fill_lose_connection_reload_and_submit(app, tablet, intake_page) -> None:
    page = intake_page
    page.evaluate("navigator.serviceWorker.ready")
    page.reload()  # now the service worker controls the page and keeps a copy of it

    page.fill("[name=first_contact_date]", "2024-05-08")
    page.locator("label.box-option", has_text="社工探访/接访").click()
    page.fill("[name=case_source_visit]", "区信访接待大厅")
    page.fill("[name=petition_demands]", "要求尽快处理加装电梯引发的邻里纠纷")
    page.fill("[name=client_name]", "王建国")
    page.fill("[name=birth_month]", "1961-03")
    page.locator("[name=petition_demands]").blur()
    page.wait_for_function("() => document.getElementById('save-status').textContent.includes('草稿已保存')")
    assert page.input_value("[name=age]") == "63"  # 年龄 follows from 出生年月

    tablet.set_offline(True)
    page.fill("[name=petition_history]", OFFLINE_TEXT)
    page.locator("label.box-option", has_text="情绪疏导").click()
    page.locator("[name=petition_history]").blur()
    page.wait_for_function("() => document.getElementById('save-status').classList.contains('offline')")

    page.reload()  # offline: the page comes from the service worker's copy
    assert page.input_value("[name=petition_history]") == OFFLINE_TEXT
    assert page.input_value("[name=petition_demands]") == "要求尽快处理加装电梯引发的邻里纠纷"
    assert page.is_checked("input[name=needs][value=情绪疏导]")

    tablet.set_offline(False)
    _sign_and_submit(page)

    version = db.session.query(FormVersion).one()
    assert version.data["petition_history"] == OFFLINE_TEXT
    assert version.data["needs"] == ["情绪疏导"]
    assert version.data["case_source_visit"] == "区信访接待大厅"
    assert version.data["worker_signature"]["image"].startswith("data:image/png;base64,")
    assert version.data["age"] == 63


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("viewport", [TABLET_PORTRAIT, TABLET_LANDSCAPE])
def test_tablet_layout_has_no_sideways_scroll_and_large_targets(
        app, live_server, chromium, make_user, viewport) -> None:
    make_user("chen", "worker")
    context = chromium.new_context(viewport=viewport, has_touch=True)
    page = context.new_page()
    sign_in(page, live_server.url, "chen")
    _new_intake(page, live_server.url)
    for code in ("C", "D"):
        for url in (page.url,):
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], (url, width)
        heights = page.eval_on_selector_all(
            "label.box-option, button, input[type=text], input[type=date], textarea",
            "els => els.filter(e => e.offsetParent).map(e => e.getBoundingClientRect().height)")
        assert heights and min(heights) >= 44
        case_url = page.url.split("/forms/")[0]
        page.goto(case_url)
        page.locator(f"form[action$='/forms/{code}'] button").click()
        page.wait_for_url("**/forms/*")
    context.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_failed_submit_shows_every_value_again_with_errors(app, intake_page) -> None:
    page = intake_page
    page.fill("[name=petition_demands]", "诉求文字")
    page.locator("label.box-option", has_text="普通话").click()
    page.fill("[name=language_other]", "潮汕话")  # a write-in ticks its own option
    assert page.is_checked("input[name=language][value=其他]")
    page.locator("label.box-option", has_text="普通话").click()  # ... and is now contradicted
    with page.expect_navigation():  # the page checks the connection first, then posts
        page.click("button[type=submit][value=submit]")
    assert page.input_value("[name=petition_demands]") == "诉求文字"
    assert page.input_value("[name=language_other]") == "潮汕话"
    errors = page.locator("td[data-field=language] .error").all_inner_texts()
    assert errors, "the write-in error stands beside its field"
    assert db.session.query(FormVersion).count() == 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_save_answered_after_more_typing_keeps_the_devices_copy_current(
        app, intake_page) -> None:
    """The device's copy of the form names the version its last save stored: restored later
    (a reload while offline), it is sent against that version, not refused as stale by its own
    save; and what was typed while the save was on its way is kept as not yet synced."""
    page = intake_page
    held = []
    page.route("**/draft", lambda route: held.append(route))
    page.fill("[name=client_name]", "王建国")
    page.locator("[name=client_name]").blur()
    page.wait_for_function("() => document.getElementById('save-status').textContent.length > 0")
    _until_held(page, held)  # the save leaves and is held on its way
    before = page.input_value("#version_tag")
    page.fill("[name=petition_demands]", "要求尽快处理加装电梯引发的邻里纠纷")  # typed meanwhile
    held[0].continue_()
    page.wait_for_function(f"() => document.getElementById('version_tag').value !== {before!r}")
    key = page.get_attribute("#annex-form", "data-storage-key")
    copy = page.evaluate(f"() => JSON.parse(localStorage.getItem({key!r}))")
    tags = [v for n, v in copy["values"] if n == "version_tag"]
    assert tags == [page.input_value("#version_tag")]
    assert copy["synced"] is False  # the later typing has not reached the server yet
    assert ["petition_demands", "要求尽快处理加装电梯引发的邻里纠纷"] in copy["values"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_submission_waits_for_the_autosave_on_its_way(app, intake_page) -> None:
    """Submitting just after typing: the autosave the last field started is stored, but its
    answer (the form's new version tag) has not come back yet. The submission waits for that
    answer and carries the new tag; sent beside it, it would be refused as stale (409, the
    comparison page) by the worker's own autosave."""
    page = intake_page
    held = []

    _store_then_hold(page, held)
    page.fill("[name=petition_demands]", "诉求文字")  # the intake is still incomplete
    page.locator("[name=petition_demands]").blur()
    _until_held(page, held)
    with page.expect_response(lambda r: r.request.method == "POST"
                              and "/draft" not in r.url and "/forms/" in r.url) as answer:
        page.click("button[type=submit][value=submit]")
        page.wait_for_timeout(500)  # time enough for a submission that does not wait to leave
        route, stored = held[0]
        route.fulfill(response=stored)
    assert answer.value.status == 422  # checked in full, and refused as incomplete: not stale
    assert "诉求文字" in page.input_value("[name=petition_demands]")
    assert db.session.query(FormVersion).count() == 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_save_whose_answer_never_came_back_is_not_taken_for_anothers(app, intake_page) -> None:
    """The connection drops while a draft save's answer is on its way back: the server stored
    the draft, the page never learnt its new version tag. The next save and the submission
    are the page's own work, not a conflict with someone else: no comparison page, nothing
    refused, every value stored."""
    from service.cases.models import FormRecord

    page = intake_page
    stored = []

    _store_then_lose(page, stored)
    held_tag = page.input_value("#version_tag")
    page.fill("[name=petition_demands]", "要求尽快处理加装电梯引发的邻里纠纷")
    page.locator("[name=petition_demands]").blur()
    page.wait_for_function("() => document.getElementById('save-status').classList.contains('offline')")
    assert stored and stored[0].status == 200
    db.session.expire_all()
    record = db.session.query(FormRecord).one()
    assert record.draft["petition_demands"] == "要求尽快处理加装电梯引发的邻里纠纷"
    assert page.input_value("#version_tag") == held_tag  # the page still holds the old tag

    page.unroute("**/draft")
    _save_more_and_submit_after_the_lost_answer(page)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_save_still_on_its_way_when_the_page_is_closed_is_its_own(
        app, tablet, intake_page) -> None:
    """A page closed (or left, or reloaded) while its save is on its way never hears the
    answer, not even a failure: the save is listed as unanswered from the moment it leaves,
    so the page opened again from the device's copy (offline, with the older tag) still
    knows it, and its next save is no conflict."""
    page = intake_page
    held: list = []
    page.evaluate("navigator.serviceWorker.ready")
    page.reload()  # the service worker now keeps a copy of the page
    url = page.url
    _store_then_hold(page, held)
    page.fill("[name=petition_demands]", "要求尽快处理加装电梯引发的邻里纠纷")
    page.locator("[name=petition_demands]").blur()
    _until_held(page, held)
    assert held[0][1].status == 200
    page.close()  # gone before the answer: nothing of it runs again
    tablet.set_offline(True)
    page = tablet.new_page()
    page.goto(url)  # from the device's copy, with the tag from before the held save
    assert page.input_value("[name=petition_demands]") == "要求尽快处理加装电梯引发的邻里纠纷"
    tablet.set_offline(False)
    _save_more_and_submit_after_the_lost_answer(page)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_another_tab_never_passes_off_a_lost_save_as_its_own(app, tablet, intake_page) -> None:
    """Two tabs of the same form on one tablet share the device's copy. One tab's save is
    stored but its answer lost; the other tab, which never saw those words, saves against
    the same older tag: that is a conflict, compared, and the lost save's words stay."""
    from service.cases.models import FormRecord

    first = intake_page
    second = tablet.new_page()
    second.goto(first.url)

    _store_then_lose(first, [])
    first.fill("[name=petition_demands]", "要求尽快处理加装电梯引发的邻里纠纷")
    first.locator("[name=petition_demands]").blur()
    first.wait_for_function("() => document.getElementById('save-status').classList.contains('offline')")
    with second.expect_response(lambda r: r.url.endswith("/draft")) as answer:
        second.fill("[name=client_name]", "王建国")
        second.locator("[name=client_name]").blur()
    assert answer.value.status == 412
    db.session.expire_all()
    assert db.session.query(FormRecord).one().draft["petition_demands"] == \
        "要求尽快处理加装电梯引发的邻里纠纷"
