"""The task queue: Huey on a SQLite file by default, on Redis when REDIS_URL is set.

Web processes enqueue; `huey_consumer service.jobs.queue.huey` processes (any number of them)
do the work. Tests may set HUEY_IMMEDIATE=1 to run tasks in-process.
"""

from __future__ import annotations

import os
from pathlib import Path

from huey import RedisHuey, SqliteHuey
from huey.api import Huey

from ..db import WaitingConnection


def _make_huey() -> Huey:
    immediate = os.environ.get("HUEY_IMMEDIATE", "") == "1"
    if url := os.environ.get("REDIS_URL"):
        return RedisHuey("petition-casework", url=url, immediate=immediate)
    instance = Path(os.environ.get("INSTANCE_PATH") or Path.cwd() / "instance")
    instance.mkdir(parents=True, exist_ok=True)
    # its connections wait for the file's write lock in short steps, as the database's do
    return SqliteHuey("petition-casework", filename=str(instance / "queue.sqlite3"),
                      immediate=immediate, timeout=0, factory=WaitingConnection)


huey = _make_huey()
