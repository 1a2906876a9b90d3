"""The tablet and review screens in real headless Chromium, at both tablet sizes (768×1024
portrait and 1180×820 landscape, touch): every target large enough, measured from the rendered
page; dates never cut; names and states said the same way everywhere."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest

from tests import tablet_scene
from tests.browser import TABLET_LANDSCAPE, TABLET_PORTRAIT, sign_in

pytestmark = pytest.mark.browser
VIEWPORTS = pytest.mark.parametrize("viewport", [TABLET_PORTRAIT, TABLET_LANDSCAPE],
                                    ids=["portrait", "landscape"])
ON_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

#: Everything a finger taps, measured as tapped: a radio or check box by its label when the
#: label holds it (tapping anywhere on the label sets it).
SMALL_TARGETS = """() => {
  const seen = new Set(), small = [];
  const targets = document.querySelectorAll(
    'a[href], button, select, textarea, input:not([type=hidden]), label.choice, label.box-option, summary');
  for (const el of targets) {
    let target = el;
    if (el.matches('input[type=radio], input[type=checkbox]')) { target = el.closest('label') || el; }
    if (seen.has(target)) { continue; }
    seen.add(target);
    const r = target.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || getComputedStyle(target).visibility === 'hidden') { continue; }
    if (r.width < 44 || r.height < 44) {
      small.push([target.tagName, (target.innerText || target.name || '').trim().slice(0, 24),
                  Math.round(r.width), Math.round(r.height)]);
    }
  }
  return small;
}"""

#: The width a date field needs to show all of its value (Chromium sizes an unstyled one to fit).
DATE_NEEDS = """(el) => {
  const probe = el.cloneNode();
  probe.style.cssText = 'width:auto;min-width:0;max-width:none;position:absolute;visibility:hidden';
  probe.value = '2024-12-28';
  document.body.appendChild(probe);
  const needed = probe.getBoundingClientRect().width;
  probe.remove();
  return [el.getBoundingClientRect().width, needed];
}"""


@pytest.fixture
def scene(app):
    return tablet_scene.build()


@pytest.fixture
def open_page(chromium):
    contexts = []

    def open_(viewport, base_url: str, username: str, locale: str = "zh-CN"):
        context = chromium.new_context(viewport=viewport, has_touch=True,
                                       device_scale_factor=1, locale=locale)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        sign_in(page, base_url, username, tablet_scene.PASSWORD)
        return page

    yield open_
    for context in contexts:
        context.close()


def _form_url(base: str, case_id: int, form_id: int) -> str:
    return f"{base}/cases/{case_id}/forms/{form_id}"


@ON_SQLITE
@VIEWPORTS
def test_every_target_is_44_px_and_nothing_scrolls_sideways(
        app, live_server, scene, open_page, viewport) -> None:
    base = live_server.url
    pages = {
        "zhou": [f"{base}/review", f"{base}/cases/{scene.case_id}",
                 _form_url(base, scene.case_id, scene.waiting_interview_id), f"{base}/notices",
                 f"{base}/statistics"],
        "chen": [f"{base}/cases", f"{base}/cases/{scene.case_id}",
                 f"{base}/cases/{scene.case_id}/evaluation", f"{base}/followups",
                 _form_url(base, scene.case_id, scene.intake_id),
                 _form_url(base, scene.case_id, scene.returned_interview_id),
                 _form_url(base, scene.case_id, scene.closing_id)],
    }
    measured = 0
    for username, urls in pages.items():
        page = open_page(viewport, base, username)
        for url in urls:
            page.goto(url)
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], url
            small = page.evaluate(SMALL_TARGETS)
            assert small == [], (url, small)
            measured += page.evaluate("document.querySelectorAll('a[href], button').length")
    assert measured > 40  # the pages were really there

    # the ones once too small, one by one
    page = open_page(viewport, base, "chen")
    page.goto(f"{base}/cases/{scene.case_id}")
    for selector in ("label.choice:has(input[name^=screen_][value=yes])",
                     "label.choice:has(input[name^=screen_][value=no])",
                     "label.choice:has(input[name=confidential])",
                     "section.forms a:text-is('v1')",
                     "section.forms a:text-is('PDF')", "section.forms a:text-is('DOCX')"):
        box = page.locator(selector).first.bounding_box()
        assert box and box["width"] >= 44 and box["height"] >= 44, (selector, box)
    page.goto(_form_url(base, scene.case_id, scene.closing_id))
    box = page.locator("p.crumbs a").first.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44, box

    # the comparison page a stale save leads to: each field's 'yours' and 'theirs' a target too
    page.goto(_form_url(base, scene.case_id, scene.returned_interview_id))
    with page.expect_navigation():
        page.evaluate("""() => {
          const form = document.createElement('form');
          form.method = 'post';
          form.action = location.pathname + '/compare';
          const token = document.querySelector('input[name=csrf_token]').cloneNode();
          form.appendChild(token);
          document.body.appendChild(form);
          form.submit();
        }""")
    assert page.locator("#conflict input[value=theirs]").count() > 3
    assert page.evaluate(SMALL_TARGETS) == []


@ON_SQLITE
def test_every_request_a_page_makes_is_answered_its_icon_among_them(
        app, live_server, scene, open_page) -> None:
    """Nothing a page asks for fails or is refused (the browser's console stays clean of
    errors, Content-Security-Policy violations included), and it names an icon that is there.
    A request the browser itself gives up when the next page opens is no failure."""
    base = live_server.url
    pages = {"zhou": [f"{base}/review", f"{base}/notices"],
             "chen": [f"{base}/cases", f"{base}/cases/{scene.case_id}",
                      _form_url(base, scene.case_id, scene.intake_id),
                      _form_url(base, scene.case_id, scene.closing_id)]}
    for username, urls in pages.items():
        page = open_page(TABLET_PORTRAIT, base, username)
        errors: list[str] = []
        page.on("console", lambda m, e=errors: m.type == "error" and e.append(m.text))
        page.on("pageerror", lambda error, e=errors: e.append(str(error)))
        page.on("requestfailed", lambda r, e=errors: r.failure != "net::ERR_ABORTED"
                and e.append(f"{r.url} {r.failure}"))
        page.on("response", lambda r, e=errors: r.status >= 400 and e.append(f"{r.status} {r.url}"))
        page.add_init_script("document.addEventListener('securitypolicyviolation', "
                             "e => console.error('CSP ' + e.violatedDirective))")
        for url in urls:
            page.goto(url, wait_until="networkidle")
            icon = page.locator("link[rel=icon]")
            assert icon.count() == 1, url
            answer = page.request.get(urljoin(url, icon.get_attribute("href") or ""))
            assert answer.status == 200, url
            assert answer.headers["content-type"].startswith("image/svg+xml"), url
        assert errors == [], (username, errors)


@ON_SQLITE
@VIEWPORTS
def test_dates_show_the_whole_year(app, live_server, scene, open_page, viewport) -> None:
    base = live_server.url
    page = open_page(viewport, base, "chen")
    page.goto(_form_url(base, scene.case_id, scene.returned_interview_id))
    for field in page.locator("input[type=date]").all():
        width, needed = field.evaluate(DATE_NEEDS)
        assert width >= needed, (field.get_attribute("name"), width, needed)
    assert page.locator("[name=date]").input_value() == "2024-06-05"
    # 第 [3] 次 stays on one line beside them
    middles = page.eval_on_selector_all(
        "td[data-field=session_no] .affix, td[data-field=session_no] input",
        "els => els.map(e => { const r = e.getBoundingClientRect(); return r.top + r.height / 2; })")
    assert len(middles) == 3 and max(middles) - min(middles) <= 4, middles


@ON_SQLITE
@VIEWPORTS
def test_a_numbered_form_is_named_the_same_everywhere(
        app, live_server, scene, open_page, viewport) -> None:
    base = live_server.url
    page = open_page(viewport, base, "zhou")
    page.goto(f"{base}/cases/{scene.case_id}")
    history = page.inner_text("section.review-history")
    assert "会谈表 · 第2次" in history and "会谈表 · 第3次" in history
    assert not re.search(r"会谈表 · \d", history)
    assert "会谈表 · 第2次" in page.inner_text("section.forms")
    page.goto(f"{base}/review")
    assert "会谈表 · 第2次" in page.inner_text("section.waiting")
    page.goto(_form_url(base, scene.case_id, scene.waiting_interview_id))
    assert "会谈表 · 第2次" in page.inner_text("p.crumbs")


@ON_SQLITE
@VIEWPORTS
def test_english_pages_carry_the_agencys_english_name(
        app, live_server, scene, open_page, viewport) -> None:
    app.config["AGENCY_NAME_EN"] = "Guangzhou Petition Social Work Service Centre"
    base = live_server.url
    page = open_page(viewport, base, "chen", locale="en-GB")
    page.goto(f"{base}/cases?lang=en")
    assert page.title().endswith("· Guangzhou Petition Social Work Service Centre")
    page.goto(f"{base}/cases/{scene.case_id}")
    assert "广州" not in page.title()
    page.goto(f"{base}/cases?lang=zh_Hans_CN")
    assert page.title().endswith("· " + app.config["AGENCY_NAME"])


@ON_SQLITE
@VIEWPORTS
def test_review_list_oldest_first_with_waiting_time_filters_and_count(
        app, live_server, scene, open_page, viewport) -> None:
    from service.cases.models import Case
    from service.db import db

    base = live_server.url
    page = open_page(viewport, base, "zhou")
    page.goto(f"{base}/review")
    rows = page.locator("section.waiting tbody tr")
    assert rows.count() == 3
    assert [int(r.get_attribute("data-form")) for r in rows.all()] == [
        scene.other_intake_id, scene.waiting_interview_id, scene.third_interview_id]
    assert [t.strip() for t in page.locator("td.waited").all_inner_texts()] == [
        "3天", "1天", "5小时"]
    assert "李明" in rows.nth(0).inner_text() and "会谈表 · 第2次" in rows.nth(1).inner_text()

    page.select_option("#filter-worker", label="李明")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/review?*worker=*")
    assert [int(r.get_attribute("data-form")) for r in rows.all()] == [scene.other_intake_id]
    assert "1 / 3" in page.inner_text("p.filtered")

    page.goto(f"{base}/review")
    page.select_option("#filter-annex", "C")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/review?*annex=C*")
    assert [int(r.get_attribute("data-form")) for r in rows.all()] == [
        scene.waiting_interview_id, scene.third_interview_id]

    number = db.session.get(Case, scene.third_case_id).number
    page.goto(f"{base}/review")
    page.fill("#filter-case", number[-3:])
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/review?*case=*")
    assert [int(r.get_attribute("data-form")) for r in rows.all()] == [scene.third_interview_id]

    # the count waiting, on every page a reviewer opens; none for a worker
    for url in (f"{base}/cases", f"{base}/cases/{scene.case_id}",
                _form_url(base, scene.case_id, scene.intake_id)):
        page.goto(url)
        assert page.inner_text("header .waiting-count").strip() == "3", url
    worker = open_page(viewport, base, "chen")
    assert worker.locator("header .waiting-count").count() == 0

    # a decision takes the form off the list and the count follows
    page.goto(_form_url(base, scene.case_id, scene.waiting_interview_id))
    page.fill("#review_comment", "请写明下次会谈的时间")
    page.click("#return")
    page.wait_for_url(f"{base}/cases/{scene.case_id}*")
    assert page.inner_text("header .waiting-count").strip() == "2"


def _record(form_id: int):
    from service.cases.models import FormRecord
    from service.db import db

    db.session.expire_all()
    return db.session.get(FormRecord, form_id)


OFFLINE_RECORD = "恢复网络前写下的会谈记录：案主同意下周再约儿子一起面谈。"


@ON_SQLITE
@VIEWPORTS
def test_submit_offline_waits_on_the_page_and_goes_when_the_connection_returns(
        app, live_server, scene, open_page, viewport) -> None:
    base = live_server.url
    page = open_page(viewport, base, "chen")
    context = page.context
    case_url = f"{base}/cases/{scene.case_id}"
    form_url = _form_url(base, scene.case_id, scene.returned_interview_id)
    page.goto(case_url)
    page.evaluate("navigator.serviceWorker.ready")
    page.reload()  # the service worker now keeps a copy of the case page
    page.locator(f"a.button[href='/cases/{scene.case_id}/forms/{scene.returned_interview_id}']").click()
    page.wait_for_url(form_url)
    assert "已退回修改" in page.inner_text("#form-state")
    page.fill("[name=record]", OFFLINE_RECORD)
    page.locator("[name=record]").blur()
    page.wait_for_function("() => document.getElementById('save-status').textContent.includes('草稿已保存')")

    context.set_offline(True)
    page.click("button[type=submit][value=submit]")
    page.wait_for_function(
        "() => document.getElementById('save-status').textContent.includes('恢复连接后立即自动发送')")
    assert page.url == form_url  # the page stayed, and says so
    assert page.locator("#save-status.offline").count() == 1
    assert page.is_enabled("button[type=submit][value=submit]")
    assert _record(scene.returned_interview_id).state == "returned"

    page.go_back()  # offline: the case page comes from this device's copy
    page.wait_for_url(case_url)
    assert tablet_scene_number(scene) in page.inner_text("h1")
    page.go_forward()
    page.wait_for_url(form_url)
    assert page.input_value("[name=record]") == OFFLINE_RECORD
    page.wait_for_function(
        "() => document.getElementById('save-status').textContent.includes('恢复连接后立即自动发送')")
    assert _record(scene.returned_interview_id).state == "returned"

    context.set_offline(False)  # the connection returns: the waiting submission goes by itself
    page.wait_for_url(f"{case_url}?submitted=*")
    record = _record(scene.returned_interview_id)
    assert record.state == "submitted"
    assert record.current.data["record"] == OFFLINE_RECORD
    assert len(record.versions) == 2
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('draft:')).length") == 0


def tablet_scene_number(scene) -> str:
    from service.cases.models import Case
    from service.db import db

    return db.session.get(Case, scene.case_id).number


@ON_SQLITE
@VIEWPORTS
def test_an_impossible_date_is_refused_beside_its_field_and_kept_as_typed(
        app, live_server, scene, open_page, viewport) -> None:
    base = live_server.url
    page = open_page(viewport, base, "chen")
    form_url = _form_url(base, scene.case_id, scene.returned_interview_id)
    page.goto(form_url)
    date_field = page.locator("[name=date]")
    date_field.fill("")
    date_field.focus()
    for part in ("02", "30", "2023"):  # typed into the field's mm/dd/yyyy: February 30th
        page.keyboard.type(part)
    assert date_field.evaluate("el => el.validity.badInput")  # the field holds what was typed
    page.click("button[type=submit][value=submit]")
    error = page.locator("td[data-field=date] .error.bad-date")
    error.wait_for()
    assert "没有这个日期" in error.inner_text()
    assert page.url == form_url
    assert date_field.evaluate("el => el.validity.badInput")  # still shown as typed, to correct
    assert _record(scene.returned_interview_id).state == "returned"
    date_field.fill("2023-02-28")
    assert page.locator("td[data-field=date] .error.bad-date").count() == 0

    # a browser without a date picker sends the text itself: it comes back as typed
    date_field.evaluate("el => { el.type = 'text'; }")
    date_field.fill("2023-02-30")
    page.click("button[type=submit][value=submit]")
    page.wait_for_load_state()
    page.locator("td[data-field=date] .error").first.wait_for()
    assert page.locator("[name=date]").input_value() == "2023-02-30"
    assert page.locator("[name=date]").get_attribute("type") == "text"
    assert _record(scene.returned_interview_id).state == "returned"


@ON_SQLITE
@VIEWPORTS
def test_the_footer_says_the_forms_state(app, live_server, scene, open_page, viewport) -> None:
    base = live_server.url
    worker = open_page(viewport, base, "chen")
    expected = {
        scene.intake_id: "已审批签字",
        scene.waiting_interview_id: "已提交：等待审核",
        scene.returned_interview_id: "已退回修改",
        scene.closing_id: "草稿：尚未提交",
    }
    for form_id, words in expected.items():
        worker.goto(_form_url(base, scene.case_id, form_id))
        assert words in worker.inner_text("#form-state"), form_id
        if form_id != scene.closing_id:
            assert "草稿已保存" not in worker.inner_text(".actions")
    worker.goto(f"{base}/cases/{scene.case_id}/forms/{scene.intake_id}/v1")
    assert "第1版" in worker.inner_text("#form-state")
    reviewer = open_page(viewport, base, "zhou")
    reviewer.goto(_form_url(base, scene.case_id, scene.waiting_interview_id))
    assert "等待您审核" in reviewer.inner_text("#form-state")
    assert "草稿已保存" not in reviewer.inner_text(".actions")

    # in English, the page and its script speak English (texts from the catalogs)
    worker.goto(_form_url(base, scene.case_id, scene.returned_interview_id) + "?lang=en")
    assert "Returned with comments" in worker.inner_text("#form-state")
    worker.context.set_offline(True)
    worker.fill("[name=purpose]", "Offline edit")
    worker.locator("[name=purpose]").blur()
    worker.wait_for_function(
        "() => document.getElementById('save-status').textContent.startsWith('Offline: kept on this device')")
    worker.context.set_offline(False)


@ON_SQLITE
@VIEWPORTS
def test_a_prefilled_name_is_replaced_not_appended_to(
        app, live_server, scene, open_page, viewport) -> None:
    base = live_server.url
    page = open_page(viewport, base, "chen")
    page.goto(f"{base}/cases/{scene.case_id}")
    page.locator("form[action$='/forms/C'] button").click()
    page.wait_for_url("**/forms/*")
    field = page.locator("[name=interviewee]")
    assert field.input_value() == "王建国"
    assert field.get_attribute("data-prefilled") == "1"
    field.tap()
    page.keyboard.type("王太太")
    assert field.input_value() == "王太太"
    assert page.locator("[name=contact]").get_attribute("data-prefilled") is None
    page.locator("[name=contact]").tap()
    field.tap()  # once changed, a tap places the caret as usual
    page.keyboard.press("End")
    page.keyboard.type("（妻子）")
    assert field.input_value() == "王太太（妻子）"


@ON_SQLITE
@VIEWPORTS
def test_a_returned_form_shows_each_comment_beside_its_field_and_how_to_resubmit(
        app, live_server, scene, open_page, viewport) -> None:
    base = live_server.url
    page = open_page(viewport, base, "chen")
    form_url = _form_url(base, scene.case_id, scene.returned_interview_id)
    page.goto(form_url)
    beside = page.locator("td[data-field=record] .field-comment")
    assert tablet_scene.FIELD_COMMENT in beside.inner_text()
    field, note = (page.locator("[name=record]").bounding_box(), beside.bounding_box())
    assert 0 <= note["y"] - (field["y"] + field["height"]) < 40  # right under its field
    assert page.locator("td:not([data-field=record]) .field-comment").count() == 0
    banner = page.locator("#review-comments")
    text = banner.inner_text()
    assert tablet_scene.RETURN_COMMENT in text and "再次提交" in text
    banner.locator("a[href='#comment-record']").click()  # the list leads to the field
    assert beside.evaluate("el => { const r = el.getBoundingClientRect();"
                           " return r.top >= 0 && r.bottom <= innerHeight; }")
    assert "已退回修改" in page.inner_text("#form-state")
    again = page.locator("button[type=submit][value=submit]")
    assert again.inner_text().strip() == "重新提交" and again.is_visible()
    assert page.locator(".actions button:visible").count() == 1  # one obvious way on
    box = again.bounding_box()
    assert box["y"] + box["height"] <= viewport["height"]  # the footer keeps it in sight

    page.fill("[name=record]", "案主儿子表示支持加装电梯，愿意参加下次协调会。")
    again.click()
    page.wait_for_url(f"{base}/cases/{scene.case_id}?submitted=*")
    record = _record(scene.returned_interview_id)
    assert record.state == "submitted"
    assert record.current.data["record"].startswith("案主儿子表示支持")
    page.goto(form_url)
    assert page.locator(".field-comment").count() == 0  # the comments went with the return
