"""Every figure of the summary against a count by hand of cases built with known outcomes, on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from service.annexes.examples import example
from service.reports.period import PeriodError, between, parse_period, previous_quarter, quarter

Q2 = quarter(2024, 2)


def test_periods() -> None:
    assert parse_period("2024-Q2") == Q2 == parse_period("2024q2")
    assert parse_period("2024-02").end == date(2024, 2, 29)
    assert parse_period("2024").start == date(2024, 1, 1)
    assert previous_quarter(date(2025, 2, 1)) == quarter(2024, 4)
    assert between("2024-04-01", "2024-06-30") == Q2
    for bad in ("2024-13", "Q2", ""):
        with pytest.raises(PeriodError):
            parse_period(bad)
    with pytest.raises(PeriodError):
        between("2024-06-30", "2024-04-01")


def build_case(worker: Any, opened: str, *, needs: tuple[str, ...] = (),
               source: str = "案主主动咨询", place: str = "",
               interviews: tuple[tuple[str, str], ...] = (), closed: str | None = None,
               transfer_reason: str = "", outcomes: tuple[str, ...] = (),
               change: tuple[int, int] | None = None, risk: str | None = None,
               special: str | None = None) -> Any:
    """A case whose forms say exactly what the arguments say."""
    from service.annexes import CLOSING
    from service.cases import lifecycle, workflow
    from service.cases.evaluation import evaluation_of

    def submit(code: str, data: dict) -> None:
        workflow.submit(lifecycle.new_form(case, code), data, by=None, then=lambda _v: None)

    case = lifecycle.open_case(worker=worker, client_name="某某",
                               opened_on=date.fromisoformat(opened))
    intake = {**example("B"), "first_contact_date": opened, "needs": list(needs),
              "needs_other": "", "age": None, "case_source": source, "case_source_visit": "",
              "case_source_referrer": ""}
    if source == "转介人/单位":
        intake["case_source_referrer"] = "街道办"
    submit("B", intake)
    for day, time in interviews:
        submit("C", {**example("C"), "date": day, "time": time})
    row = evaluation_of(case)
    row.place_district = place
    if change:
        row.change_before, row.change_after = change
    case.risk_grade = risk
    case.special_process = special
    if closed:
        goals = [{"seq": n, "goal": f"目标{n}", "status": "", "remark": "", "outcome": o}
                 for n, o in enumerate(outcomes, start=1)]
        closing = {**example("D"), "opened_on": opened, "closed_on": closed, "goals": goals,
                   "category": "个案转介" if transfer_reason else "个案结束",
                   "transfer_reason": transfer_reason,
                   "closing_type": "转介" if transfer_reason else "目标达成"}
        submit("D", closing)
        # the figures count closed cases: closed here as a sign-off would (the review cycle
        # itself is tested in test_workflow.py)
        lifecycle.close_case(case, CLOSING, closing)
    return case


@pytest.fixture
def known(app, make_user) -> dict[str, Any]:
    """Five cases around the second quarter of 2024, each figure countable by hand."""
    from sqlalchemy import select

    from service.auth.models import Team
    from service.cases.evaluation import Followup
    from service.db import db

    east, west = Team(name="东组"), Team(name="西组")
    db.session.add_all([east, west])
    db.session.commit()
    chen = make_user("chen", "worker", team_id=east.id)
    li = make_user("li", "worker", team_id=west.id)
    cases = {
        "c1": build_case(chen, "2024-04-10", needs=("法律咨询", "情绪疏导"), place="天河区",
                         interviews=(("2024-04-12", "09:00-10:30"), ("2024-05-01", "14:00-15:00")),
                         closed="2024-05-20", outcomes=("达成", "达成", "部分达成"),
                         change=(2, 4), risk="高风险"),
        "c2": build_case(chen, "2024-03-01", needs=("法律咨询",), place="天河区",
                         interviews=(("2024-04-05", "10:00"),), special="集体上访"),
        "c3": build_case(li, "2024-05-05", needs=("政策引导",), place="越秀区",
                         source="转介人/单位", closed="2024-06-10",
                         transfer_reason="社工的工作变动", outcomes=("未达成", ""), change=(3, 3)),
        "c4": build_case(li, "2024-07-02", needs=("法律咨询",), place="越秀区",
                         interviews=(("2024-07-03", "09:00-12:00"),)),
        "c5": build_case(chen, "2024-01-05", needs=("危机介入",), closed="2024-02-01",
                         interviews=(("2024-01-20", "09:00-09:30"),), outcomes=("达成",)),
    }
    first = db.session.scalar(select(Followup).where(Followup.case_id == cases["c5"].id,
                                                     Followup.due_on == date(2024, 5, 1)))
    first.done_on, first.finding = date(2024, 5, 3), "情况稳定"
    db.session.commit()
    return {"cases": cases, "chen": chen, "li": li, "east": east}


def test_every_figure_agrees_with_a_count_by_hand(known) -> None:
    from service.reports.figures import Scope
    from service.reports.summary import summary

    s = summary(Scope(Q2))
    assert (s["from"], s["to"]) == ("2024-04-01", "2024-06-30")
    expected = {
        "cases_new": 2,  # c1, c3
        "cases_open": 1,  # c2 (c1 closed, c3 transferred, c4 not yet opened)
        "cases_closed": 1, "cases_transferred": 1,
        "caseload": 3,  # c1, c2, c3
        "interviews": 3, "service_hours": 2.5, "interviews_untimed": 1,
        "goal_rows": 5, "goal_rows_met": 2, "goal_rows_unrated": 1,
        "goal_achievement_rate": 0.4,
        "median_days_to_close": 38.0,  # 40 (c1) and 36 (c3)
        "change_rated": 2, "change_improved": 1, "change_mean": 1.0,
        "followups_due": 2,  # c5 on 1 May, c1 on 20 June
        "followups_done": 1, "followups_overdue": 2,  # c5's of 1 March, c1's
        "satisfaction_rate": None,
    }
    assert {k: s[k] for k in expected} == expected
    assert s["needs"] == {"法律咨询": 2, "政策引导": 0 + 1, "情绪疏导": 1, "家庭关系调适": 0,
                          "危机介入": 0, "邻里纠纷": 0, "诉求解决": 0, "链接资源": 0, "其他": 0}
    assert s["by_worker"]["chen"] == {
        "cases_new": 1, "cases_open": 1, "cases_closed": 1, "cases_transferred": 0,
        "caseload": 2, "interviews": 3, "service_hours": 2.5,
        "goal_achievement_rate": 0.6667, "satisfaction_rate": None,
        "median_days_to_close": 40.0, "followups_due": 2, "followups_done": 1}
    assert s["by_worker"]["li"] == {
        "cases_new": 1, "cases_open": 0, "cases_closed": 0, "cases_transferred": 1,
        "caseload": 1, "interviews": 0, "service_hours": 0.0,
        "goal_achievement_rate": 0.0, "satisfaction_rate": None,
        "median_days_to_close": 36.0, "followups_due": 0, "followups_done": 0}
    assert set(s["by_team"]) == {"东组", "西组"}
    assert s["by_team"]["东组"]["interviews"] == 3
    assert {k: (v["cases_new"], v["caseload"], v["followups_due"])
            for k, v in s["by_place"].items()} == {
        "天河区": (1, 2, 1), "越秀区": (1, 1, 0), "未登记": (0, 0, 1)}
    assert s["needs_by_place"] == {"天河区": {"法律咨询": 2, "情绪疏导": 1},
                                   "越秀区": {"政策引导": 1}}
    assert s["transfers_by_reason"]["社工的工作变动"] == 1
    assert sum(s["transfers_by_reason"].values()) == 1
    assert s["closing_types"]["目标达成"] == 1 and s["closing_types"]["转介"] == 1
    assert s["special_processes"] == {"集体上访": 1, "非理性上访": 0, "生活困难上访": 0}
    assert s["risk_grades"] == {"高风险": 1, "中风险": 0, "低风险": 0, "未评定": 2}
    assert s["case_sources"] == {"案主主动咨询": 1, "社工探访/接访": 0, "转介人/单位": 1}


def test_a_scope_narrows_every_figure(known) -> None:
    from sqlalchemy import select

    from service.cases.models import Case
    from service.reports.figures import Scope
    from service.reports.summary import summary

    li = summary(Scope(Q2, worker_id=known["li"].id))
    assert (li["cases_new"], li["caseload"], li["goal_achievement_rate"]) == (1, 1, 0.0)
    assert set(li["by_worker"]) == {"li"}
    place = summary(Scope(Q2, district="天河区"))
    assert (place["cases_new"], place["caseload"], place["interviews"]) == (1, 2, 3)
    only_c2 = select(Case.id).where(Case.id == known["cases"]["c2"].id)
    seen = summary(Scope(Q2), visible=only_c2)
    assert (seen["caseload"], seen["cases_new"], seen["interviews"]) == (1, 0, 1)
    empty = summary(Scope(quarter(2030, 1)))
    assert (empty["cases_new"], empty["goal_achievement_rate"],
            empty["median_days_to_close"]) == (0, None, None)


def test_the_cases_behind_a_figure(known) -> None:
    from service.db import db
    from service.reports.figures import BY_KEY, Scope, cases_behind

    ids = set(db.session.scalars(cases_behind(BY_KEY["caseload"], Scope(Q2))))
    c = known["cases"]
    assert ids == {c["c1"].id, c["c2"].id, c["c3"].id}
    assert set(db.session.scalars(cases_behind(BY_KEY["followups_due"], Scope(Q2)))) == {
        c["c1"].id, c["c5"].id}


def test_the_command_writes_json_and_a_workbook_that_read_back(app, known, tmp_path) -> None:
    import json

    from openpyxl import load_workbook

    runner = app.test_cli_runner()
    run = runner.invoke(args=["reports", "summary", "--from", "2024-04-01", "--to", "2024-06-30",
                              "--format", "json"])
    assert run.exit_code == 0, run.output
    data = json.loads(run.output)
    assert (data["cases_new"], data["service_hours"], data["by_worker"]["li"]["cases_new"]) == (
        2, 2.5, 1)
    out = tmp_path / "q2.xlsx"
    run = runner.invoke(args=["reports", "summary", "--from", "2024-04-01", "--to", "2024-06-30",
                              "--format", "xlsx", "--out", str(out)])
    assert run.exit_code == 0, run.output
    book = load_workbook(out)  # stored values, not formulas
    rows = {r[0]: (r[1], r[2]) for r in book["汇总"].iter_rows(min_row=2, values_only=True)}
    assert rows["cases_new"] == ("新开个案数", 2)
    assert rows["goal_achievement_rate"] == ("服务目标达成率", 0.4)
    assert rows["median_days_to_close"] == ("结案天数中位数", 38)
    assert rows["satisfaction_rate"][1] is None
    workers = {r[0]: r[1] for r in book["按社工"].iter_rows(min_row=2, values_only=True)}
    assert workers == {"chen": 1, "li": 1}
    numbers = [r[0] for r in book["个案明细"].iter_rows(min_row=2, values_only=True)]
    assert numbers == sorted(known["cases"][k].number for k in ("c1", "c2", "c3"))
    c1 = next(r for r in book["个案明细"].iter_rows(min_row=2, values_only=True)
              if r[0] == known["cases"]["c1"].number)
    assert c1[1:4] == ("chen", "东组", "天河区") and c1[8:12] == (2, 150, 3, 2)
    assert {r[0]: r[1] for r in book["问题需要"].iter_rows(min_row=2, values_only=True)
            }["法律咨询"] == 2
    bad = runner.invoke(args=["reports", "summary", "--from", "2024-06-31", "--to", "2024-07-01"])
    assert bad.exit_code != 0 and "2024-05-08" in bad.output
    nobody = runner.invoke(args=["reports", "summary", "--from", "2024-04-01", "--to",
                                 "2024-06-30", "--worker", "nobody"])
    assert nobody.exit_code != 0 and "nobody" in nobody.output


def test_the_statistics_page_for_directors_and_monitors(app, known, make_user) -> None:
    import io
    import re

    from openpyxl import load_workbook

    from tests.conftest import login

    director = make_user("zhou", "director")
    monitor = make_user("jian", "monitor")
    q2 = "from=2024-04-01&to=2024-06-30"
    client = app.test_client()
    login(client, director)
    page = client.get(f"/statistics?{q2}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<svg" in html and "style=" not in html
    link = re.search(r'href="(/statistics/cases\?[^"]*figure=caseload[^"]*)"', html)
    assert link, "the caseload figure links to its cases"
    listed = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    c = known["cases"]
    assert all(c[k].number in listed for k in ("c1", "c2", "c3"))
    assert c["c4"].number not in listed and "某某" not in listed  # names masked
    bad = client.get("/statistics?from=2024-06-31&to=2024-07-01").get_data(as_text=True)
    assert "2024-05-08" in bad  # the error says how to write a date
    book = load_workbook(io.BytesIO(client.get(f"/statistics/workbook?{q2}").data))
    assert "个案明细" in book.sheetnames
    from docx import Document

    report = client.get(f"/statistics/report?{q2}&lang=en")
    assert report.status_code == 200
    assert "Petition social work service report" in "\n".join(
        p.text for p in Document(io.BytesIO(report.data)).paragraphs)

    watcher = app.test_client()
    login(watcher, monitor)
    seen = watcher.get(f"/statistics?{q2}").get_data(as_text=True)
    assert "/statistics/cases" not in seen and ">2<" in seen
    assert watcher.get(f"/statistics/cases?figure=caseload&{q2}").status_code == 403
    book = load_workbook(io.BytesIO(watcher.get(f"/statistics/workbook?{q2}").data))
    assert "个案明细" not in book.sheetnames

    worker = app.test_client()
    login(worker, known["chen"])
    assert worker.get(f"/statistics?{q2}").status_code == 403


def test_get_summary_over_the_api_and_in_the_openapi_document(app, known, make_user) -> None:
    from service.auth.users import issue_token
    from service.db import db

    director, monitor = make_user("zhou", "director"), make_user("jian", "monitor")
    tokens = {u.username: issue_token(u) for u in (director, monitor, known["chen"])}
    db.session.commit()
    client = app.test_client()

    def get(who: str, query: str):
        return client.get(f"/api/v1/reports/summary?{query}",
                          headers={"Authorization": f"Bearer {tokens[who]}"})

    answer = get("zhou", "from=2024-04-01&to=2024-06-30")
    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["cases_new"], body["goal_achievement_rate"], body["needs"]["法律咨询"]) == (
        2, 0.4, 2)
    assert get("jian", "from=2024-04-01&to=2024-06-30&worker=li").get_json()["cases_new"] == 1
    assert get("jian", "from=2024-04-01&to=2024-06-30&place=越秀区").get_json()[
        "caseload"] == 1
    bad = get("zhou", "from=2024-04-01&to=yesterday")
    assert bad.status_code == 400 and bad.mimetype == "application/problem+json"
    assert [e["field"] for e in bad.get_json()["errors"]] == ["from"]
    assert get("zhou", "from=2024-04-01&to=2024-06-30&worker=nobody").status_code == 400
    assert get("chen", "from=2024-04-01&to=2024-06-30").status_code == 403
    spec = client.get("/api/v1/openapi.json").get_json()
    op = spec["paths"]["/api/v1/reports/summary"]["get"]
    assert op["operationId"] == "getSummary"
    example = op["responses"]["200"]["content"]["application/json"]["example"]
    assert set(example) >= {"cases_new", "satisfaction_rate", "by_worker", "by_place", "needs"}


def test_the_public_report_in_word_and_pdf_suppresses_small_counts(app, known, tmp_path) -> None:
    import subprocess

    from docx import Document

    from service.reports.public import shown

    assert (shown("cases_new", 4), shown("cases_new", 5), shown("goal_achievement_rate", 0.4)
            ) == ("<5", "5", "40.0%")
    runner = app.test_cli_runner()
    period = ["reports", "summary", "--from", "2024-04-01", "--to", "2024-06-30"]
    for lang, title in (("zh", "信访社会工作服务报告"), ("en", "Petition social work service report")):
        out = tmp_path / f"q2-{lang}.docx"
        run = runner.invoke(args=[*period, "--format", "docx", "--lang", lang, "--out", str(out)])
        assert run.exit_code == 0, run.output
        doc = Document(str(out))
        text = "\n".join(p.text for p in doc.paragraphs)
        assert title in text and "2024-04-01" in text
        cells = [[c.text for c in row.cells] for row in doc.tables[0].rows]
        rows = {r[2]: r[1] for r in cells[1:]}
        assert rows["cases_new"] == "<5" and rows["goal_achievement_rate"] == "40.0%"
        assert "chen" not in text and all("chen" not in c for r in cells for c in r)
        assert len(doc.inline_shapes) == 2  # the two charts
    pdf = tmp_path / "q2.pdf"
    run = runner.invoke(args=[*period, "--format", "pdf", "--out", str(pdf)])
    assert run.exit_code == 0, run.output
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "信访社会工作服务报告" in text and "<5" in text
