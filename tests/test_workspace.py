"""The case workspace through its pages, on SQLite and PostgreSQL: open, fill, save, submit."""

from __future__ import annotations

import re
import uuid
from html import unescape

import pytest
from werkzeug.datastructures import MultiDict

from service.annexes import ANNEXES
from service.annexes.examples import example, worker_example
from service.cases.models import Case, FormRecord, FormVersion
from service.db import db
from service.forms.builder import to_formdata
from tests.conftest import csrf_token, login


@pytest.fixture
def worker(app, make_user):
    return make_user("chen", "worker")


@pytest.fixture
def signed_in(client, worker):
    login(client, worker)
    return client


def _open_case(client) -> tuple[int, int]:
    token = csrf_token(client, "/cases")
    response = client.post("/cases/new", data={"csrf_token": token})
    assert response.status_code == 302
    m = re.search(r"/cases/(\d+)/forms/(\d+)$", response.location)
    assert m
    return int(m[1]), int(m[2])


def _add_form(client, case_id: int, code: str) -> int:
    token = csrf_token(client, f"/cases/{case_id}")
    response = client.post(f"/cases/{case_id}/forms/{code}", data={"csrf_token": token})
    assert response.status_code == 302, response.status_code
    return int(response.location.rsplit("/", 1)[1])


def _post_form(client, case_id: int, form_id: int, data: dict, token: str | None = None):
    url = f"/cases/{case_id}/forms/{form_id}"
    fields = MultiDict(to_formdata(ANNEXES[_annex_of(form_id)], data))
    fields["csrf_token"] = csrf_token(client, url)
    fields["submission_token"] = token or uuid.uuid4().hex
    return client.post(url, data=fields)


def _annex_of(form_id: int) -> str:
    return db.session.get(FormRecord, form_id).annex


def test_blank_intake_shows_every_label_and_box_unticked(signed_in) -> None:
    case_id, form_id = _open_case(signed_in)
    page = signed_in.get(f"/cases/{case_id}/forms/{form_id}").get_data(as_text=True)
    annex = ANNEXES["B"]
    text = unescape(re.sub(r"<[^>]+>", " ", page))
    for f in annex:
        assert f.label in text, f.label
        for option in f.options:
            assert (option.printed if option.cue else option.text) in text
    boxes = re.findall(r'<input[^>]+type="(?:radio|checkbox)"[^>]*>', page)
    assert len(boxes) == sum(len(f.options) for f in annex if f.is_choice)
    assert not any("checked" in b for b in boxes)


def test_submit_stores_one_version_and_a_double_submit_stores_nothing_more(signed_in) -> None:
    case_id, form_id = _open_case(signed_in)
    token = uuid.uuid4().hex
    first = _post_form(signed_in, case_id, form_id, worker_example("B"), token)
    assert first.status_code == 302, first.get_data(as_text=True)[:2000]
    again = _post_form(signed_in, case_id, form_id, worker_example("B"), token)
    assert again.status_code == 302
    versions = db.session.query(FormVersion).filter_by(form_id=form_id).all()
    assert len(versions) == 1
    stored = versions[0].data
    assert stored["client_name"] == "王建国" and stored["needs"] == example("B")["needs"]
    case = db.session.get(Case, case_id)
    assert case.client_name == "王建国" and case.stage == "服务规划"


@pytest.mark.parametrize("changes, field", [
    ({"first_contact_date": "2023-02-30"}, "first_contact_date"),
    ({"language": ["普通话", "广东话"]}, "language"),
    ({"language": "普通话", "language_other": "潮汕话"}, "language_other"),
    ({"education": "研究生"}, "education"),
    ({"worker": "陈" * 300}, "worker"),
])
def test_bad_input_is_refused_beside_its_field_and_nothing_is_stored(
        signed_in, changes, field) -> None:
    case_id, form_id = _open_case(signed_in)
    data = {**worker_example("B"), **changes}
    response = _post_form(signed_in, case_id, form_id, data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    cell = re.search(rf'data-field="{field.split("_other")[0]}">(.*?)</td>', page, re.S)
    assert cell and 'class="error"' in cell.group(1)
    assert "王建国" in page  # every value is shown again
    assert db.session.query(FormVersion).filter_by(form_id=form_id).count() == 0


def test_closing_before_opening_is_refused(signed_in) -> None:
    case_id, form_id = _open_case(signed_in)
    d_id = _add_form(signed_in, case_id, "D")
    data = {**worker_example("D"), "opened_on": "2024-05-08", "closed_on": "2024-05-01"}
    response = _post_form(signed_in, case_id, d_id, data)
    assert response.status_code == 422
    assert db.session.get(Case, case_id).is_open


def test_markup_in_text_is_escaped_never_executed(signed_in) -> None:
    case_id, form_id = _open_case(signed_in)
    hostile = '<script>alert("x")</script>&{{ 7*7 }}'
    data = {**worker_example("B"), "petition_demands": hostile}
    assert _post_form(signed_in, case_id, form_id, data).status_code == 302
    page = signed_in.get(f"/cases/{case_id}/forms/{form_id}/v1").get_data(as_text=True)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;{{ 7*7 }}" in page


def test_draft_autosave_keeps_raw_values(signed_in) -> None:
    case_id, form_id = _open_case(signed_in)
    url = f"/cases/{case_id}/forms/{form_id}"
    token = csrf_token(signed_in, url)
    response = signed_in.post(url + "/draft", data={"client_name": "李四",
                                                    "first_contact_date": "2024-02-3"},
                              headers={"X-CSRFToken": token})
    assert response.status_code == 200 and response.get_json()["saved"] is True
    page = signed_in.get(url).get_data(as_text=True)
    assert 'value="李四"' in page and 'value="2024-02-3"' in page


def test_interviews_are_numbered_within_the_case(signed_in) -> None:
    case_id, _ = _open_case(signed_in)
    first = _add_form(signed_in, case_id, "C")
    second = _add_form(signed_in, case_id, "C")
    page = signed_in.get(f"/cases/{case_id}/forms/{second}").get_data(as_text=True)
    assert re.search(r'name="session_no"[^>]*value="2"', page)
    assert db.session.get(FormRecord, first).seq == 1


def test_closing_goals_start_from_the_intake_goals(signed_in) -> None:
    case_id, form_id = _open_case(signed_in)
    assert _post_form(signed_in, case_id, form_id, worker_example("B")).status_code == 302
    d_id = _add_form(signed_in, case_id, "D")
    page = signed_in.get(f"/cases/{case_id}/forms/{d_id}").get_data(as_text=True)
    for goal in ("疏导案主情绪", "协助案主了解加装电梯政策", "促成邻里协商"):
        assert goal in page


def test_submitting_annex_d_puts_the_case_in_pending_closure(signed_in) -> None:
    case_id, form_id = _open_case(signed_in)
    d_id = _add_form(signed_in, case_id, "D")
    assert _post_form(signed_in, case_id, d_id, worker_example("D")).status_code == 302
    case = db.session.get(Case, case_id)
    assert case.stage == "待结案审批" and case.is_open
    assert case.closed_on.isoformat() == "2024-08-30"


def test_a_worker_cannot_write_the_reviewers_cells(signed_in) -> None:
    case_id, form_id = _open_case(signed_in)
    data = {**worker_example("B"), "director_approval": example("B")["director_approval"]}
    assert _post_form(signed_in, case_id, form_id, data).status_code == 302
    stored = db.session.query(FormVersion).filter_by(form_id=form_id).one().data
    assert not stored.get("director_approval")


def test_lists_mask_personal_data(signed_in) -> None:
    case_id, form_id = _open_case(signed_in)
    _post_form(signed_in, case_id, form_id, worker_example("B"))
    listing = signed_in.get("/cases").get_data(as_text=True)
    assert "王建国" not in listing and "王**" in listing
    assert "13812345678" not in listing and "138****5678" in listing


def test_english_is_a_click_away(signed_in) -> None:
    case_id, form_id = _open_case(signed_in)
    page = signed_in.get(f"/cases/{case_id}/forms/{form_id}?lang=en").get_data(as_text=True)
    assert 'lang="en"' in page
    assert signed_in.get("/cases").get_data(as_text=True).count('lang="en"') == 1
