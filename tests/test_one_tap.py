"""A double tap or a retry makes one record: the buttons that open a case, add a form, raise
an 8.6 flag, record a report made outside the service, store a survey, hand a case over,
queue a service report or a batch of bundles, upload legacy files or a case's scanned paper
carry a token each time the page is shown, the API an Idempotency-Key; the same tap again
finds what the first made. Simultaneous taps against real gunicorn processes, on SQLite and
PostgreSQL; in Chromium, two taps while the first's answer is on its way, and a tap on the
case list shown again from the device's copy."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token, login
from tests.servers import all_at_once, gunicorn, page_csrf, server_env, signed_in
from tests.test_light_web import (
    closed_case_file,
    no_office_here,  # noqa: F401 - the fixture: a queue only
)

AT_ONCE = 6
FORM_URL = re.compile(r"/cases/(\d+)/forms/(\d+)$")
#: a button's request token as a page carries it
TOKEN = r'name="request_token" value="([0-9a-f]{32})"'


def _cases() -> int:
    from service.cases.models import Case
    from service.db import db

    db.session.expire_all()
    return int(db.session.scalar(select(func.count(Case.id))) or 0)


def _forms_of(case_id: int, annex: str) -> list[int]:
    from service.cases.models import FormRecord
    from service.db import db

    db.session.expire_all()
    return list(db.session.scalars(select(FormRecord.seq).where(
        FormRecord.case_id == case_id, FormRecord.annex == annex).order_by(FormRecord.seq)))


def _opened(answer: Any) -> tuple[int, int]:
    location = answer.location if hasattr(answer, "location") else answer.headers["Location"]
    found = FORM_URL.search(location)
    assert answer.status_code == 302 and found, (answer.status_code, location)
    return int(found[1]), int(found[2])


# --- the pages, in one process -----------------------------------------------------------------

@pytest.fixture
def worker_client(client, make_user):
    login(client, make_user("chen", "worker"))
    return client


def test_the_same_tap_twice_opens_one_case_a_new_tap_another(worker_client) -> None:
    from service.auth.models import AuditEntry
    from service.db import db

    client = worker_client
    tap = {"csrf_token": csrf_token(client, "/cases"), "request_token": uuid.uuid4().hex}
    first = _opened(client.post("/cases/new", data=tap))
    assert _opened(client.post("/cases/new", data=tap)) == first
    assert _cases() == 1
    assert db.session.scalar(select(func.count(AuditEntry.id))
                             .where(AuditEntry.action == "case.open")) == 1
    second = _opened(client.post("/cases/new", data={**tap, "request_token": uuid.uuid4().hex}))
    assert second[0] != first[0] and _cases() == 2
    # a post without a token of the page's making still opens a case, as it always did
    _opened(client.post("/cases/new", data={**tap, "request_token": "not-a-token"}))
    assert _cases() == 3


def test_every_button_that_makes_a_case_or_form_carries_its_token(worker_client) -> None:
    client = worker_client
    listing = client.get("/cases").get_data(as_text=True)
    tokens = re.findall(TOKEN, listing)
    assert len(tokens) == 1  # the new case button
    case_id, _form = _opened(client.post("/cases/new", data={
        "csrf_token": csrf_token(client, "/cases"), "request_token": tokens[0]}))
    client.post(f"/cases/{case_id}/risk", data={"csrf_token": csrf_token(
        client, f"/cases/{case_id}"), "concern": "案主表示今晚要跳楼"})  # reports follow a flag
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    adds = re.findall(r'action="/cases/\d+/forms/([BCD])"[^>]*>\s*<input[^>]*>\s*'
                      r'<input type="hidden" name="request_token" value="([0-9a-f]{32})">', page)
    assert [code for code, _ in adds] == ["C", "D"]
    for action in ("risk", "outside-reports"):
        assert re.search(rf'action="/cases/{case_id}/{action}"[^>]*>\s*<input[^>]*>\s*'
                         r'<input type="hidden" name="request_token" value="[0-9a-f]{32}">',
                         page), action
    evaluation = client.get(f"/cases/{case_id}/evaluation").get_data(as_text=True)
    assert re.search(rf'action="/cases/{case_id}/surveys"[^>]*>\s*<input[^>]*>\s*'
                     r'<input type="hidden" name="request_token" value="[0-9a-f]{32}">',
                     evaluation)
    every = re.findall(TOKEN, page + evaluation)
    assert len(set(every) | {tokens[0]}) == len(every) + 1  # one each


def test_the_same_tap_twice_adds_one_interview_record(worker_client) -> None:
    client = worker_client
    case_id, _form = _opened(client.post("/cases/new", data={
        "csrf_token": csrf_token(client, "/cases")}))
    tap = {"csrf_token": csrf_token(client, f"/cases/{case_id}"),
           "request_token": uuid.uuid4().hex}
    first = _opened(client.post(f"/cases/{case_id}/forms/C", data=tap))
    assert _opened(client.post(f"/cases/{case_id}/forms/C", data=tap)) == first
    assert _forms_of(case_id, "C") == [1]
    _opened(client.post(f"/cases/{case_id}/forms/C", data={
        **tap, "request_token": uuid.uuid4().hex}))
    assert _forms_of(case_id, "C") == [1, 2]


def test_a_tap_made_for_one_case_adds_nothing_to_another(worker_client) -> None:
    client = worker_client
    token = csrf_token(client, "/cases")
    one, _f = _opened(client.post("/cases/new", data={"csrf_token": token}))
    other, _g = _opened(client.post("/cases/new", data={"csrf_token": token}))
    tap = uuid.uuid4().hex
    _opened(client.post(f"/cases/{one}/forms/C", data={"csrf_token": token,
                                                        "request_token": tap}))
    refused = client.post(f"/cases/{other}/forms/C", data={"csrf_token": token,
                                                           "request_token": tap})
    assert refused.status_code == 302 and refused.location.endswith(f"/cases/{other}")
    assert "此请求已用于另一个个案，未添加表格" in client.get(f"/cases/{other}").get_data(as_text=True)
    assert _forms_of(other, "C") == [] and _forms_of(one, "C") == [1]


def test_the_same_token_from_another_person_is_another_tap(app, make_user) -> None:
    tap = uuid.uuid4().hex
    opened = []
    for name in ("chen", "wang"):
        client = app.test_client()
        login(client, make_user(name, "worker"))
        opened.append(_opened(client.post("/cases/new", data={
            "csrf_token": csrf_token(client, "/cases"), "request_token": tap}))[0])
    assert opened[0] != opened[1] and _cases() == 2


def test_the_same_tap_twice_raises_one_flag_and_records_one_report_and_survey(
        worker_client, make_user) -> None:
    """An 8.6 flag tapped twice tells its supervisors and directors once; a report made
    outside the service and a satisfaction survey (counted in the evaluation's figures) are
    stored once. A new tap makes a new one."""
    from service.auth.models import AuditEntry, RiskFlag
    from service.cases.evaluation import SatisfactionSurvey
    from service.db import db
    from service.notify.models import Notification, OutsideReport

    make_user("li", "director")
    client = worker_client
    case_id, _form = _opened(client.post("/cases/new", data={
        "csrf_token": csrf_token(client, "/cases")}))
    token = csrf_token(client, f"/cases/{case_id}")
    taps = {
        f"/cases/{case_id}/risk": {"concern": "案主表示今晚要跳楼"},
        f"/cases/{case_id}/outside-reports": {"agency": "公安", "recipient": "天河派出所",
                                              "channel": "电话",
                                              "reported_at": "2024-05-01T10:00"},
        f"/cases/{case_id}/surveys": {"respondent": "phone", "attitude": "5",
                                      "timeliness": "4", "help": "3", "overall": "4",
                                      "filled_on": "2024-07-02"},
    }
    for url, fields in taps.items():
        tap = {**fields, "csrf_token": token, "request_token": uuid.uuid4().hex}
        answers = [client.post(url, data=tap) for _ in range(2)]
        assert [a.status_code for a in answers] == [302, 302], url
        assert answers[0].location == answers[1].location

    def count(model: Any, *where: Any) -> int:
        db.session.expire_all()
        return int(db.session.scalar(select(func.count(model.id)).where(*where)) or 0)

    assert count(RiskFlag) == count(OutsideReport) == count(SatisfactionSurvey) == 1
    told = count(Notification)
    assert told >= 1
    assert count(AuditEntry, AuditEntry.action == "risk.flag") == 1
    again = {"csrf_token": token, "concern": "又一次", "request_token": uuid.uuid4().hex}
    assert client.post(f"/cases/{case_id}/risk", data=again).status_code == 302
    assert count(RiskFlag) == 2 and count(Notification) == 2 * told


def test_a_handover_tapped_twice_hands_the_case_over_once(app, make_user) -> None:
    """A director's 服务跟进 handover tapped twice is one handover in the case's history, and
    the second tap is told it is done, not refused."""
    from service.auth.models import Handover
    from service.cases import lifecycle
    from service.db import db

    worker = make_user("chen", "worker")
    make_user("wang", "worker")
    case = lifecycle.open_case(worker=worker)
    db.session.commit()
    director = app.test_client()
    login(director, make_user("li", "director"))
    tap = {"csrf_token": csrf_token(director, f"/cases/{case.id}"), "username": "wang",
           "kind": "follow_up", "request_token": uuid.uuid4().hex}
    answers = [director.post(f"/cases/{case.id}/handover", data=tap) for _ in range(2)]
    assert [a.status_code for a in answers] == [302, 302]
    assert "已移交" in director.get(f"/cases/{case.id}").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Handover.id))) == 1


def test_a_transfer_out_of_ones_team_leads_to_the_case_list_each_tap(app, make_user) -> None:
    """A supervisor who transfers a case to a worker of another team no longer sees it: both
    taps lead to their case list with a message saying so, never to a 404 for the case page,
    and the case is transferred once."""
    from service.auth.models import Handover
    from service.auth.users import team_named
    from service.cases import lifecycle
    from service.db import db

    first, second = team_named("一组"), team_named("二组")
    db.session.commit()
    worker = make_user("chen", "worker", team_id=first.id)
    make_user("wang", "worker", team_id=second.id)
    case = lifecycle.open_case(worker=worker, team=first)
    db.session.commit()
    supervisor = app.test_client()
    login(supervisor, make_user("zhou", "supervisor", team_id=first.id))
    tap = {"csrf_token": csrf_token(supervisor, f"/cases/{case.id}"), "username": "wang",
           "kind": "transfer", "request_token": uuid.uuid4().hex}
    answers = [supervisor.post(f"/cases/{case.id}/handover", data=tap) for _ in range(2)]
    assert [a.status_code for a in answers] == [302, 302]
    assert answers[0].location == answers[1].location == "/cases"
    listing = supervisor.get("/cases")
    assert listing.status_code == 200
    assert "已移交。该个案已归属其他小组，不再显示在您的列表中。" in listing.get_data(as_text=True)
    assert supervisor.get(f"/cases/{case.id}").status_code == 404
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Handover.id))) == 1


def _page_token(client: Any, url: str) -> str:
    """The request token of the (first) button on the page at ``url``."""
    page = client.get(url).get_data(as_text=True)
    return re.search(TOKEN, page).group(1)


def test_a_service_report_tapped_twice_is_queued_and_filed_once(
        app, make_user, no_office_here) -> None:  # noqa: F811
    """Make the PDF/A tapped twice: one report, one job on the queue (so one 件 filed in the
    archive), both taps led to its page. The same page's token for the other language (its
    script could not renew it) is another report; so is the next tap."""
    from service.cases.archival import ServiceReport
    from service.db import db

    client = app.test_client()
    login(client, make_user("wu", "director"))
    page = "/statistics?from=2024-04-01&to=2024-06-30"
    url = "/statistics/reports?from=2024-04-01&to=2024-06-30"
    tap = {"csrf_token": csrf_token(client, page), "lang": "zh",
           "request_token": _page_token(client, page)}
    queued = no_office_here.pending_count()
    answers = [client.post(url, data=tap) for _ in range(2)]
    assert [a.status_code for a in answers] == [302, 302]
    assert answers[0].location == answers[1].location
    assert re.fullmatch(r"/statistics/reports/\d+", answers[0].location)

    def reports() -> list[tuple[str, str]]:
        db.session.expire_all()
        return [(r.lang, r.state) for r in db.session.scalars(
            select(ServiceReport).order_by(ServiceReport.id))]

    assert reports() == [("zh", "queued")]
    assert no_office_here.pending_count() == queued + 1
    english = client.post(url, data={**tap, "lang": "en"})
    assert english.location != answers[0].location
    again = client.post(url, data={**tap, "request_token": _page_token(client, page)})
    assert again.location not in (answers[0].location, english.location)
    assert reports() == [("zh", "queued"), ("en", "queued"), ("zh", "queued")]
    assert no_office_here.pending_count() == queued + 3


def test_a_bundle_tapped_twice_is_bound_once(app, make_user, no_office_here) -> None:  # noqa: F811
    """Bundle (PDF) tapped twice on a case file's page: one batch on the queue, both taps led
    to its progress. The same token from the page's other button (double-sided) or a batch
    from the archive's list asks for something else, and is queued as its own."""
    from service.cases.archival import BundleRequest
    from service.db import db

    record = closed_case_file(make_user("chen", "worker"))
    client = app.test_client()
    login(client, make_user("dang", "archivist"))
    page = f"/archive/{record.id}"
    tap = {"csrf_token": csrf_token(client, page), "request_token": _page_token(client, page)}
    queued = no_office_here.pending_count()
    answers = [client.post(f"/archive/{record.id}/bundle", data=tap) for _ in range(2)]
    assert [a.status_code for a in answers] == [302, 302]
    assert answers[0].location == answers[1].location

    def batches() -> list[tuple[list[int], bool]]:
        db.session.expire_all()
        return [(b.file_ids, b.options["duplex"]) for b in db.session.scalars(
            select(BundleRequest).order_by(BundleRequest.id))]

    assert batches() == [([record.id], False)]
    assert no_office_here.pending_count() == queued + 1
    duplex = client.post(f"/archive/{record.id}/bundle", data={**tap, "duplex": "1"})
    assert duplex.status_code == 302 and duplex.location != answers[0].location
    listed = {"csrf_token": tap["csrf_token"], "file": [str(record.id)], "output": "zip",
              "request_token": _page_token(client, "/archive/")}
    zips = [client.post("/archive/bundles", data=listed) for _ in range(2)]
    assert zips[0].location == zips[1].location
    assert batches() == [([record.id], False), ([record.id], True), ([record.id], False)]
    assert no_office_here.pending_count() == queued + 3


def test_an_upload_its_confirmation_and_a_cases_paper_tapped_twice_each_happen_once(
        app, make_user, no_office_here) -> None:  # noqa: F811
    """Legacy files uploaded with one tap twice are kept and checked once; the import
    confirmed twice is queued once and the second tap led to its page, not refused; a case's
    scanned paper brought in twice is read once."""
    import io

    from service.cases import lifecycle
    from service.cases.imported import ImportRun, RunState
    from service.db import db

    def runs() -> list[tuple[int | None, str]]:
        db.session.expire_all()
        return [(r.case_id, r.state) for r in db.session.scalars(
            select(ImportRun).order_by(ImportRun.id))]

    importer = app.test_client()
    login(importer, make_user("zhou", "supervisor"))
    token = _page_token(importer, "/imports/")
    queued = no_office_here.pending_count()
    answers = [importer.post("/imports/", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(importer, "/imports/"), "request_token": token,
        "archive": (io.BytesIO(b"%PDF-1.4 scanned"), "接案表-王建国.pdf")}) for _ in range(2)]
    assert [a.status_code for a in answers] == [302, 302]
    assert answers[0].location == answers[1].location
    assert runs() == [(None, RunState.CHECKING)]
    assert no_office_here.pending_count() == queued + 1

    run = db.session.scalars(select(ImportRun)).one()
    run.state = RunState.CHECKED  # as the dry run leaves it
    db.session.commit()
    confirm = {"csrf_token": csrf_token(importer, answers[0].location)}
    confirmed = [importer.post(f"{answers[0].location}/confirm", data=confirm)
                 for _ in range(2)]
    assert [c.status_code for c in confirmed] == [302, 302]
    assert confirmed[0].location == confirmed[1].location == answers[0].location
    assert runs() == [(None, RunState.QUEUED)]
    assert no_office_here.pending_count() == queued + 2

    worker = make_user("chen", "worker")
    case = lifecycle.open_case(worker=worker)
    db.session.commit()
    tablet = app.test_client()
    login(tablet, worker)
    page = f"/cases/{case.id}"
    token = re.search(r'id="paper".*?' + TOKEN, tablet.get(page).get_data(as_text=True),
                      re.S).group(1)
    brought = [tablet.post(f"/imports/case/{case.id}/paper", content_type="multipart/form-data",
                           data={"csrf_token": csrf_token(tablet, page), "request_token": token,
                                 "paper": (io.BytesIO(b"%PDF-1.4 scanned"), "scan.pdf")})
               for _ in range(2)]
    assert [b.status_code for b in brought] == [302, 302]
    assert brought[0].location == brought[1].location
    assert runs() == [(None, RunState.QUEUED), (case.id, RunState.QUEUED)]
    assert no_office_here.pending_count() == queued + 3


def test_a_withdrawal_and_a_reopening_tapped_twice_each_happen_once(app, make_user) -> None:
    """Withdraw from review, and reopen an approved form for a correction: the second tap
    is answered as the first (no 'already withdrawn' after a success), one step each."""
    from service.annexes.examples import reviewer_example, worker_example
    from service.auth.models import ReviewStep
    from service.cases import lifecycle, workflow
    from service.db import db

    worker = make_user("chen", "worker")
    director = make_user("li", "director")
    case = lifecycle.open_case(worker=worker)
    form = lifecycle.new_form(case, "B", by=worker)
    workflow.submit(form, worker_example("B"), by=worker, then=lambda _v: None)
    db.session.commit()
    client = app.test_client()
    login(client, worker)
    url = f"/cases/{case.id}/forms/{form.id}"
    tap = {"csrf_token": csrf_token(client, url), "request_token": uuid.uuid4().hex}
    answers = [client.post(f"{url}/withdraw", data=tap) for _ in range(2)]
    assert [a.status_code for a in answers] == [302, 302]
    assert answers[0].location == answers[1].location and answers[1].location.endswith(url)
    page = client.get(url).get_data(as_text=True)  # both taps' messages, shown together
    assert "已撤回审核" in page and "此表格已被社工撤回" not in page

    workflow.submit(form, worker_example("B"), by=worker, then=lambda _v: None)
    workflow.approve(form, reviewer_example("B"), by=director, then=lambda _v: None)
    db.session.commit()
    tap = {"csrf_token": csrf_token(client, url), "request_token": uuid.uuid4().hex,
           "reason": "出生年月填错了"}
    answers = [client.post(f"{url}/reopen", data=tap) for _ in range(2)]
    assert [a.status_code for a in answers] == [302, 302]
    assert answers[0].location == answers[1].location
    db.session.expire_all()
    steps = db.session.scalars(select(ReviewStep.action).where(ReviewStep.form_id == form.id)
                               .order_by(ReviewStep.id)).all()
    assert steps == ["submitted", "withdrawn", "submitted", "approved", "reopened"]


# --- the API -----------------------------------------------------------------------------------

def test_the_api_opens_one_case_and_adds_one_form_whatever_the_retries(client, bearer) -> None:
    worker = bearer("chen", "worker")
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"client_name": "王建国", "opened_on": "2024-05-08"}
    first = client.post("/api/v1/cases", json=body, headers={**worker, **key})
    again = client.post("/api/v1/cases", json=body, headers={**worker, **key})
    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.headers["Location"] == first.headers["Location"]
    assert _cases() == 1
    other = bearer("wang", "worker")  # the same key from someone else is their own request
    assert client.post("/api/v1/cases", json=body, headers={**other, **key}).status_code == 201
    assert _cases() == 2

    case_id = first.get_json()["id"]
    url = f"/api/v1/cases/{case_id}/forms"
    form_key = {"Idempotency-Key": str(uuid.uuid4())}
    made = client.post(url, json={"annex": "C"}, headers={**worker, **form_key})
    retried = client.post(url, json={"annex": "C"}, headers={**worker, **form_key})
    assert made.status_code == retried.status_code == 201
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert retried.get_json()["id"] == made.get_json()["id"]
    assert _forms_of(case_id, "C") == [1]
    assert client.post(url, json={"annex": "C"}, headers=worker).status_code == 201
    assert _forms_of(case_id, "C") == [1, 2]

    flag_key = {"Idempotency-Key": str(uuid.uuid4())}
    concern = {"concern": "案主称今晚要从楼顶跳下"}
    raised = client.post(f"/api/v1/cases/{case_id}/flags", json=concern,
                         headers={**worker, **flag_key})
    repeated = client.post(f"/api/v1/cases/{case_id}/flags", json=concern,
                           headers={**worker, **flag_key})
    assert raised.status_code == repeated.status_code == 201
    assert repeated.headers["Idempotent-Replayed"] == "true"
    assert repeated.get_json() == raised.get_json()  # the same flag, the same people told

    from service.annexes.process import Stage
    from service.cases.models import Case
    from service.db import db

    db.session.get(Case, case_id).stage = Stage.CLOSED  # closed before the retry came
    db.session.commit()
    late = client.post(f"/api/v1/cases/{case_id}/flags", json=concern,
                       headers={**worker, **flag_key})
    assert late.status_code == 201 and late.headers["Idempotent-Replayed"] == "true"
    assert late.get_json() == raised.get_json()
    refused = client.post(f"/api/v1/cases/{case_id}/flags", json=concern,
                          headers={**worker, "Idempotency-Key": str(uuid.uuid4())})
    assert refused.status_code == 409  # a new flag on a closed case is still refused


def test_an_api_import_retried_with_its_key_keeps_the_files_once(
        client, bearer, no_office_here) -> None:  # noqa: F811
    """importFiles retried with its Idempotency-Key answers the run it started (replayed),
    with one run kept and one dry run queued; without a key, or from someone else, a retry is
    a new upload."""
    import io

    from service.cases.imported import ImportRun
    from service.db import db

    def upload(headers: dict[str, str]) -> Any:
        return client.post("/api/v1/imports", headers=headers, content_type="multipart/form-data",
                           data={"files": (io.BytesIO(b"%PDF-1.4 scanned"), "接案表-王建国.pdf")})

    def runs() -> int:
        db.session.expire_all()
        return int(db.session.scalar(select(func.count(ImportRun.id))) or 0)

    supervisor = bearer("zhou", "supervisor")
    key = {"Idempotency-Key": str(uuid.uuid4())}
    queued = no_office_here.pending_count()
    first, again = upload({**supervisor, **key}), upload({**supervisor, **key})
    assert first.status_code == again.status_code == 202
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.headers["Location"] == first.headers["Location"]
    assert runs() == 1 and no_office_here.pending_count() == queued + 1
    assert upload(supervisor).status_code == 202
    assert upload({**bearer("li", "director"), **key}).status_code == 202
    assert runs() == 3 and no_office_here.pending_count() == queued + 3


# --- at once, against real servers -------------------------------------------------------------

def test_taps_at_once_make_one_case_and_tablets_at_once_number_their_forms(
        app, database_url: str, make_user, tmp_path: Path) -> None:
    """Six posts of one tap at once open one case; six tablets adding an interview record to
    one case at once each get their own, numbered one after another, and nobody a 5xx."""

    make_user("chen", "worker")
    env = server_env(tmp_path / "instance", database_url)
    with gunicorn(env, tmp_path / "web.log", "-w", "2", "--threads", "4") as base:
        browser = signed_in(base, "chen")
        tap = {"csrf_token": page_csrf(browser, f"{base}/cases"),
               "request_token": uuid.uuid4().hex}
        taps = all_at_once([lambda: browser.post(f"{base}/cases/new", data=tap,
                                                  allow_redirects=False, timeout=60)] * AT_ONCE)
        assert len({_opened(a) for a in taps}) == 1, [a.status_code for a in taps]
        case_id = _opened(taps[0])[0]
        tablets = [signed_in(base, "chen") for _ in range(AT_ONCE)]
        calls = [lambda b=b: b.post(f"{base}/cases/{case_id}/forms/C", allow_redirects=False,
                                    timeout=60, data={
                                        "csrf_token": page_csrf(b, f"{base}/cases/{case_id}"),
                                        "request_token": uuid.uuid4().hex})
                 for b in tablets]
        added = all_at_once(calls)
        assert all(a.status_code == 302 for a in added), [
            (a.status_code, a.text[:200]) for a in added]
        assert len({_opened(a) for a in added}) == AT_ONCE
    assert _cases() == 1
    assert _forms_of(case_id, "C") == list(range(1, AT_ONCE + 1))


# --- in Chromium -------------------------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_double_tap_opens_one_case_and_the_page_shown_again_opens_the_next(
        app, live_server, tablet, make_user) -> None:
    """In Chromium: two taps on 新建个案 while the first's answer is still on its way open one
    case. The case list shown again, even the device's copy opened offline, which the server
    rendered with the token already used, opens a new case at the next tap."""
    from tests.browser import sign_in

    make_user("chen", "worker")
    page = tablet.new_page()
    sign_in(page, live_server.url, "chen")
    page.goto(f"{live_server.url}/cases")
    page.evaluate("navigator.serviceWorker.ready")
    page.reload()  # now the service worker keeps a copy of the case list
    used = page.input_value("form[action='/cases/new'] [name=request_token]")
    assert re.fullmatch(r"[0-9a-f]{32}", used)
    stored: list[Any] = []

    def slow_first_answer(route: Any) -> None:
        """Each tap reaches the server; the first tap's answer is still on its way when the
        worker taps again, and never arrives (the second tap's navigation replaces it)."""
        stored.append(route.fetch(max_redirects=0))
        if len(stored) > 1:
            route.fulfill(response=stored[-1])

    page.route("**/cases/new", slow_first_answer)
    box = page.locator("form[action='/cases/new'] button").bounding_box()
    assert box
    centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.click(*centre)  # a finger's taps: no waiting for the page between them
    for _ in range(100):
        if stored:
            break
        page.wait_for_timeout(50)
    page.mouse.click(*centre)
    _until_form_page(page)
    page.unroute("**/cases/new")
    assert [a.status for a in stored] == [302, 302]  # both taps reached the server
    assert stored[0].headers["location"] == stored[1].headers["location"]
    assert _cases() == 1

    tablet.set_offline(True)
    page.goto(f"{live_server.url}/cases")  # the device's copy, rendered with the used token
    assert "XF-" not in page.content()  # the copy from before the case was opened
    tablet.set_offline(False)
    assert page.input_value("form[action='/cases/new'] [name=request_token]") != used
    page.locator("form[action='/cases/new'] button").click()
    _until_form_page(page)
    assert _cases() == 2


def _until_form_page(page: Any) -> None:
    """Wait (up to 10 s) for a form page: the taps' earlier navigations are aborted."""
    for _ in range(200):
        if FORM_URL.search(page.url):
            break
        page.wait_for_timeout(50)
    page.wait_for_load_state()
    assert FORM_URL.search(page.url), page.url
