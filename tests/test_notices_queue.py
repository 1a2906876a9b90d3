"""The e-mail of an 8.6 notice is sent by a queue worker, never in the web request: a real
gunicorn web process records the flag and the notices and answers at once, with nothing sent;
a real huey consumer then sends each e-mail through a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import threading
import time
from pathlib import Path

import requests

from tests.conftest import job_leases
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


class HeldInbox(Inbox):
    """An SMTP server that holds the first message it is handed until released (a slow
    server), so that the worker sending it can be killed mid-send."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        if not self.arrived.is_set():
            self.arrived.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 try again later"  # its sender is gone by now
        return await super().handle_DATA(server, session, envelope)


def test_a_worker_killed_while_sending_leaves_the_mail_to_another_within_a_minute(
        app, database_url, tmp_path: Path):
    from aiosmtpd.controller import Controller

    from service.cases import lifecycle
    from service.db import db

    people = _people(_make_user(app))
    people["s1"].email = ""  # one e-mail only: the one the killed worker was sending
    case = lifecycle.open_case(worker=people["w1"], client_name="王建国")
    db.session.commit()
    handler = HeldInbox()
    smtp = Controller(handler, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        env = server_env(tmp_path / "instance", database_url, MAIL_SERVER="127.0.0.1",
                         MAIL_PORT=str(smtp.port), PUBLIC_URL="https://casework.example.org")
        with gunicorn(env, tmp_path / "web.log", "-w", "1") as base:
            browser, token = _signed_in(base, "w1")
            assert browser.post(f"{base}/cases/{case.id}/risk", timeout=30,
                                data={"csrf_token": token, "concern": "今晚要跳楼"},
                                allow_redirects=False).status_code == 302
        with huey_consumer(env, tmp_path / "one.log", "-w", "1") as one, \
                huey_consumer(env, tmp_path / "two.log", "-w", "1") as two:
            assert handler.arrived.wait(60), (tmp_path / "one.log").read_text()[-3000:] + (
                tmp_path / "two.log").read_text()[-3000:]
            held = [lease for lease in job_leases() if lease[0] == "notice_mail"]
            assert len(held) == 1, held
            victim = one if held[0][2].endswith(f":{one.pid}") else two
            os.killpg(victim.pid, signal.SIGKILL)
            killed_at = time.monotonic()
            victim.wait(timeout=10)
            handler.release.set()
            while not handler.to("d1@example.org") or ("d1", "sent", 2) not in _states():
                waited = time.monotonic() - killed_at
                assert waited < 60, (waited, _states(), job_leases())
                time.sleep(0.5)
            print(f"sent again {time.monotonic() - killed_at:.0f} s after its worker died")
        [message] = handler.to("d1@example.org")
        assert case.number in message["Subject"]
        assert sorted(_states()) == [("d1", "sent", 2), ("s1", "none", 0)]
        assert job_leases() == []
    finally:
        smtp.stop()
