"""The case workflow through the JSON API, as an integrator drives it: forms with version tags,
drafts that never overwrite unseen, submissions once whatever the retries, reviews by a second
person; and the same against a real gunicorn server with simultaneous requests."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from service.annexes.examples import example, reviewer_example
from tests.servers import all_at_once

PROBLEM = "application/problem+json"


@pytest.fixture
def people(app, make_user):
    """A worker and two supervisors of one team, each with a token."""
    from service.auth.users import issue_token, team_named
    from service.db import db

    team = team_named("一组")
    db.session.commit()
    out: dict[str, dict[str, str]] = {}
    for name, roles in (("chen", ("worker",)), ("lin", ("supervisor",)),
                        ("zhou", ("supervisor",)), ("both", ("worker", "supervisor"))):
        user = make_user(name, *roles, team_id=team.id)
        out[name] = {"Authorization": f"Bearer {issue_token(user)}"}
    db.session.commit()
    return out


def _operation(client, operation_id: str) -> dict[str, Any]:
    document = client.get("/api/v1/openapi.json").get_json()
    for item in document["paths"].values():
        for op in item.values():
            if op["operationId"] == operation_id:
                return op
    raise AssertionError(operation_id)


def _example_body(client, operation_id: str) -> Any:
    return _operation(client, operation_id)["requestBody"]["content"]["application/json"][
        "example"]


def _new_case(client, headers) -> int:
    created = client.post("/api/v1/cases", json=_example_body(client, "createCase"),
                          headers=headers)
    assert created.status_code == 201, created.get_data(as_text=True)
    return created.get_json()["id"]


def _new_form(client, headers, case_id: int, annex: str) -> tuple[str, str]:
    made = client.post(f"/api/v1/cases/{case_id}/forms", json={"annex": annex}, headers=headers)
    assert made.status_code in (200, 201), made.get_data(as_text=True)
    return made.headers["Location"], made.headers["ETag"]


def _key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def test_the_documented_examples_work_as_they_stand(client, people) -> None:
    worker = people["chen"]
    case_id = _new_case(client, worker)
    url, tag = _new_form(client, worker, case_id, _example_body(client, "createForm")["annex"])
    saved = client.put(url, json=_example_body(client, "saveDraft"),
                       headers={**worker, "If-Match": tag})
    assert saved.status_code == 200, saved.get_data(as_text=True)
    submitted = client.post(f"{url}/submit", json=_example_body(client, "submitForm"),
                            headers={**worker, **_key()})
    assert submitted.status_code == 200, submitted.get_data(as_text=True)
    assert submitted.get_json()["state"] == "submitted"
    for op in ("listCases", "getCase", "getForm", "saveDraft", "submitForm", "reviewForm",
               "createForm", "importFiles", "getImport", "revokeToken", "createCase"):
        spec = _operation(client, op)
        ok = next(r for code, r in spec["responses"].items() if code.startswith("2"))
        if op != "revokeToken":
            assert next(iter(ok["content"].values()))["example"], op


def test_a_draft_made_against_an_older_tag_is_refused_never_merged(client, people) -> None:
    worker = people["chen"]
    url, first = _new_form(client, worker, _new_case(client, worker), "C")
    assert client.put(url, json={"record": "第一台平板"}, headers=worker).status_code == 428
    mine = client.put(url, json={"record": "第一台平板"}, headers={**worker, "If-Match": first})
    assert mine.status_code == 200
    second = mine.headers["ETag"]
    assert second != first
    stale = client.put(url, json={"record": "第二台平板"}, headers={**worker, "If-Match": first})
    assert stale.status_code == 412 and stale.mimetype == PROBLEM
    problem = stale.get_json()
    assert problem["current_data"]["record"] == "第一台平板"
    assert f'"{problem["current_version_tag"]}"' == stale.headers["ETag"] == second
    current = client.get(url, headers=worker)
    assert current.get_json()["data"]["record"] == "第一台平板"
    assert current.headers["ETag"] == second


def test_a_draft_retried_with_its_key_is_answered_as_the_first_left_it(client, people) -> None:
    """A PUT whose answer was lost, sent again with the same Idempotency-Key and If-Match, gets
    the form as the first left it, nothing written twice. Without the key, from someone else
    with the same key, or after any other change, its tag is stale (412)."""
    worker, supervisor = people["chen"], people["lin"]
    url, tag = _new_form(client, worker, _new_case(client, worker), "C")
    key = _key()
    first = client.put(url, json={"record": "第一次"}, headers={**worker, **key, "If-Match": tag})
    assert first.status_code == 200 and "Idempotent-Replayed" not in first.headers
    again = client.put(url, json={"record": "第一次"}, headers={**worker, **key, "If-Match": tag})
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.get_json()["data"]["record"] == "第一次"
    unnamed = client.put(url, json={"record": "第一次"}, headers={**worker, "If-Match": tag})
    assert unnamed.status_code == 412
    theirs = client.put(url, json={"record": "别人的"}, headers={**supervisor, **key,
                                                              "If-Match": tag})
    assert theirs.status_code == 412 and theirs.mimetype == PROBLEM
    later = client.put(url, json={"record": "第二次"},
                       headers={**worker, **_key(), "If-Match": first.headers["ETag"]})
    assert later.status_code == 200
    late_retry = client.put(url, json={"record": "第一次"},
                            headers={**worker, **key, "If-Match": tag})
    assert late_retry.status_code == 412
    assert late_retry.get_json()["current_data"]["record"] == "第二次"
    assert client.get(url, headers=worker).headers["ETag"] == later.headers["ETag"]


def test_unknown_fields_are_named_not_stored(client, people) -> None:
    worker = people["chen"]
    url, tag = _new_form(client, worker, _new_case(client, worker), "C")
    refused = client.put(url, json={"record": "x", "colour": "red"},
                         headers={**worker, "If-Match": tag})
    assert refused.status_code == 422
    assert [e["field"] for e in refused.get_json()["errors"]] == ["colour"]


def test_submit_once_review_by_a_second_person_and_correct(client, people) -> None:
    worker, reviewer, other = people["chen"], people["lin"], people["zhou"]
    url, tag = _new_form(client, worker, _new_case(client, worker), "B")
    assert client.post(f"{url}/submit", json=example("B"), headers=worker).status_code == 428
    key = _key()
    first = client.post(f"{url}/submit", json=example("B"), headers={**worker, **key})
    again = client.post(f"{url}/submit", json=example("B"), headers={**worker, **key})
    assert first.status_code == again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert len(again.get_json()["versions"]) == 1
    draft = client.put(url, json=example("B"),
                       headers={**worker, "If-Match": first.headers["ETag"]})
    assert draft.status_code == 409  # waiting for review: a draft never changes it
    by_worker = client.post(f"{url}/review", json={"decision": "approve",
                                                   "reviewer": reviewer_example("B")},
                            headers=worker)
    assert by_worker.status_code == 403 and by_worker.mimetype == PROBLEM
    returned = client.post(f"{url}/review", headers=reviewer, json={
        "decision": "return", "comment": "请补充信访诉求。",
        "field_comments": {"petition_demands": "写明具体诉求。"}})
    assert returned.status_code == 200, returned.get_data(as_text=True)
    body = returned.get_json()
    assert body["state"] == "returned"
    assert body["field_comments"] == {"petition_demands": "写明具体诉求。"}
    corrected = client.post(f"{url}/submit", json=example("B"), headers={**worker, **_key()})
    assert corrected.status_code == 200 and corrected.get_json()["state"] == "submitted"
    unsigned = client.post(f"{url}/review", json={"decision": "approve", "reviewer": {}},
                           headers=other)
    assert unsigned.status_code == 422
    assert {e["field"].split(".")[0] for e in unsigned.get_json()["errors"]} >= set(
        reviewer_example("B"))
    approved = client.post(f"{url}/review", json={"decision": "approve",
                                                  "reviewer": reviewer_example("B")},
                           headers=other)
    assert approved.status_code == 200, approved.get_data(as_text=True)
    assert approved.get_json()["state"] == "approved"
    late = client.post(f"{url}/review", json={"decision": "return", "comment": "晚了"},
                       headers=reviewer)
    assert late.status_code == 409 and late.mimetype == PROBLEM


def test_nobody_signs_off_what_they_submitted(client, people) -> None:
    both = people["both"]
    url, _tag = _new_form(client, both, _new_case(client, both), "B")
    assert client.post(f"{url}/submit", json=example("B"),
                       headers={**both, **_key()}).status_code == 200
    refused = client.post(f"{url}/review", json={"decision": "approve",
                                                 "reviewer": reviewer_example("B")},
                          headers=both)
    assert refused.status_code == 403 and refused.mimetype == PROBLEM
    assert refused.get_json()["title"]


def test_others_cases_stay_invisible(client, people, bearer) -> None:
    stranger = bearer("wu", "worker")
    url, tag = _new_form(client, people["chen"], _new_case(client, people["chen"]), "C")
    assert client.get(url, headers=stranger).status_code == 404
    assert client.put(url, json={}, headers={**stranger, "If-Match": tag}).status_code == 404


# --- against a real server, at once ---------------------------------------------------------

@pytest.fixture
def server(app, database_url: str, tmp_path: Path):
    from tests.servers import gunicorn, server_env

    env = server_env(tmp_path / "instance", database_url,
                     WORK_ROOT=str(tmp_path / "work"), ARCHIVE_ROOT=str(tmp_path / "archive"))
    with gunicorn(env, tmp_path / "gunicorn.log", "-w", "3", "-k", "gthread",
                  "--threads", "4") as base:
        yield base


def test_simultaneous_duplicates_store_one_and_reviews_have_one_winner(client, people,
                                                                        server) -> None:
    worker, first, second = people["chen"], people["lin"], people["zhou"]
    case_id = _new_case(client, worker)
    url, tag = _new_form(client, worker, case_id, "B")
    saving = {**worker, **_key(), "If-Match": tag}
    saves = all_at_once([lambda: requests.put(f"{server}{url}", json={"client_name": "王建国"},
                                           headers=saving, timeout=60)] * 4)
    assert [r.status_code for r in saves] == [200] * 4, [r.text[:300] for r in saves]
    assert len({r.headers["ETag"] for r in saves}) == 1  # one write, three answered as it left
    assert sorted(r.headers.get("Idempotent-Replayed", "") for r in saves) == ["", *["true"] * 3]
    key = _key()
    submits = all_at_once([lambda: requests.post(f"{server}{url}/submit", json=example("B"),
                                              headers={**worker, **key}, timeout=60)] * 4)
    assert [r.status_code for r in submits] == [200] * 4, [r.text[:300] for r in submits]
    assert len(requests.get(f"{server}{url}", headers=worker, timeout=30)
               .json()["versions"]) == 1
    approve = {"decision": "approve", "reviewer": reviewer_example("B")}
    reviews = all_at_once([
        lambda: requests.post(f"{server}{url}/review", json=approve, headers=first, timeout=60),
        lambda: requests.post(f"{server}{url}/review", json=approve, headers=second,
                              timeout=60)])
    codes = sorted(r.status_code for r in reviews)
    assert codes == [200, 409], [r.text[:300] for r in reviews]
    loser = next(r for r in reviews if r.status_code == 409)
    assert loser.headers["Content-Type"].startswith(PROBLEM)
    form = requests.get(f"{server}{url}", headers=worker, timeout=30).json()
    assert form["state"] == "approved" and len(form["versions"]) == 2
