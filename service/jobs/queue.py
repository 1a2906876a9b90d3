"""The task queue: Huey on a SQLite file by default, on Redis when REDIS_URL is set.

Web processes enqueue; `huey_consumer service.consumer.huey` processes (any number of them)
do the work. Tests may set HUEY_IMMEDIATE=1 to run tasks in-process.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from huey import RedisHuey, SqliteHuey
from huey.api import Huey

from ..db import WaitingConnection


def _make_huey() -> Huey:
    immediate = os.environ.get("HUEY_IMMEDIATE", "") == "1"
    if url := os.environ.get("REDIS_URL"):
        return RedisHuey("petition-casework", url=url, immediate=immediate)
    instance = Path(os.environ.get("INSTANCE_PATH") or Path.cwd() / "instance")
    instance.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("petition-casework", filename=str(instance / "queue.sqlite3"),
                      immediate=immediate, factory=QueueConnection)


class QueueConnection(WaitingConnection):
    """A connection to the SQLite queue file. It waits for the file's write lock in short
    steps, as the database's connections do, and syncs the file to disk at checkpoints only
    (``synchronous=NORMAL``): a web process no longer waits for the disk twice a save.

    Why that is safe: with a write-ahead log the file stays whole however the machine stops,
    and a process that crashes loses nothing. What a power cut can lose is the last messages
    queued. The jobs kept in the database (copies, notices, surveys, reports, bundles, import
    runs) are queued again by their sweeps once they have waited ``leases.LOST_AFTER``, as
    after a Redis restarted without its data; a PDF asked for through the API lives only on
    the queue, and its caller would ask again."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.execute("PRAGMA synchronous=NORMAL")


huey = _make_huey()
