"""How gunicorn runs the web processes with the project's own settings (gunicorn.conf.py)."""

from __future__ import annotations

import re
from pathlib import Path

import requests

from tests.servers import gunicorn, server_env


def test_a_web_process_keeps_its_start_up_objects_out_of_garbage_collection(
        tmp_path: Path) -> None:
    env = server_env(tmp_path / "instance", f"sqlite:///{tmp_path / 'web.sqlite3'}")
    log = tmp_path / "gunicorn.log"
    with gunicorn(env, log, "-w", "2", "--log-level", "info") as base:
        assert requests.get(f"{base}/sw.js", timeout=10).status_code == 200
    kept = [int(n) for n in re.findall(r"kept (\d+) start-up objects out of garbage collection",
                                       log.read_text())]
    assert len(kept) == 2, log.read_text()[-2000:]  # each worker, after loading the app
    assert min(kept) > 50_000  # the app's modules, declarations and mappers, not a handful
