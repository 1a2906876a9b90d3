"""The documents off the request path: queue jobs, the batch command and the generator API,
with real LibreOffice (the queue runs inline: HUEY_IMMEDIATE=1)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import subprocess
from pathlib import Path

import pytest
from docx import Document as WordDocument

from service.annexes import ANNEXES
from service.annexes.examples import example
from service.cases import lifecycle, workflow
from service.cases.models import DocumentState
from service.db import db
from service.documents import ConversionError
from service.documents.convert import default_pool, shutdown_pool

pytestmark = pytest.mark.office


@pytest.fixture(scope="module", autouse=True)
def _pool_closed_after():
    yield
    shutdown_pool()


def _submitted(annex: str, data: dict | None = None, source: str = "typed"):
    case = lifecycle.open_case(client_name="王建国")
    form = lifecycle.new_form(case, annex)
    version = workflow.submit(form, data if data is not None else example(annex), by=None,
                              source=source, then=lambda _v: None).version
    db.session.commit()
    return version


def _pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "x.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def test_a_submitted_version_gets_its_word_and_pdf_copies(app, tmp_path):
    from service.jobs.documents import enqueue_documents

    version = _submitted("B")
    enqueue_documents(version.id)
    db.session.commit()
    db.session.refresh(version)
    docs = {d.format: d for d in version.documents}
    assert set(docs) == {"docx", "pdf"}
    root = Path(app.config["WORK_ROOT"])
    for doc in docs.values():
        assert doc.state == DocumentState.READY, doc.error
        assert doc.path.startswith(f"cases/{version.form.case.number}/")
        content = (root / doc.path).read_bytes()
        assert hashlib.sha256(content).hexdigest() == doc.sha256
        assert doc.size == len(content)
        assert doc.attempts == 1 and doc.error == ""
    assert docs["pdf"].pages == docs["docx"].pages >= 1
    pdf = (root / docs["pdf"].path).read_bytes()
    assert "王建国" in _pdf_text(pdf, tmp_path)
    word = WordDocument(root / docs["docx"].path)
    assert word.core_properties.identifier == version.form.case.number
    assert word.core_properties.comments == app.config["AGENCY_NAME"]


def test_a_failing_conversion_is_retried_then_shown_failed(app, monkeypatch):
    from service.jobs import documents as jobs

    calls = []

    def refuse(docx: bytes, timeout: float = 60) -> bytes:
        calls.append(len(docx))
        raise ConversionError("LibreOffice could not open the Word file")

    monkeypatch.setattr(jobs, "to_pdf", refuse)
    version = _submitted("C")
    jobs.enqueue_documents(version.id)
    db.session.commit()
    db.session.expire_all()
    docs = {d.format: d for d in version.documents}
    assert len(calls) == 1 + jobs.RETRIES
    assert docs["pdf"].state == DocumentState.FAILED
    assert "could not open" in docs["pdf"].error
    assert docs["pdf"].attempts == 1 + jobs.RETRIES
    assert docs["docx"].state == DocumentState.READY  # the Word copy is kept

    monkeypatch.undo()  # queued again by hand, it is made
    jobs.enqueue_documents(version.id)
    db.session.commit()
    db.session.expire_all()
    assert {d.format: d.state for d in version.documents} == {
        "docx": DocumentState.READY, "pdf": DocumentState.READY}


def test_a_form_that_cannot_be_rendered_fails_at_once_with_its_reason(app):
    from service.jobs.documents import enqueue_documents

    version = _submitted("C", {"date": "not a date"}, source="imported")
    enqueue_documents(version.id)
    db.session.commit()
    db.session.expire_all()
    for doc in version.documents:
        assert doc.state == DocumentState.FAILED
        assert doc.attempts == 1
        assert "problem" in doc.error


def test_a_killed_libreoffice_loses_no_job(app):
    from service.jobs.documents import enqueue_documents

    pool = default_pool()
    pool.start()
    for process in pool.processes:
        os.killpg(process.office.pid, signal.SIGKILL)
    version = _submitted("D")
    enqueue_documents(version.id)
    db.session.commit()
    db.session.expire_all()
    assert all(d.state == DocumentState.READY for d in version.documents)


def test_copies_left_queued_are_handed_back_to_the_queue(app):
    from service.cases.models import Document
    from service.jobs.documents import requeue_stale_documents
    from service.jobs.leases import LOST_AFTER

    version = _submitted("C")
    for fmt in ("docx", "pdf"):  # as if the message had been lost
        db.session.add(Document(version=version, format=fmt, state=DocumentState.QUEUED,
                                updated_at=lifecycle.utcnow() - 2 * LOST_AFTER))
    db.session.commit()
    requeue_stale_documents.call_local()
    db.session.expire_all()
    assert all(d.state == DocumentState.READY for d in version.documents)


# --- the generator API ----------------------------------------------------------------------

@pytest.fixture
def api(client, bearer):
    """POST with a worker's bearer token."""
    headers = bearer("generator", "worker")

    def post(url: str, **kwargs):
        return client.post(url, headers=headers, **kwargs)

    return post


def test_api_returns_the_word_copy(api):
    response = api("/api/v1/documents/B?format=docx", json=example("B"))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype.endswith("wordprocessingml.document")
    word = WordDocument(io.BytesIO(response.data))
    assert word.core_properties.title == ANNEXES["B"].title
    assert "王建国" in "".join(c.text for t in word.tables for r in t.rows for c in r.cells)


def test_api_returns_the_pdf_copy_made_by_the_queue(api, tmp_path):
    response = api("/api/v1/documents/d?format=pdf&case_number=XF-9", json=example("D"))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/pdf"
    text = _pdf_text(response.data, tmp_path)
    assert ANNEXES["D"].title in text and "XF-9" in text


def test_api_answers_422_with_the_field_errors(api):
    data = example("C")
    data["date"] = "2024-02-30"
    del data["record"]
    data["unknown"] = 1
    response = api("/api/v1/documents/C?format=pdf", json=data)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    errors = response.get_json()["errors"]
    assert {e["field"] for e in errors} == {"date", "record", "unknown"}
    assert all(isinstance(e["detail"], str) and e["detail"] for e in errors)
    refused = api("/api/v1/documents/C", data="[1]", content_type="application/json")
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"


def test_api_refuses_unknown_annex_and_format(api):
    unknown = api("/api/v1/documents/E", json={})
    assert unknown.status_code == 404 and unknown.mimetype == "application/problem+json"
    bad_format = api("/api/v1/documents/B?format=odt", json=example("B"))
    assert bad_format.status_code == 400
    assert bad_format.get_json()["errors"][0]["field"] == "format"


# --- the batch command ----------------------------------------------------------------------

def test_batch_writes_every_good_file_and_reports_the_bad(app, tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for code in ANNEXES:
        (src / f"form-{code}.json").write_text(
            json.dumps({"annex": code, "data": example(code)}, ensure_ascii=False))
    (src / "broken.json").write_text("{")
    (src / "nonsense.json").write_text(json.dumps({"annex": "B", "data": {"age": "old"}}))
    result = app.test_cli_runner().invoke(args=["documents", "batch", str(src), str(out)])
    assert result.exit_code == 1
    assert "3 of 5 forms written" in result.output and "2 skipped" in result.output
    assert "broken" in result.output and "nonsense: age" in result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"form-{c}.{ext}" for c in ANNEXES for ext in ("docx", "pdf"))
    for code in ANNEXES:
        assert (out / f"form-{code}.pdf").read_bytes().startswith(b"%PDF-")
