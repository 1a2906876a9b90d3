"""The statistics page in real headless Chromium at a tablet's size: a director picks last
quarter, reads the figures and the charts with their numbers, follows a figure to the cases
behind it, downloads the workbook, and has the service report's PDF/A made by the queue."""

from __future__ import annotations

import io
import subprocess
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from service.reports.period import previous_quarter
from tests.browser import TABLET_PORTRAIT, sign_in
from tests.test_reports import build_case

pytestmark = [pytest.mark.office, pytest.mark.parametrize("database_url", ["sqlite"],
                                                          indirect=True)]

LAST_QUARTER = previous_quarter(date.today())


def _day(offset: int) -> str:
    return (LAST_QUARTER.start + timedelta(days=offset)).isoformat()


@pytest.fixture
def last_quarter(app, make_user) -> dict[str, Any]:
    """Three cases of last quarter whose figures are counted here by hand."""
    from service.auth.models import Team
    from service.db import db

    team = Team(name="东组")
    db.session.add(team)
    db.session.commit()
    chen = make_user("chen", "worker", team_id=team.id)
    make_user("zhou", "director")
    cases = {
        # opened and closed within the quarter, two goals: one met, one partly
        "a": build_case(chen, _day(9), needs=("法律咨询",), place="天河区",
                        interviews=((_day(11), "09:00-10:30"),), closed=_day(40),
                        outcomes=("达成", "部分达成"), risk="高风险"),
        # opened within the quarter and still open
        "b": build_case(chen, _day(20), needs=("政策引导",), place="越秀区",
                        interviews=((_day(25), "14:00-15:00"),)),
        # opened before the quarter, transferred within it, its one goal met
        "c": build_case(chen, (LAST_QUARTER.start - timedelta(days=30)).isoformat(),
                        needs=("法律咨询",), place="天河区", closed=_day(50),
                        transfer_reason="社工的工作变动", outcomes=("达成",)),
    }
    db.session.commit()
    return {name: case.number for name, case in cases.items()}


def _figure(page: Any, key: str) -> str:
    return page.locator(f'table.figures tr:has(code:text-is("{key}")) td.number').inner_text()


def test_a_director_reads_last_quarter_and_takes_the_workbook_and_the_report(
        app, live_server, tablet, last_quarter, tmp_path: Path) -> None:
    base = live_server.url
    page = tablet.new_page()
    sign_in(page, base, "zhou")
    page.goto(f"{base}/statistics?period=2019")
    assert _figure(page, "cases_new") == "0"

    # last quarter, picked from the page
    page.get_by_role("link", name="上季度").click()
    page.wait_for_url(f"**/statistics?from={LAST_QUARTER.start.isoformat()}*")
    heading = page.locator("h1").inner_text()
    assert LAST_QUARTER.start.isoformat() in heading and LAST_QUARTER.end.isoformat() in heading
    counted = {"cases_new": "2", "cases_closed": "1", "cases_transferred": "1",
               "caseload": "3", "interviews": "2", "service_hours": "2.5",
               "goal_achievement_rate": "0.6667"}
    for key, value in counted.items():
        assert _figure(page, key) == value, key

    # the charts are drawn, each bar with its number beside it, and named for a screen reader
    places = page.locator("#chart-places svg")
    assert places.is_visible() and places.get_attribute("role") == "img"
    assert places.get_attribute("aria-label")
    drawn = places.locator("text").all_text_contents()
    assert drawn[drawn.index("天河区") + 1] == "2" and drawn[drawn.index("越秀区") + 1] == "1"
    # nothing wider than the tablet: wide tables scroll inside their own box
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET_PORTRAIT["width"]
    width = page.evaluate("document.querySelector('#chart-places svg').getBoundingClientRect()"
                          ".width")
    assert 0 < width <= TABLET_PORTRAIT["width"]

    # a figure leads to the cases behind it
    page.locator('table.figures tr:has(code:text-is("caseload")) td.number a').click()
    page.wait_for_url("**/statistics/cases?*figure=caseload*")
    listed = page.locator("main").inner_text()
    assert all(number in listed for number in last_quarter.values())
    page.go_back()

    # the workbook holds the same figures as stored values
    with page.expect_download() as download:
        page.get_by_role("link", name="下载工作簿（XLSX）").click()
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    summary = {row[0]: row[2] for row in book["汇总"].iter_rows(min_row=2, values_only=True)}
    assert summary["from"] == LAST_QUARTER.start.isoformat()
    for key, value in counted.items():
        assert str(summary[key]) == value, key

    # the service report's PDF/A, made by the queue and downloaded from its page
    page.select_option("#report-lang", "zh")
    page.get_by_role("button", name="生成 PDF/A").click()
    page.wait_for_url("**/statistics/reports/*", timeout=180_000)
    state = page.locator("#report-state")
    state.filter(has_text="已完成").wait_for(timeout=180_000)
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 PDF/A").click()
    pdf = Path(download.value.path())
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "信访社会工作服务报告" in text and LAST_QUARTER.start.isoformat() in text
