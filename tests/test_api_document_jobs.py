"""A PDF asked of the API that a worker cannot make at once: 202 and a job URL within the web
timeout, then the PDF from that URL once a real queue worker (and LibreOffice) has made it."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from service.annexes.examples import example
from tests.servers import huey_consumer, server_env

pytestmark = pytest.mark.office


@pytest.fixture
def auth(bearer):
    """A worker's API token headers."""
    return bearer("api", "worker")


def ask(client, url: str, headers: dict[str, str]):
    """GET ``url``, then end the request's database session as a web process does (the test
    client shares the test's session, whose open write would keep SQLite locked for the
    queue worker)."""
    from service.db import db

    response = client.get(url, headers=headers)
    db.session.rollback()
    return response


@pytest.fixture
def real_queue():
    """Jobs go to the instance's SQLite queue file, for a consumer process to take."""
    from service.jobs.queue import huey

    huey.immediate = False
    yield huey
    huey.immediate = True


def test_a_slow_pdf_is_a_202_with_a_job_url_then_the_pdf(app, client, auth, bearer, real_queue,
                                                        database_url, tmp_path: Path) -> None:
    app.config["API_DOCUMENT_WAIT"] = 0.5  # no worker is running yet: it cannot be ready
    started = time.monotonic()
    response = client.post("/api/v1/documents/C?format=pdf", json=example("C"), headers=auth)
    assert time.monotonic() - started < 10  # well within the web server's timeout
    assert response.status_code == 202, response.get_data(as_text=True)
    body = response.get_json()
    assert body["status"] == "pending" and response.headers["Location"] == body["url"]
    assert int(response.headers["Retry-After"]) > 0
    assert client.get(body["url"], headers=auth).status_code == 202  # still waiting
    other = bearer("other", "worker")
    assert client.get(body["url"], headers=other).status_code == 404  # not another's
    assert client.get(body["url"][:-3] + "xyz", headers=auth).status_code == 404
    instance = os.environ["INSTANCE_PATH"]  # where this process's queue file is
    env = server_env(Path(instance), database_url, OFFICE_WORKERS="1")
    with huey_consumer(env, tmp_path / "worker.log", "--workers", "1"):
        deadline = time.monotonic() + 120
        while (got := ask(client, body["url"], auth)).status_code == 202:
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()[-2000:]
            time.sleep(0.5)
    assert got.status_code == 200 and got.mimetype == "application/pdf"
    text = subprocess.run(["pdftotext", "-", "-"], input=got.data, capture_output=True,
                          check=True).stdout.decode()
    assert "会谈" in text
    gone = client.get(body["url"], headers=auth)
    assert gone.status_code == 410 and gone.mimetype == "application/problem+json"


def test_a_pdf_whose_worker_was_killed_is_made_again_for_the_same_job_url(
        app, client, auth, real_queue, database_url, tmp_path: Path) -> None:
    import sqlalchemy as sa

    from service.db import db
    from service.jobs.leases import JobLease

    app.config["API_DOCUMENT_WAIT"] = 0.2
    response = client.post("/api/v1/documents/B?format=pdf", json=example("B"), headers=auth)
    assert response.status_code == 202
    url = response.get_json()["url"]
    env = server_env(Path(os.environ["INSTANCE_PATH"]), database_url, OFFICE_WORKERS="1")
    with huey_consumer(env, tmp_path / "one.log", "--workers", "1") as one, \
            huey_consumer(env, tmp_path / "two.log", "--workers", "1") as two:
        deadline = time.monotonic() + 120
        holder = ""
        while not holder.endswith((f":{one.pid}", f":{two.pid}")):
            assert time.monotonic() < deadline, "no worker took the job"
            db.session.rollback()
            holder = db.session.scalar(sa.select(JobLease.holder).where(
                JobLease.task == "api_pdf")) or ""
            time.sleep(0.05)
        victim = one if holder.endswith(f":{one.pid}") else two
        os.killpg(victim.pid, signal.SIGKILL)  # LibreOffice with it
        killed_at = time.monotonic()
        victim.wait(timeout=10)
        assert ask(client, url, auth).status_code == 202, "done before the kill"
        while (got := ask(client, url, auth)).status_code == 202:
            waited = time.monotonic() - killed_at
            assert waited < 60, f"not made again within a minute ({waited:.0f} s)"
            time.sleep(0.5)
    assert got.status_code == 200 and got.mimetype == "application/pdf"
    text = subprocess.run(["pdftotext", "-", "-"], input=got.data, capture_output=True,
                          check=True).stdout.decode()
    assert "接案" in text


def test_the_openapi_document_describes_the_202_and_the_job(client) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    make = spec["paths"]["/api/v1/documents/{code}"]["post"]
    assert make["operationId"] == "makeDocument" and {"200", "202", "503"} <= set(make["responses"])
    job = spec["paths"]["/api/v1/documents/jobs/{job}"]["get"]
    assert job["operationId"] == "getDocumentJob" and {"200", "202", "410"} <= set(job["responses"])
