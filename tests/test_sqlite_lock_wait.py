"""A SQLite statement that finds the write lock held waits for it in short steps, not SQLite's
own 1, 2, 5, 10 ... ms sleeps, and still gives up after its wait or at once when waiting
cannot help. Real files, real connections of the application's engine, a real second writer."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from service.db import SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT, WaitingConnection

#: How long the other writer holds the lock. SQLite's own handler, waiting since the hold
#: began, tries again at 128 and then 178 ms: 48 ms after the lock is free.
HOLD_S = 0.130
#: How late a waiting statement may start after the lock is free (scheduling included).
LATE_S = 0.020


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only (the shared fixture's PostgreSQL waits by its own row locks)."""
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture
def database_file(app) -> Path:
    from service.db import db

    with db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE marks (n INTEGER)")
    return Path(db.engine.url.database or "")


@pytest.fixture
def waiting(app, database_file) -> Iterator[WaitingConnection]:
    """A connection of the application's own engine."""
    from service.db import db

    raw = db.engine.raw_connection()
    try:
        connection = raw.dbapi_connection
        assert isinstance(connection, WaitingConnection)
        yield connection
    finally:
        raw.close()


def _holder(path: Path) -> sqlite3.Connection:
    """Another process's writer, as SQLite sees it: a plain connection of its own."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # the write lock, held until commit
    other.execute("INSERT INTO marks VALUES (0)")
    return other


def _release_later(holder: sqlite3.Connection, after: float, freed: list[float]) -> threading.Thread:
    def release() -> None:
        time.sleep(after)
        holder.execute("COMMIT")
        freed.append(time.monotonic())

    thread = threading.Thread(target=release)
    thread.start()
    return thread


def test_the_application_s_sqlite_connections_do_their_own_waiting(waiting) -> None:
    assert waiting.execute("PRAGMA busy_timeout").fetchone() == (0,)
    assert waiting.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert waiting.lock_wait == 10.0


def test_a_writer_starts_soon_after_the_lock_is_free(waiting, database_file) -> None:
    lateness = []
    for _ in range(3):  # the least of three: one stall of the machine proves nothing
        freed: list[float] = []
        thread = _release_later(_holder(database_file), HOLD_S, freed)
        waiting.execute("INSERT INTO marks VALUES (1)")
        started = time.monotonic()
        waiting.commit()
        thread.join()
        lateness.append(started - freed[0])
    assert min(lateness) < LATE_S, lateness
    assert waiting.execute("SELECT count(*) FROM marks WHERE n = 1").fetchone() == (3,)


def test_every_row_of_a_waiting_batch_is_written(waiting, database_file) -> None:
    freed: list[float] = []
    thread = _release_later(_holder(database_file), 0.05, freed)
    waiting.executemany("INSERT INTO marks VALUES (?)", ((n,) for n in (7, 8, 9)))
    waiting.commit()
    thread.join()
    rows = waiting.execute("SELECT n FROM marks WHERE n > 1 ORDER BY n").fetchall()
    assert rows == [(7,), (8,), (9,)]


def test_a_writer_gives_up_after_its_wait(waiting, database_file) -> None:
    holder = _holder(database_file)
    waiting.lock_wait = 0.2
    began = time.monotonic()
    with pytest.raises(sqlite3.OperationalError) as failed:
        waiting.execute("INSERT INTO marks VALUES (1)")
    waited = time.monotonic() - began
    holder.execute("COMMIT")
    assert failed.value.sqlite_errorcode == SQLITE_BUSY
    assert 0.2 <= waited < 2.0


def test_an_overwritten_snapshot_fails_at_once(waiting, database_file) -> None:
    waiting.execute("BEGIN")
    waiting.execute("SELECT count(*) FROM marks").fetchall()  # this transaction's snapshot
    other = sqlite3.connect(database_file, isolation_level=None)
    other.execute("INSERT INTO marks VALUES (2)")  # committed: the snapshot is now old
    began = time.monotonic()
    with pytest.raises(sqlite3.OperationalError) as failed:
        waiting.execute("INSERT INTO marks VALUES (1)")
    assert failed.value.sqlite_errorcode == SQLITE_BUSY_SNAPSHOT
    assert time.monotonic() - began < 1.0  # not its ten seconds' wait
    waiting.rollback()


def test_a_locked_save_through_the_engine_waits_and_succeeds(app, database_file) -> None:
    from service.db import db

    freed: list[float] = []
    thread = _release_later(_holder(database_file), 0.05, freed)
    with db.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO marks VALUES (5)"))
    thread.join()
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM marks WHERE n = 5")).scalar() == 1


def test_the_queue_file_waits_the_same_way(tmp_path: Path, monkeypatch) -> None:
    """The SQLite queue (no REDIS_URL): its connections wait too, and an enqueue that finds
    the file's write lock held (another web process's, a consumer's) goes in once it is free.
    The file is synced to disk at checkpoints, not at each enqueue (``QueueConnection``)."""
    monkeypatch.delenv("HUEY_IMMEDIATE", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    from service.jobs.queue import _make_huey

    storage = _make_huey().storage
    assert isinstance(storage.conn, WaitingConnection)
    assert storage.conn.execute("PRAGMA busy_timeout").fetchone() == (0,)
    assert storage.conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    # synced at checkpoints, not at each enqueue: what a power cut loses, the sweeps queue again
    assert storage.conn.execute("PRAGMA synchronous").fetchone() == (1,)
    holder = sqlite3.connect(tmp_path / "queue.sqlite3", isolation_level=None,
                             check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    freed: list[float] = []
    thread = _release_later(holder, 0.05, freed)
    storage.enqueue(b"a task")
    thread.join()
    assert storage.enqueued_items() == [b"a task"]
