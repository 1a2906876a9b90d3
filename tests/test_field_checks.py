"""Dates that cannot lie in the future are refused beside their field; posted names that name
no cell of the form (``goals.².goal``, a mapping key ``map:B``) are a 422 naming them."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest
from werkzeug.datastructures import MultiDict

from service.annexes import ANNEXES
from service.annexes.examples import example, worker_example
from service.annexes.validate import IN_FUTURE, clean, local_today
from service.cases.models import FormVersion
from service.db import db
from service.forms.builder import to_formdata
from tests.conftest import csrf_token, login

TODAY = date(2024, 5, 8)


def _future_problems(code: str, data: dict) -> set[str]:
    _, problems = clean(ANNEXES[code], data, today=TODAY)
    return {p.key for p in problems if p.message == IN_FUTURE}


@pytest.mark.parametrize(("code", "key"), [
    ("B", "first_contact_date"), ("C", "date"), ("D", "opened_on"), ("D", "closed_on")])
def test_a_date_after_today_is_refused(code: str, key: str) -> None:
    data = example(code)
    data[key] = "2024-05-09"
    assert key in _future_problems(code, data)
    data[key] = "2024-05-08"  # today itself is fine
    assert key not in _future_problems(code, data)


def test_signature_dates_and_a_birth_month_cannot_be_in_the_future() -> None:
    data = example("B")
    data["worker_signature"] = {"date": "2024-06-01"}
    data["director_approval"] = {"date": "2024-05-09", "remark": "同意"}
    data["birth_month"] = "2024-06"
    assert _future_problems("B", data) >= {"worker_signature.date", "director_approval.date",
                                           "birth_month"}
    data["birth_month"] = "2024-05"
    assert "birth_month" not in _future_problems("B", data)


def test_every_date_the_issue_names_is_declared_past_only() -> None:
    """contact, interview, opening, closing and every signature."""
    from service.annexes.model import Kind

    for annex in ANNEXES.values():
        for f in annex:
            if f.kind in (Kind.DATE, Kind.SIGNATURE):
                assert f.past_only, (annex.code, f.name)


def test_today_is_the_date_where_the_forms_are_filled() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    assert local_today() == datetime.now(ZoneInfo("Asia/Shanghai")).date()


@pytest.fixture
def signed_in(client, make_user):
    login(client, make_user("chen", "worker"))
    return client


def _open_case(client) -> tuple[int, int]:
    response = client.post("/cases/new", data={"csrf_token": csrf_token(client, "/cases")})
    found = re.search(r"/cases/(\d+)/forms/(\d+)$", response.location)
    assert found
    return int(found[1]), int(found[2])


def _posted(client, url: str, data: dict) -> MultiDict:
    fields = MultiDict(to_formdata(ANNEXES["B"], data))
    fields["csrf_token"] = csrf_token(client, url)
    fields["submission_token"] = uuid.uuid4().hex
    return fields


def test_the_form_page_refuses_a_case_opened_in_2099_beside_the_field(app, signed_in) -> None:
    case_id, form_id = _open_case(signed_in)
    url = f"/cases/{case_id}/forms/{form_id}"
    data = worker_example("B")
    data["first_contact_date"] = "2099-01-01"
    data.pop("age")  # it follows from the contact date
    before = db.session.query(FormVersion).count()
    response = signed_in.post(url, data=_posted(signed_in, url, data))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "不能是将来的日期" in page
    assert db.session.query(FormVersion).count() == before
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    data["first_contact_date"] = tomorrow
    assert signed_in.post(url, data=_posted(signed_in, url, data)).status_code == 422
    data["first_contact_date"] = local_today().isoformat()
    assert signed_in.post(url, data=_posted(signed_in, url, data)).status_code == 302


@pytest.mark.parametrize("name", ["goals.².goal", "goals.0.nosuch", "goals.99999.goal",
                                  "goals.x", "worker_signature.script"])
def test_a_crafted_field_name_is_a_422_naming_it(app, signed_in, name: str) -> None:
    case_id, form_id = _open_case(signed_in)
    url = f"/cases/{case_id}/forms/{form_id}"
    fields = _posted(signed_in, url, {"client_name": "李四"})
    fields[name] = "x"
    for route, headers in ((url, {}), (url + "/draft", {"X-Requested-With": "fetch"})):
        response = signed_in.post(route, data=fields, headers=headers)
        assert response.status_code == 422, (route, response.status_code)
        text = response.get_json()["error"] if headers else response.get_data(as_text=True)
        assert name in text, text[:400]


def test_a_crafted_mapping_key_is_a_422_naming_it(app, client, make_user) -> None:
    from service.cases.imported import ImportRun, RunState

    user = make_user("zhou", "supervisor")
    login(client, user)
    run = ImportRun(created_by_id=user.id, upload_name="x.zip", state=RunState.CHECKED)
    db.session.add(run)
    db.session.commit()
    token = csrf_token(client, f"/imports/{run.id}")
    for key, value, named in (("map:B", "client_name", "map:B"),
                              ("map:X:姓名", "client_name", "map:X:姓名"),
                              ("map:B:姓名", "nosuch", "map:B:姓名=nosuch")):
        response = client.post(f"/imports/{run.id}/mapping",
                               data={"csrf_token": token, key: value})
        assert response.status_code == 422, key
        assert named in response.get_data(as_text=True)


def test_the_api_refuses_a_future_date_naming_the_field(app, client, bearer) -> None:
    headers = bearer("api", "worker")
    data = example("C")
    data["date"] = "2099-01-01"
    response = client.post("/api/v1/documents/C", json=data, headers=headers)
    assert response.status_code == 422
    assert "date" in {e["field"] for e in response.get_json()["errors"]}


def test_parsing_a_closing_form_names_every_crafted_cell_path() -> None:
    from service.forms.builder import FieldNameError, parse_formdata

    posted = MultiDict({"goals.0.goal": "稳定情绪", "goals.².goal": "x", "goals.0.nosuch": "x",
                        "director_signature.date.x": "x", "field_comment.goals": "kept",
                        "csrf_token": "t"})
    with pytest.raises(FieldNameError) as refused:
        parse_formdata(ANNEXES["D"], posted)
    assert sorted(refused.value.names) == ["director_signature.date.x", "goals.0.nosuch",
                                           "goals.².goal"]
    del posted["goals.².goal"], posted["goals.0.nosuch"], posted["director_signature.date.x"]
    assert parse_formdata(ANNEXES["D"], posted)["goals"] == [{"goal": "稳定情绪"}]


def test_text_holding_nul_is_a_422_naming_where_never_a_500(app, signed_in, bearer) -> None:
    """U+0000 in a posted field, a submission key, a query or a JSON string: PostgreSQL holds no
    such text, and each had answered a 500 there. Refused before any view, naming where; nothing
    is stored."""
    from service.cases.models import Case

    case_id, form_id = _open_case(signed_in)
    url = f"/cases/{case_id}/forms/{form_id}"
    before = db.session.query(FormVersion).count()
    for name in ("client_name", "submission_token"):
        fields = _posted(signed_in, url, {"client_name": "李四"})
        fields[name] = "李\x00四"
        response = signed_in.post(url, data=fields)
        assert response.status_code == 422, (name, response.status_code)
        page = response.get_data(as_text=True)
        assert "U+0000" in page and name in page, page[:400]
    fields = _posted(signed_in, url, {"client_name": "李四"})
    fields["client\x00_name"] = "x"
    answer = signed_in.post(url + "/draft", data=fields, headers={"X-Requested-With": "fetch"})
    assert answer.status_code == 422 and "client\\0_name" in answer.get_json()["error"]
    assert db.session.query(FormVersion).count() == before
    assert signed_in.get("/cases", query_string={"q": "a\x00"}).status_code == 422
    headers = bearer("api-worker", "worker")
    cases = db.session.query(Case).count()
    response = signed_in.post("/api/v1/cases", json={"client_name": "王\x00五"}, headers=headers)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert "client_name" in response.get_json()["title"]
    nested = signed_in.put(f"/api/v1/cases/{case_id}/forms/{form_id}",
                           json={"data": {"goals": [{"goal": "\x00"}]}}, headers=headers)
    assert nested.status_code == 422 and "data.goals.0.goal" in nested.get_json()["title"]
    assert db.session.query(Case).count() == cases
    draft = signed_in.post(url + "/draft", data=_posted(signed_in, url, {"client_name": "李四"}),
                           headers={"X-Requested-With": "fetch"})
    assert draft.status_code == 200, draft.get_data(as_text=True)[:300]  # text without NUL
