"""The e-mail of an 8.6 notice is sent by a queue worker, never in the web request: a real
gunicorn web process records the flag and the notices and answers at once, with nothing sent;
a real huey consumer then sends each e-mail through a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import requests

from tests.servers import free_port, gunicorn, huey_consumer, server_env
from tests.test_notices import Inbox, _make_user, _people

PASSWORD = "correct horse battery"


def _signed_in(base: str, username: str) -> tuple[requests.Session, str]:
    browser = requests.Session()
    page = browser.get(f"{base}/login", timeout=30).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    answer = browser.post(f"{base}/login", data={"username": username, "password": PASSWORD,
                                                 "csrf_token": token},
                          allow_redirects=False, timeout=30)
    assert answer.status_code == 302
    page = browser.get(f"{base}/cases", timeout=30).text
    return browser, re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def _states() -> list[tuple[str, str, int]]:
    from sqlalchemy import select

    from service.db import db
    from service.notify.models import Notification

    db.session.expire_all()
    rows = db.session.scalars(select(Notification).order_by(Notification.id)).all()
    return [(n.recipient.username, n.mail_state, n.mail_attempts) for n in rows]


def test_the_web_process_queues_the_mail_and_a_queue_worker_sends_it(app, database_url,
                                                                     tmp_path: Path):
    from aiosmtpd.controller import Controller

    from service.cases import lifecycle
    from service.db import db

    people = _people(_make_user(app))
    case = lifecycle.open_case(worker=people["w1"], client_name="王建国")
    db.session.commit()
    handler = Inbox()
    smtp = Controller(handler, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        env = server_env(tmp_path / "instance", database_url, MAIL_SERVER="127.0.0.1",
                         MAIL_PORT=str(smtp.port), MAIL_DEFAULT_SENDER="casework@example.org",
                         PUBLIC_URL="https://casework.example.org")
        with gunicorn(env, tmp_path / "web.log", "-w", "1") as base:
            browser, token = _signed_in(base, "w1")
            started = time.monotonic()
            answer = browser.post(f"{base}/cases/{case.id}/risk", timeout=30,
                                  data={"csrf_token": token, "concern": "今晚要跳楼"},
                                  allow_redirects=False)
            took = time.monotonic() - started
            assert answer.status_code == 302
        # the request is answered with the notices queued and nothing sent
        assert sorted(_states()) == [("d1", "queued", 0), ("s1", "queued", 0)]
        assert handler.messages == []
        with huey_consumer(env, tmp_path / "worker.log", "-w", "1", "-k", "thread"):
            deadline = time.monotonic() + 60
            while len(handler.messages) < 2 and time.monotonic() < deadline:
                time.sleep(0.2)
            while any(s != "sent" for _, s, _ in _states()) and time.monotonic() < deadline:
                time.sleep(0.2)
        assert sorted(_states()) == [("d1", "sent", 1), ("s1", "sent", 1)], \
            (tmp_path / "worker.log").read_text()[-3000:]
        [to_s1] = handler.to("s1@example.org")
        [to_d1] = handler.to("d1@example.org")
        assert to_s1["Subject"] == f"Case {case.number} was flagged as a risk to life (8.6)"
        assert to_d1["Subject"] == f"个案 {case.number} 被标记为生命安全风险（8.6）"
        assert f"https://casework.example.org/cases/{case.id}" in to_d1.get_content()
        assert "跳楼" not in to_s1.get_content() and "王建国" not in to_s1.get_content()
        print(f"flag request answered in {took * 1000:.0f} ms with the mail queued")
    finally:
        smtp.stop()
