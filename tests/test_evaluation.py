"""Outcomes as data: goal outcomes behind D's printed text, C's start and end, the places list,
follow-up dates, and the facts a stored form leaves for the figures."""

from __future__ import annotations

from datetime import date

import pytest

from service.annexes import CLOSING, INTERVIEW
from service.annexes.closing import GOAL_OUTCOMES
from service.annexes.examples import example
from service.annexes.schema import json_schema
from service.annexes.validate import clean, time_span_minutes
from service.evaluation.followup import add_months, due_dates, parse_months
from service.evaluation.places import PlacesError, load_places


def _problems(annex, data) -> dict[str, str]:
    return {p.key: p.message for p in clean(annex, data)[1]}


def test_goal_outcome_is_kept_behind_the_printed_text() -> None:
    goals = [{"seq": 1, "goal": "甲", "status": "已达成，情绪平稳", "remark": "", "outcome": "达成"},
             {"seq": 2, "goal": "乙", "status": "", "remark": "", "outcome": "部分达成"}]
    data, problems = clean(CLOSING, {**example("D"), "goals": goals})
    assert problems == []
    assert [(g["status"], g["outcome"]) for g in data["goals"]] == [
        ("已达成，情绪平稳", "达成"), ("", "部分达成")]
    assert CLOSING["goals"].columns[2].label == "目标达成情况"  # the printed label, unchanged
    assert [o.text for o in GOAL_OUTCOMES] == ["达成", "部分达成", "未达成"]


def test_an_outcome_outside_the_set_is_refused_beside_its_cell() -> None:
    goals = [{"seq": 1, "goal": "甲", "status": "", "remark": "", "outcome": "差不多"}]
    assert "goals.0.outcome" in _problems(CLOSING, {**example("D"), "goals": goals})


def test_the_schema_offers_the_outcomes() -> None:
    items = json_schema(CLOSING)["properties"]["goals"]["items"]["properties"]
    assert items["outcome"]["enum"] == ["", "达成", "部分达成", "未达成"]


def test_interview_time_as_start_and_end() -> None:
    assert time_span_minutes("14:30-15:45") == 75
    assert time_span_minutes("9:05至10:00") == 55
    assert time_span_minutes("14:30") is None  # older records: one time, still read
    assert time_span_minutes("") is None
    assert "time" in _problems(INTERVIEW, {**example("C"), "time": "15:00-14:00"})
    assert "time" not in _problems(INTERVIEW, {**example("C"), "time": "14:00-15:00"})
    assert "time" not in _problems(INTERVIEW, {**example("C"), "time": "14:00"})


def test_places_default_to_guangzhou_and_an_agency_list_is_checked(tmp_path) -> None:
    places = load_places()
    assert len(places.districts) == 11 and places.district("天河区") is not None
    assert places.check("天河区", "石牌街道") is None
    assert places.check("天河区", "北京街道") is not None  # a street of 越秀区
    assert places.check("从化区", "温泉镇") is None  # towns are listed beside streets
    for district in places.districts:
        assert district.streets, district.name
        assert len(set(district.streets)) == len(district.streets), district.name
    every = [s for d in places.districts for s in d.streets]
    # Guangzhou's published division: 142 街道 and 34 镇
    assert sum(s.endswith("街道") for s in every) == 142
    assert sum(s.endswith("镇") for s in every) == 34
    assert places.check("东城区", "") is not None
    own = tmp_path / "places.toml"
    own.write_text('[[district]]\nname = "越秀区"\nstreets = ["北京街道", "六榕街道"]\n'
                   '[[district]]\nname = "天河区"\nstreets = []\n',
                   encoding="utf-8")
    mine = load_places(own)
    assert mine.check("越秀区", "北京街道") is None
    assert mine.check("越秀区", "天河南街道") is not None
    assert mine.check("", "北京街道") is not None
    assert mine.check("天河区", "任何街道") is None  # no streets listed: any street
    own.write_text("[[district]]\nstreets = []\n", encoding="utf-8")
    with pytest.raises(PlacesError, match="name"):
        load_places(own)


def test_followups_fall_due_whole_months_later() -> None:
    assert due_dates(date(2024, 1, 31)) == [date(2024, 2, 29), date(2024, 4, 30)]
    assert add_months(date(2024, 11, 15), 3) == date(2025, 2, 15)
    assert parse_months("1, 6") == (1, 6)
    with pytest.raises(ValueError):
        parse_months("0")


def test_stored_forms_leave_their_facts(app, make_user) -> None:
    from sqlalchemy import select

    from service.cases import lifecycle
    from service.cases.evaluation import CaseEvaluation, CaseNeed, Followup, InterviewFact
    from service.db import db
    from tests.archive_helpers import signed_off

    worker = make_user("chen", "worker")
    director = make_user("li", "director")
    sign = {"worker": worker, "reviewer": director}
    case = lifecycle.open_case(worker=worker, client_name="王五", opened_on=date(2024, 5, 8))
    case.risk_grade = "低风险"
    b = lifecycle.new_form(case, "B")
    signed_off(b, {**example("B"), "needs": ["法律咨询", "情绪疏导"], "needs_other": ""}, **sign)
    c = lifecycle.new_form(case, "C")
    signed_off(c, {**example("C"), "date": "2024-05-20", "time": "09:00-10:30"}, **sign)
    d = lifecycle.new_form(case, "D")
    # the third goal's outcome is written as text only: unrated in the figures
    goals = [{"seq": n, "goal": g, "status": s, "remark": "", "outcome": o}
             for n, (g, s, o) in enumerate([("甲", "", "达成"), ("乙", "", "部分达成"),
                                            ("丙", "仍在跟进", "")], 1)]
    signed_off(d, {**example("D"), "closed_on": "2024-08-30", "goals": goals}, **sign)
    assert not case.is_open
    db.session.commit()

    row = db.session.get(CaseEvaluation, case.id)
    assert (row.case_source, row.goals_total, row.goals_met, row.goals_partly_met,
            row.goals_unrated) == (example("B")["case_source"], 3, 1, 1, 1)
    assert row.closing_type == example("D")["closing_type"]
    assert sorted(db.session.scalars(select(CaseNeed.need).where(CaseNeed.case_id == case.id))
                  ) == sorted(["法律咨询", "情绪疏导"])
    fact = db.session.get(InterviewFact, c.id)
    assert (fact.held_on, fact.minutes) == (date(2024, 5, 20), 90)
    due = db.session.scalars(select(Followup.due_on).where(Followup.case_id == case.id)
                             .order_by(Followup.due_on)).all()
    assert due == [date(2024, 9, 30), date(2024, 11, 30)]


def test_the_evaluation_page_stores_place_change_survey_and_followup(app, client, make_user,
                                                                     login_as) -> None:
    from service.cases import lifecycle
    from service.cases.evaluation import CaseEvaluation, Followup, SatisfactionSurvey
    from service.db import db
    from service.reports.figures import Scope
    from service.reports.period import year
    from service.reports.summary import summary
    from tests.archive_helpers import signed_off
    from tests.conftest import csrf_token

    worker = make_user("chen", "worker")
    case = lifecycle.open_case(worker=worker, client_name="王五", opened_on=date(2024, 5, 8))
    case.risk_grade = "低风险"
    closing = {**example("D"), "opened_on": "2024-05-08", "closed_on": "2024-06-01"}
    signed_off(lifecycle.new_form(case, "D"), closing, worker=worker,
               reviewer=make_user("li", "director"))
    db.session.commit()
    login_as(worker)
    page = f"/cases/{case.id}/evaluation"
    assert "2024-07-01" in client.get(page).get_data(as_text=True)
    token = csrf_token(client, page)
    bad = client.post(page, data={"csrf_token": token, "district": "东城区"},
                      follow_redirects=True)
    assert "不是本机构所列的区" in bad.get_data(as_text=True)
    client.post(page, data={"csrf_token": token, "district": "天河区", "street": "石牌街道",
                            "change_before": "2", "change_after": "4"})
    db.session.expire_all()
    row = db.session.get(CaseEvaluation, case.id)
    assert (row.place_district, row.place_street, row.change_before, row.change_after) == (
        "天河区", "石牌街道", 2, 4)
    shown = client.get(page).get_data(as_text=True)
    # the street box offers the chosen district's streets, and every district has its own list
    assert 'list="streets-天河区"' in shown
    tianhe = shown.split('<datalist id="streets-天河区"', 1)[1].split("</datalist>", 1)[0]
    assert '"石牌街道"' in tianhe and '"北京街道"' not in tianhe
    wrong = client.post(page, data={"csrf_token": token, "district": "天河区",
                                    "street": "北京街道"}, follow_redirects=True)
    assert "不是本机构所列该区的街道" in wrong.get_data(as_text=True)
    answers = {"csrf_token": token, "respondent": "phone", "attitude": "5", "timeliness": "4",
               "help": "3", "overall": "4", "comment": "<b>好</b>", "filled_on": "2024-07-02"}
    client.post(f"/cases/{case.id}/surveys", data=answers)
    refused = client.post(f"/cases/{case.id}/surveys", data={**answers, "overall": "9"},
                          follow_redirects=True)
    assert "五个" in refused.get_data(as_text=True) or "five" in refused.get_data(as_text=True)
    assert db.session.query(SatisfactionSurvey).count() == 1
    shown = client.get(page).get_data(as_text=True)
    assert "&lt;b&gt;好&lt;/b&gt;" in shown and "<b>好</b>" not in shown
    first = db.session.query(Followup).order_by(Followup.due_on).first()
    listed = client.get("/followups").get_data(as_text=True)
    assert case.number in listed and "2024-07-01" in listed
    client.post(f"/cases/{case.id}/followups/{first.id}",
                data={"csrf_token": token, "done_on": "2024-07-02", "finding": "问题再次出现",
                      "reopen": "1"})
    db.session.expire_all()
    assert db.session.get(Followup, first.id).done_on == date(2024, 7, 2)
    assert db.session.get(type(case), case.id).is_open
    assert db.session.query(Followup).filter(Followup.done_on.is_(None)).count() == 0
    s = summary(Scope(year(2024)))
    assert (s["satisfaction_rate"], s["followups_done"]) == (1.0, 1)
    assert s["by_place"]["天河区"]["satisfaction_rate"] == 1.0


def test_refresh_copies_the_facts_of_forms_stored_before_the_figures(app, make_user) -> None:
    from sqlalchemy import delete, select

    from service.cases import lifecycle, workflow
    from service.cases.evaluation import CaseEvaluation, CaseNeed, Followup, InterviewFact
    from service.db import db

    def submit(form: object, data: dict) -> None:
        workflow.submit(form, data, by=None, then=lambda _v: None)

    worker = make_user("chen", "worker")
    case = lifecycle.open_case(worker=worker, client_name="王五", opened_on=date(2024, 5, 8))
    submit(lifecycle.new_form(case, "B"), {**example("B"), "needs": ["法律咨询"], "needs_other": ""})
    c = lifecycle.new_form(case, "C")
    submit(c, {**example("C"), "date": "2024-05-20", "time": "09:00-10:00"})
    goals = [{"seq": 1, "goal": "甲", "status": "", "remark": "", "outcome": "达成"}]
    closing = {**example("D"), "closed_on": "2024-08-30", "goals": goals}
    submit(lifecycle.new_form(case, "D"), closing)
    lifecycle.close_case(case, CLOSING, closing)  # as the sign-off does (see test_workflow.py)
    db.session.commit()
    for table in (CaseNeed, InterviewFact, Followup, CaseEvaluation):  # as before the upgrade
        db.session.execute(delete(table))
    db.session.commit()
    run = app.test_cli_runner().invoke(args=["reports", "refresh"])
    assert run.exit_code == 0 and "1 cases" in run.output
    db.session.expire_all()
    assert db.session.get(CaseEvaluation, case.id).goals_met == 1
    assert db.session.get(InterviewFact, c.id).minutes == 60
    assert db.session.scalars(select(CaseNeed.need)).all() == ["法律咨询"]
    assert db.session.query(Followup).count() == 2
    again = app.test_cli_runner().invoke(args=["reports", "refresh"])
    assert again.exit_code == 0 and db.session.query(Followup).count() == 2


def test_the_closing_form_page_offers_and_keeps_each_goals_outcome(app, client, make_user,
                                                                   login_as) -> None:
    import re
    import uuid

    from werkzeug.datastructures import MultiDict

    from service.annexes import ANNEXES
    from service.annexes.process import Stage
    from service.cases import lifecycle
    from service.cases.evaluation import CaseEvaluation
    from service.db import db
    from service.forms.builder import to_formdata
    from tests.conftest import csrf_token

    worker = make_user("chen", "worker")
    case = lifecycle.open_case(worker=worker, client_name="王五", opened_on=date(2024, 5, 8))
    record = lifecycle.new_form(case, "D")
    db.session.commit()
    login_as(worker)
    url = f"/cases/{case.id}/forms/{record.id}"
    page = client.get(url).get_data(as_text=True)
    select = re.search(r'<select[^>]*name="goals-0-outcome"[^>]*>(.*?)</select>|'
                       r'<select[^>]*name="goals\.0\.outcome"[^>]*>(.*?)</select>', page, re.S)
    assert select, "each goal row offers its outcome"
    options = re.findall(r'<option[^>]*value="([^"]*)"', select.group(0))
    assert options == ["", "达成", "部分达成", "未达成"]
    data = {**example("D"), "opened_on": "2024-05-08", "closed_on": "2024-06-01",
            "goals": [{"seq": 1, "goal": "甲", "status": "情绪平稳", "remark": "",
                       "outcome": "部分达成"}]}
    fields = MultiDict(to_formdata(ANNEXES["D"], ANNEXES["D"].worker_part(data)))
    fields["csrf_token"] = csrf_token(client, url)
    fields["submission_token"] = uuid.uuid4().hex
    assert client.post(url, data=fields).status_code == 302
    db.session.expire_all()
    stored = db.session.get(type(record), record.id).current.data["goals"][0]
    assert (stored["status"], stored["outcome"]) == ("情绪平稳", "部分达成")
    # the outcomes count once the director signs the closing off, not at its submission
    assert db.session.get(type(case), case.id).stage == Stage.PENDING_CLOSURE
    evaluation = db.session.get(CaseEvaluation, case.id)
    assert evaluation is None or evaluation.goals_partly_met == 0


def test_a_corrected_intake_replaces_its_case_needs_and_no_other_case_s(app, make_user):
    """The needs an intake names are the case's needs as last submitted: a corrected version
    replaces them, and another case's stay as they are."""
    from sqlalchemy import select

    from service.cases import lifecycle, workflow
    from service.cases.evaluation import CaseNeed
    from service.db import db

    worker = make_user("chen", "worker")
    supervisor = make_user("zhao", "supervisor")

    def needs(case) -> list[str]:
        return sorted(db.session.scalars(select(CaseNeed.need)
                                         .where(CaseNeed.case_id == case.id)))

    cases, forms = [], []
    for first in (["法律咨询", "情绪疏导"], ["链接资源"]):
        case = lifecycle.open_case(worker=worker)
        form = lifecycle.new_form(case, "B", by=worker)
        workflow.submit(form, {**example("B"), "needs": first, "needs_other": ""}, by=worker)
        db.session.commit()
        cases.append(case)
        forms.append(form)
    assert needs(cases[0]) == sorted(["法律咨询", "情绪疏导"])
    workflow.return_(forms[0], "请核对需求", by=supervisor)
    workflow.submit(forms[0], {**example("B"), "needs": ["危机介入"], "needs_other": ""},
                    by=worker)
    db.session.commit()
    assert needs(cases[0]) == ["危机介入"]
    assert needs(cases[1]) == ["链接资源"]
