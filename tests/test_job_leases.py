"""A queue worker killed mid-job (SIGKILL, as the kernel's OOM killer does): another worker
runs the job again within a minute. Real huey_consumer processes on the test's database and
a SQLite queue, real LibreOffice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import job_leases
from tests.servers import ROOT, huey_consumer, server_env

pytestmark = pytest.mark.office


def _copies_ready(version_id: int) -> bool:
    from service.cases.models import Document, DocumentState
    from service.db import db

    db.session.rollback()
    states = db.session.scalars(sa.select(Document.state).where(
        Document.version_id == version_id)).all()
    return len(states) == 2 and all(s == DocumentState.READY for s in states)


def test_a_job_whose_worker_was_killed_is_done_by_another_within_a_minute(
        app, database_url: str, tmp_path: Path) -> None:
    env = server_env(tmp_path / "instance", database_url, OFFICE_WORKERS="1")
    with huey_consumer(env, tmp_path / "one.log", "--workers", "1") as one, \
            huey_consumer(env, tmp_path / "two.log", "--workers", "1") as two:
        seeding = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "service", "demo", "seed", "--cases", "1",
             "--seed", "7", "--use-queue", "--timeout", "300"], cwd=ROOT, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 120
            running = []
            while not running:  # a documents job under way, held by one of the consumers
                assert time.monotonic() < deadline, "no job was taken"
                running = [lease for lease in job_leases() if lease[0] == "documents"
                           and lease[2].endswith((f":{one.pid}", f":{two.pid}"))]
                time.sleep(0.05)
            task, args, holder = running[0]
            victim = one if holder.endswith(f":{one.pid}") else two
            os.killpg(victim.pid, signal.SIGKILL)  # its LibreOffice runs in sessions of its own
            killed_at = time.monotonic()
            victim.wait(timeout=10)
            version_id = int(args.strip("[]"))
            assert not _copies_ready(version_id), "the job ended before its worker was killed"
            while not _copies_ready(version_id):
                waited = time.monotonic() - killed_at
                assert waited < 60, f"the job was not done again within a minute ({waited:.0f} s)"
                time.sleep(0.5)
            survivor = two if victim is one else one
            assert survivor.poll() is None
            deadline = time.monotonic() + 180
            while job_leases():  # the other copies too; each lease dropped at its job's end
                assert time.monotonic() < deadline, job_leases()
                time.sleep(0.5)
        finally:
            if seeding.poll() is None:
                os.killpg(seeding.pid, signal.SIGKILL)
                seeding.wait()
    log = (tmp_path / "one.log").read_text() + (tmp_path / "two.log").read_text()
    assert "queued again" in log


def test_a_queue_worker_gets_its_application_from_its_entry_point(tmp_path: Path) -> None:
    """``service.consumer`` (the Procfile's worker) gives tasks the application; a task run in
    a process that never loaded it says how to start the workers instead of failing obscurely."""
    env = server_env(tmp_path / "instance", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    probe = ("from service.jobs import app_context\n"
             "try:\n"
             "    with app_context(): pass\n"
             "except RuntimeError as error: print('refused:', error)\n"
             "import service.consumer\n"
             "with app_context() as app: print('built:', app.name)\n")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("refused:") and "huey_consumer service.consumer.huey" in lines[0]
    assert lines[1] == "built: service"
