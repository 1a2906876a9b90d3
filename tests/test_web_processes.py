"""How gunicorn runs the web processes with the project's own settings (gunicorn.conf.py)."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests.servers import gunicorn, server_env


@contextmanager
def _web_server(tmp_path: Path, *args: str) -> Iterator[str]:
    """gunicorn with the project's settings (and ``args``), logging to gunicorn.log in
    ``tmp_path``; its base URL."""
    env = server_env(tmp_path / "instance", f"sqlite:///{tmp_path / 'web.sqlite3'}")
    with gunicorn(env, tmp_path / "gunicorn.log", *args) as base:
        yield base


def test_a_web_process_keeps_its_start_up_objects_out_of_garbage_collection(
        tmp_path: Path) -> None:
    with _web_server(tmp_path, "-w", "2", "--log-level", "info") as base:
        assert requests.get(f"{base}/sw.js", timeout=10).status_code == 200
    log = (tmp_path / "gunicorn.log").read_text()
    kept = [int(n) for n in re.findall(r"kept (\d+) start-up objects out of garbage collection",
                                       log)]
    assert len(kept) == 2, log[-2000:]  # each worker, after loading the app
    assert min(kept) > 50_000  # the app's modules, declarations and mappers, not a handful


def _answer(sock: socket.socket) -> bytes:
    """Read one whole answer (headers and a Content-Length body) off ``sock``."""
    stream = sock.makefile("rb")
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        line = stream.readline()
        assert line, head
        head += line
    found = re.search(rb"(?i)content-length: *(\d+)", head)
    assert found, head
    return head + stream.read(int(found.group(1)))


@contextmanager
def _one_web_process(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """One gunicorn web process with the project's settings; its address."""
    with _web_server(tmp_path, "-w", "1") as base:
        yield "127.0.0.1", int(base.rsplit(":", 1)[1])


PAGE = b"GET /sw.js HTTP/1.1\r\nHost: t\r\n\r\n"
FORM = b"username=a&password=b&x=%41"
POST_READ_WHOLE = (b"POST /login HTTP/1.1\r\nHost: t\r\n"
                   b"Content-Type: application/x-www-form-urlencoded\r\n"
                   b"Content-Length: %d\r\n\r\n%s" % (len(FORM), FORM))


@pytest.mark.parametrize("first", [PAGE, POST_READ_WHOLE], ids=["a page", "a post read whole"])
def test_a_client_that_keeps_its_connection_open_does_not_hold_the_web_process(
        tmp_path: Path, first: bytes) -> None:
    """Once its answer is sent and nothing is left to read, the one web process takes the next
    request at once; gunicorn's own sync worker waited up to 2 s for the client to close its
    side first."""
    with (_one_web_process(tmp_path) as address,
          socket.create_connection(address, timeout=10) as lingering):
        lingering.sendall(first)
        assert re.match(rb"HTTP/1.1 (200|400) ", _answer(lingering))
        started = time.monotonic()
        with socket.create_connection(address, timeout=10) as second:
            second.sendall(PAGE)
            assert _answer(second).startswith(b"HTTP/1.1 200 ")
        assert time.monotonic() - started < 1.0  # gunicorn's own: 2 s
        assert lingering.recv(1) == b""  # the web process has closed its side


def test_an_answer_given_before_the_body_was_read_still_waits_for_the_client(
        tmp_path: Path) -> None:
    """A body refused unread (413 from its Content-Length) may still be on its way: the web
    process goes on reading it until the client closes (as gunicorn's own worker does, up to
    64 kB), so the client's late bytes are taken in, not answered by a reset that could cut the
    answer short."""
    with (_one_web_process(tmp_path) as address,
          socket.create_connection(address, timeout=10) as client):
        client.sendall(b"POST /login HTTP/1.1\r\nHost: t\r\n"
                       b"Content-Type: application/x-www-form-urlencoded\r\n"
                       b"Content-Length: 5000000\r\n\r\n")
        time.sleep(0.5)  # answered by now; none of the body has been sent
        client.sendall(b"x" * 30_000)
        time.sleep(0.5)  # a connection already closed would have reset by now
        client.sendall(b"x" * 30_000)
        assert _answer(client).startswith(b"HTTP/1.1 413 ")
