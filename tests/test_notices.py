"""8.6 notices for real: a risk flag tells the case's supervisors and directors in their inbox
(with an unread count on every page) and by e-mail through a real SMTP server (aiosmtpd, on a
free loopback port), in each reader's language; a failed e-mail is retried, shown and can be
sent again; the report made outside the service is recorded, checked and audited."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import bearer_for, csrf_token, login

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def quick_hashing(monkeypatch):
    from argon2 import PasswordHasher

    from service.auth import users

    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """What the SMTP server received: (envelope recipients, parsed message)."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=email.policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        with self.lock:
            return [m for rcpts, m in self.messages if address in rcpts]


@pytest.fixture
def smtp():
    """A real SMTP server on a free loopback port, for the length of one test."""
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    yield handler
    controller.stop()


def _app(database_url, tmp_path, **mail):
    from service import create_app

    app = create_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
        "ARCHIVE_ROOT": str(tmp_path / "archive"), "WORK_ROOT": str(tmp_path / "work"),
        "SERVER_NAME": "localhost", "PUBLIC_URL": "https://casework.example.org",
        "MAIL_DEFAULT_SENDER": "casework@example.org", **mail})

    @app.before_request
    def _fresh_globals() -> None:  # as the shared `app` fixture: nothing leaks between requests
        from flask import g

        g.__dict__.clear()

    return app


@pytest.fixture
def mail_app(database_url, tmp_path, smtp):
    """The application with its mail server set to the test's SMTP server."""
    from service.db import db

    app = _app(database_url, tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


def _people(make):
    from service.auth.users import team_named
    from service.db import db

    t1, t2 = team_named("T1"), team_named("T2")
    db.session.commit()
    people = {
        "w1": make("w1", "worker", team_id=t1.id),
        "s1": make("s1", "supervisor", team_id=t1.id),
        "s2": make("s2", "supervisor", team_id=t2.id),
        "d1": make("d1", "director", team_id=t1.id),
        "a1": make("a1", "archivist"),
    }
    people["s1"].email, people["s1"].locale = "s1@example.org", "en"
    people["d1"].email = "d1@example.org"  # no language known: Chinese
    people["s2"].email = "s2@example.org"  # another team's supervisor: not told
    db.session.commit()
    return people


def _make_user(app):
    from service.auth.models import Role
    from service.auth.users import create_user
    from service.db import db

    def make(username, *roles, team_id=None):
        user = create_user(username, {Role(r) for r in roles}, PASSWORD, team_id=team_id)
        db.session.commit()
        return user

    return make


def _case(worker, name="王建国"):
    from service.cases import lifecycle
    from service.db import db

    case = lifecycle.open_case(worker=worker, client_name=name)
    db.session.commit()
    return case


def _client(app, user):
    client = app.test_client()
    login(client, user)
    return client


def _flag(client, case_id: int, concern: str = "案主表示今晚要跳楼"):
    token = csrf_token(client, f"/cases/{case_id}")
    return client.post(f"/cases/{case_id}/risk", data={"csrf_token": token, "concern": concern})


def _unread_badge(page: str) -> int | None:
    found = re.search(r'class="inbox unread">[^<]*<span class="count"[^>]*>(\d+)</span>', page)
    return int(found.group(1)) if found else None


def test_a_flag_tells_the_supervisor_and_director_by_inbox_and_real_email(mail_app, smtp):
    from sqlalchemy import select

    from service.auth.models import AuditEntry
    from service.db import db
    from service.notify.models import MailState, Notification

    people = _people(_make_user(mail_app))
    case = _case(people["w1"])
    number, case_id = case.number, case.id
    response = _flag(_client(mail_app, people["w1"]), case_id)
    assert response.status_code == 302

    # e-mail through the SMTP server, in each reader's language, no sensitive detail
    [to_s1] = smtp.to("s1@example.org")
    [to_d1] = smtp.to("d1@example.org")
    assert smtp.to("s2@example.org") == []
    assert to_s1["Subject"] == f"Case {number} was flagged as a risk to life (8.6)"
    assert to_d1["Subject"] == f"个案 {number} 被标记为生命安全风险（8.6）"
    assert to_s1["From"] == "casework@example.org"
    for message in (to_s1, to_d1):
        text = message.get_content()
        assert number in text
        assert f"https://casework.example.org/cases/{case_id}" in text
        assert "跳楼" not in text and "王建国" not in text
    assert "Please sign in" in to_s1.get_content()
    assert "请登录" in to_d1.get_content()

    db.session.expire_all()
    told = db.session.scalars(select(Notification).order_by(Notification.id)).all()
    assert {n.recipient.username for n in told} == {"s1", "d1"}
    assert all(n.mail_state == MailState.SENT and n.mail_attempts == 1 for n in told)
    flagged = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "risk.flag")).one()
    assert '"notified": ["d1", "s1"]' in flagged.details

    # the unread count on every page, the inbox, marking read
    s1 = _client(mail_app, people["s1"])
    assert _unread_badge(s1.get("/cases").get_data(as_text=True)) == 1
    assert _unread_badge(s1.get(f"/cases/{case_id}").get_data(as_text=True)) == 1
    inbox = s1.get("/notices").get_data(as_text=True)
    assert f'href="/cases/{case_id}">{number}</a>' in inbox
    assert "was flagged as a risk to life" in inbox
    assert '<strong class="state state-new">New</strong>' in inbox
    in_chinese = s1.get("/notices?lang=zh_Hans_CN").get_data(as_text=True)
    assert "被标记为生命安全风险" in in_chinese
    assert '<strong class="state state-new">新</strong>' in in_chinese  # not "新:", half-width
    s1.get("/notices?lang=en")
    notice = next(n for n in told if n.recipient.username == "s1")
    token = csrf_token(s1, "/notices")
    opened = s1.post(f"/notices/{notice.id}/read", data={"csrf_token": token, "open": "1"})
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/cases/{case_id}")
    assert _unread_badge(s1.get("/cases").get_data(as_text=True)) is None
    d1 = _client(mail_app, people["d1"])
    assert _unread_badge(d1.get("/cases").get_data(as_text=True)) == 1
    d1.post("/notices/read-all", data={"csrf_token": csrf_token(d1, "/notices")})
    assert _unread_badge(d1.get("/notices").get_data(as_text=True)) is None
    # the worker who flagged, and the other team, have nothing
    w1 = _client(mail_app, people["w1"])
    assert _unread_badge(w1.get("/cases").get_data(as_text=True)) is None
    # someone else's notice is as absent as a missing one
    s2 = _client(mail_app, people["s2"])
    token = csrf_token(s2, "/notices")
    assert s2.post(f"/notices/{notice.id}/read", data={"csrf_token": token}).status_code == 404
    assert s2.post("/notices/999999/read", data={"csrf_token": token}).status_code == 404

    # the case page tells the reviewer who was told and how
    page = s1.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "d1" in page and ("e-mail sent" in page or "邮件已发送" in page)


def test_a_failed_email_is_retried_shown_and_sent_again(database_url, tmp_path, smtp):
    from sqlalchemy import select

    from service.auth.models import AuditEntry
    from service.db import db
    from service.jobs import notices as jobs
    from service.notify.models import MailState, Notification

    dead = free_port()  # nothing listens here
    app = _app(database_url, tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=dead)
    with app.app_context():
        db.create_all()
        people = _people(_make_user(app))
        case = _case(people["w1"])
        case_id = case.id
        assert _flag(_client(app, people["w1"]), case_id).status_code == 302
        db.session.expire_all()
        told = db.session.scalars(select(Notification)).all()
        assert len(told) == 2
        for n in told:
            assert n.mail_state == MailState.FAILED
            assert n.mail_attempts == jobs.RETRIES + 1
            assert "refused" in n.mail_error.lower() or "connect" in n.mail_error.lower()
        failures = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "notice.mail_failed")).all()
        assert len(failures) == 2
        s1 = _client(app, people["s1"])
        page = s1.get(f"/cases/{case_id}").get_data(as_text=True)
        assert "e-mail failed" in page or "邮件发送失败" in page
        assert _unread_badge(page) == 1  # the inbox does not depend on the mail
        # the mail server comes back: a reviewer sends it again from the case page
        app.extensions["mail"].port = smtp.port
        notice = next(n for n in told if n.recipient.username == "d1")
        token = csrf_token(s1, f"/cases/{case_id}")
        again = s1.post(f"/cases/{case_id}/notices/{notice.id}/resend",
                        data={"csrf_token": token})
        assert again.status_code == 302
        db.session.expire_all()
        assert db.session.get(Notification, notice.id).mail_state == MailState.SENT
        [message] = smtp.to("d1@example.org")
        assert case.number in message["Subject"]
        # a worker may not resend
        w1 = _client(app, people["w1"])
        token = csrf_token(w1, f"/cases/{case_id}")
        other = next(n for n in told if n.recipient.username == "s1")
        assert w1.post(f"/cases/{case_id}/notices/{other.id}/resend",
                       data={"csrf_token": token}).status_code == 403
        db.session.remove()
        db.engine.dispose()


def test_without_a_mail_server_notices_stay_in_the_inbox(app, smtp):
    from sqlalchemy import select

    from service.db import db
    from service.notify.models import MailState, Notification

    assert not app.config["MAIL_SERVER"]
    people = _people(_make_user(app))
    case = _case(people["w1"])
    assert _flag(_client(app, people["w1"]), case.id).status_code == 302
    told = db.session.scalars(select(Notification)).all()
    assert {n.recipient.username for n in told} == {"s1", "d1"}
    assert all(n.mail_state == MailState.NONE for n in told)
    assert smtp.messages == []
    assert _unread_badge(_client(app, people["d1"]).get("/cases").get_data(as_text=True)) == 1


def test_a_report_made_outside_the_service_is_recorded_checked_and_audited(app):
    from sqlalchemy import select

    from service.auth.models import AuditEntry
    from service.db import db, utcnow
    from service.notify.models import OutsideReport

    people = _people(_make_user(app))
    case = _case(people["w1"])
    w1 = _client(app, people["w1"])
    assert _flag(w1, case.id).status_code == 302
    url = f"/cases/{case.id}/outside-reports"
    token = csrf_token(w1, f"/cases/{case.id}")
    future = (utcnow() + timedelta(hours=8, days=1)).strftime("%Y-%m-%dT%H:%M")
    refused = w1.post(url, data={"csrf_token": token, "agency": "公安", "channel": "电话",
                                 "reported_at": future}, follow_redirects=True)
    assert ("cannot be in the future" in refused.get_data(as_text=True)
            or "不能晚于现在" in refused.get_data(as_text=True))
    bad = w1.post(url, data={"csrf_token": token, "agency": "外星人", "channel": "电话",
                             "reported_at": "2024-05-01T10:00"}, follow_redirects=True)
    assert "Choose to whom" in bad.get_data(as_text=True) or "请选择向谁报告" in bad.get_data(
        as_text=True)
    assert db.session.scalars(select(OutsideReport)).all() == []
    ok = w1.post(url, data={"csrf_token": token, "agency": "公安", "recipient": "天河派出所",
                            "channel": "电话", "reported_at": "2024-05-01T10:00",
                            "note": "民警已上门"})
    assert ok.status_code == 302
    [report] = db.session.scalars(select(OutsideReport)).all()
    assert report.reported_at.isoformat() == "2024-05-01T02:00:00"  # 10:00 in Guangzhou
    assert report.flag_id is not None
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "risk.report_outside")).one()
    assert "天河派出所" in entry.details and entry.case_id == case.id
    page = _client(app, people["s1"]).get(f"/cases/{case.id}?lang=en").get_data(as_text=True)
    assert "Police" in page and "天河派出所" in page and "By telephone" in page
    # someone who may not see the case cannot record one (and learns nothing)
    s2 = _client(app, people["s2"])
    assert s2.post(url, data={"csrf_token": csrf_token(s2, "/cases"), "agency": "公安",
                              "channel": "电话", "reported_at": "2024-05-01T10:00"}
                   ).status_code == 404


def test_the_language_chosen_before_or_after_signing_in_is_the_one_mailed_in(app):
    from service.db import db

    people = _people(_make_user(app))
    client = app.test_client()
    client.get("/login?lang=en")
    login(client, people["w1"])
    client.get("/cases")
    db.session.expire_all()
    assert people["w1"].locale == "en"
    client.get("/cases?lang=zh_Hans_CN")
    db.session.expire_all()
    assert people["w1"].locale == "zh_Hans_CN"


def test_people_have_an_email_address_from_the_command_line_and_the_admin_pages(app):
    from service.auth.users import find_user
    from service.db import db

    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "li", "--role", "supervisor",
                                 "--email", "li@example.org", "--password-stdin"],
                           input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert find_user("li").email == "li@example.org"
    result = runner.invoke(args=["users", "create", "ma", "--role", "worker",
                                 "--email", "not an address", "--password-stdin"],
                           input=PASSWORD + "\n")
    assert result.exit_code != 0 and "not an e-mail address" in result.output
    assert find_user("ma") is None
    admin = _make_user(app)("root", "admin")
    client = _client(app, admin)
    listed = client.get("/admin/users?lang=zh_Hans_CN").get_data(as_text=True)
    assert "li@example.org" in listed
    li_row = next(row for row in listed.split("<tr>") if ">li</a>" in row)
    assert '<span class="state">督导</span>' in li_row and "supervisor" not in li_row
    both = _make_user(app)("zhang", "worker", "archivist")
    both_row = next(row for row in client.get("/admin/users").get_data(as_text=True)
                    .split("<tr>") if f">{both.username}</a>" in row)
    assert both_row.index("社工") < both_row.index("档案员")  # in Role's order
    li = find_user("li")
    token = csrf_token(client, f"/admin/users/{li.id}")
    refused = client.post(f"/admin/users/{li.id}", data={"csrf_token": token,
                                                         "display_name": "李", "email": "li@"})
    assert refused.status_code == 422
    saved = client.post(f"/admin/users/{li.id}", data={"csrf_token": token,
                                                       "display_name": "李华",
                                                       "email": "lihua@example.org"})
    assert saved.status_code == 302
    db.session.expire_all()
    assert find_user("li").email == "lihua@example.org"
    supervisor = _client(app, li)
    assert supervisor.get("/admin/users").status_code == 403


# --- the API: flagCase and listNotifications ---------------------------------------------------

PROBLEM = "application/problem+json"


def _operation(client, operation_id: str) -> tuple[str, str, dict]:
    document = client.get("/api/v1/openapi.json").get_json()
    for path, item in document["paths"].items():
        for method, op in item.items():
            if op["operationId"] == operation_id:
                return path, method, op
    raise AssertionError(f"{operation_id} is not described")


def test_flag_case_through_the_api_as_described_tells_people_by_real_email(mail_app, smtp):
    people = _people(_make_user(mail_app))
    case = _case(people["w1"])
    client = mail_app.test_client()
    path, method, op = _operation(client, "flagCase")
    assert (path, method) == ("/api/v1/cases/{case_id}/flags", "post")
    assert [p["name"] for p in op["parameters"]] == ["case_id", "Idempotency-Key"]
    body = op["requestBody"]["content"]["application/json"]["example"]
    for code in ("201", "401", "403", "404", "409", "422"):
        assert code in op["responses"], code
    url = path.replace("{case_id}", str(case.id))
    answer = client.post(url, json=body, headers=bearer_for(people["w1"]))  # the example as it is
    assert answer.status_code == 201, answer.get_data(as_text=True)
    flag = answer.get_json()
    assert flag["case_number"] == case.number and flag["concern"] == body["concern"]
    assert sorted(n["username"] for n in flag["notified"]) == ["d1", "s1"]
    assert {n["mail"] for n in flag["notified"]} == {"sent"}
    [message] = smtp.to("s1@example.org")
    assert case.number in message["Subject"] and body["concern"] not in message.get_content()

    # listNotifications: the supervisor's inbox, in the caller's language
    path, method, op = _operation(client, "listNotifications")
    assert (path, method) == ("/api/v1/notifications", "get")
    assert {p["name"] for p in op["parameters"]} == {"unread", "limit", "offset"}
    example = op["responses"]["200"]["content"]["application/json"]["example"]
    s1 = bearer_for(people["s1"])
    query = "&".join(f"{p['name']}={str(p['example']).lower()}" for p in op["parameters"])
    listed = client.get(f"{path}?{query}", headers={**s1, "Accept-Language": "en"})
    assert listed.status_code == 200
    inbox = listed.get_json()
    assert set(inbox) == set(example) and inbox["unread"] == 1
    [notice] = inbox["items"]
    assert set(notice) == set(example["items"][0])
    assert notice["case_number"] == case.number and notice["case_id"] == case.id
    assert notice["text"] == f"Case {case.number} was flagged as a risk to life (8.6)"
    assert notice["read_at"] is None and notice["mail"] == "sent"
    chinese = client.get(path, headers={**s1, "Accept-Language": "zh-CN"}).get_json()
    assert chinese["items"][0]["text"] == f"个案 {case.number} 被标记为生命安全风险（8.6）"
    # the flagger's inbox is empty; a notice read on the page leaves the unread list
    assert client.get(path, headers=bearer_for(people["w1"])).get_json() == {
        "items": [], "unread": 0, "limit": 50, "offset": 0}
    page = _client(mail_app, people["s1"])
    page.post(f"/notices/{notice['id']}/read", data={"csrf_token": csrf_token(page, "/notices")})
    after = client.get(f"{path}?unread=true", headers=s1).get_json()
    assert after["items"] == [] and after["unread"] == 0


def test_flag_case_names_what_is_wrong_as_problem_documents(app):
    from sqlalchemy import func, select

    from service.annexes.process import Stage
    from service.auth.models import RiskFlag
    from service.db import db
    from service.notify.models import Notification

    people = _people(_make_user(app))
    case = _case(people["w1"])
    client = app.test_client()
    url = f"/api/v1/cases/{case.id}/flags"
    w1 = bearer_for(people["w1"])

    def problem(answer, status):
        assert answer.status_code == status, answer.get_data(as_text=True)
        assert answer.mimetype == PROBLEM
        return answer.get_json()

    found = problem(client.post(url, json={"concern": "  ", "urgent": True}, headers=w1), 422)
    assert sorted(e["field"] for e in found["errors"]) == ["concern", "urgent"]
    found = problem(client.post(url, json={"concern": "x" * 2001}, headers=w1), 422)
    assert [e["field"] for e in found["errors"]] == ["concern"]
    problem(client.post(url, json=["concern"], headers=w1), 400)
    problem(client.post(url, data="concern=x", headers=w1), 400)
    assert problem(client.post(url, json={"concern": "x"}), 401)["status"] == 401
    # someone who may not see the case: the same answer as for no case at all
    s2 = bearer_for(people["s2"])
    hidden = problem(client.post(url, json={"concern": "x"}, headers=s2), 404)
    absent = problem(client.post("/api/v1/cases/999999/flags", json={"concern": "x"},
                                 headers=s2), 404)
    assert hidden == absent
    case.stage = Stage.CLOSED
    db.session.commit()
    problem(client.post(url, json={"concern": "x"}, headers=w1), 409)
    assert db.session.scalar(select(func.count()).select_from(RiskFlag)) == 0
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0
    bad = problem(client.get("/api/v1/notifications?limit=ten&unread=perhaps", headers=w1), 400)
    assert sorted(e["field"] for e in bad["errors"]) == ["limit", "unread"]
