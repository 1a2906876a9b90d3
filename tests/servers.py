"""Real server processes for tests: gunicorn web processes and huey queue consumers.

Each runs the project's code in a process of its own, with the environment a test gives it (the
test's database, instance folder, queue), and is stopped (its whole process group) afterwards.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "correct horse battery"  # conftest's make_user's


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(instance: Path, database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a server process on ``database_url`` with its own instance folder."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("HUEY_IMMEDIATE", "REDIS_URL", "ARCHIVE_ROOT", "WORK_ROOT")}
    env.update({"INSTANCE_PATH": str(instance), "DATABASE_URL": database_url,
                "SECRET_KEY": "test-secret-key-not-for-production",
                "PYTHONPATH": str(ROOT)})
    env.update(extra)
    return env


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """Stop ``proc`` and its children (it leads its own process group)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@contextmanager
def gunicorn(env: dict[str, str], log: Path, *args: str) -> Iterator[str]:
    """A gunicorn web process serving the app; yields its base URL once it answers."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        proc = subprocess.Popen([str(BIN / "gunicorn"), "-b", f"127.0.0.1:{port}", *args,
                                 "service:create_app()"], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"gunicorn stopped: {log.read_text()[-2000:]}")
                try:
                    requests.get(f"{base}/sw.js", timeout=10)
                    break
                except requests.RequestException:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            yield base
        finally:
            stop(proc)


@contextmanager
def huey_consumer(env: dict[str, str], log: Path, *args: str) -> Iterator[subprocess.Popen]:
    """A huey queue consumer process on the app's queue; yields the process."""
    with log.open("wb") as out:
        proc = subprocess.Popen([str(BIN / "huey_consumer"), "service.consumer.huey", *args],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            yield proc
        finally:
            stop(proc)


# --- a browser's requests against such a server -------------------------------------------------

def signed_in(base: str, username: str, password: str = PASSWORD) -> requests.Session:
    """A browser's session signed in through the server's real sign-in page."""
    browser = requests.Session()
    page = browser.get(f"{base}/login", timeout=30).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token
    answer = browser.post(f"{base}/login", data={
        "username": username, "password": password, "csrf_token": token.group(1)},
        allow_redirects=False, timeout=30)
    assert answer.status_code == 302, answer.text[:300]
    return browser


def page_csrf(browser: requests.Session, url: str) -> str:
    """The CSRF token of a signed-in page."""
    page = browser.get(url, timeout=30).text
    found = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


def all_at_once(calls: list[Callable[[], requests.Response]]) -> list[requests.Response]:
    """Run each call in a thread of its own, released together; their answers (an exception
    raised in a call fails the assertion that every call answered)."""
    gate = threading.Barrier(len(calls))
    answers: list[object] = [None] * len(calls)

    def run(n: int) -> None:
        gate.wait()
        try:
            answers[n] = calls[n]()
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            answers[n] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(isinstance(a, requests.Response) for a in answers), answers
    return [a for a in answers if isinstance(a, requests.Response)]
