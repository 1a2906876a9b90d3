"""A pooled PostgreSQL connection that the server has closed since its last use (a restart, an
ended backend, an idle timeout) is replaced before a request gets it, and a live one is handed
out without a round trip. A real server, a real backend ended by ``pg_terminate_backend``."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from service.db import server_closed
from tests.conftest import POSTGRES_URL, login

#: How long the server may take to end a backend and say so on its socket.
ENDED_WITHIN_S = 5.0


#: PostgreSQL only: a SQLite file has no server to close its connections.
pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def _pooled_backend() -> tuple[int, object]:
    """The server process behind the pool's one idle connection, and that connection."""
    from service.db import db

    with db.engine.connect() as conn:
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        driver = conn.connection.dbapi_connection
    return int(pid), driver


def _end_backend(pid: int, driver: object) -> None:
    """End ``pid`` from another connection, as a restart or an administrator would, and wait
    until the server's word has reached the client's socket."""
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            assert conn.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
    finally:
        admin.dispose()
    deadline = time.monotonic() + ENDED_WITHIN_S
    while not server_closed(driver):
        assert time.monotonic() < deadline, "the server did not close the ended backend's socket"
        time.sleep(0.01)


def test_a_live_pooled_connection_is_not_taken_for_closed(app) -> None:
    pid, driver = _pooled_backend()
    assert not server_closed(driver)
    again, same = _pooled_backend()
    assert (again, same) == (pid, driver)  # handed out again as it was


def test_the_next_request_gets_a_new_connection_after_the_server_closed_the_pooled_one(
        app, client, make_user) -> None:
    user = make_user("worker")
    login(client, user)
    assert client.get("/", follow_redirects=True).status_code == 200
    pid, driver = _pooled_backend()
    _end_backend(pid, driver)

    answer = client.get("/", follow_redirects=True)  # signed-in: it reads the user from the database

    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    new_pid, _ = _pooled_backend()
    assert new_pid != pid


def test_no_round_trip_checks_a_connection_before_use(app, monkeypatch) -> None:
    """The pool does not ask the server (``SELECT 1``) before each use: the check above is
    the socket's own state."""
    from service.db import db

    pings: list[object] = []
    real_ping = db.engine.dialect.do_ping
    monkeypatch.setattr(db.engine.dialect, "do_ping",
                        lambda connection: pings.append(connection) or real_ping(connection))
    for _ in range(3):
        _pooled_backend()
    assert pings == []
