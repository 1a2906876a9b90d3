"""The audit trail: what is recorded, and that `audit verify` finds a removed or edited entry."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_token, login, posted_form


@pytest.fixture(autouse=True)
def quick_hashing(monkeypatch):
    """Argon2 with its cheapest parameters: these tests are about the trail, not hashing."""
    from argon2 import PasswordHasher

    from service.auth import users

    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def busy_trail(app, client, make_user):
    """A real trail written through the pages: sign-ins (one failed), a case opened, viewed,
    changed and its form submitted."""
    from service.annexes.examples import example

    worker = make_user("chen", "worker")
    bad = client.get("/login")
    assert bad.status_code == 200
    token = csrf_token(client, "/login")
    client.post("/login", data={"username": "chen", "password": "wrong password!",
                                "csrf_token": token})
    login(client, worker)
    token = csrf_token(client, "/cases")
    opened = client.post("/cases/new", data={"csrf_token": token})
    case_id = int(opened.headers["Location"].split("/cases/")[1].split("/")[0])
    client.get(f"/cases/{case_id}")
    client.post(f"/cases/{case_id}/profile", data={"csrf_token": token, "stage": "预估甄别",
                                                   "risk_grade": "高风险"})
    from service.cases.models import FormRecord
    from service.db import db

    record = db.session.scalar(sa.select(FormRecord).where(FormRecord.case_id == case_id))
    data = example("B")
    data.pop("director_approval")
    form = posted_form(data)
    form["csrf_token"] = token
    submitted = client.post(f"/cases/{case_id}/forms/{record.id}", data=form)
    assert submitted.status_code == 302, submitted.get_data(as_text=True)[:800]
    return {"case_id": case_id, "worker": worker}




def _entries():
    from service.auth.models import AuditEntry
    from service.db import db

    return db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq)).all()


def _flask(app, *args: str, input: str | None = None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def test_the_pages_record_who_did_what_where_and_to_which_case(app, busy_trail) -> None:
    actions = [(e.action, e.username, e.case_id) for e in _entries()]
    case_id = busy_trail["case_id"]
    assert ("sign_in.failed", "chen", None) in actions
    assert ("sign_in", "chen", None) in actions
    assert ("case.open", "chen", case_id) in actions
    assert ("case.view", "chen", case_id) in actions
    assert ("form.submit", "chen", case_id) in actions
    assert all(e.address == "127.0.0.1" for e in _entries())
    change = next(e for e in _entries() if e.action == "case.update")
    changes = json.loads(change.details)["changes"]
    assert changes["risk_grade"] == [None, "高风险"]
    submit = next(e for e in _entries() if e.action == "form.submit")
    details = json.loads(submit.details)
    assert details["changes"]["client_name"][1] == "王建国"
    # a signature is logged by its digest, not as a megabyte of base64
    assert details["changes"]["worker_signature"][1]["image"].startswith("sha256:")


def test_verify_passes_on_a_real_trail(app, busy_trail) -> None:
    result = _flask(app, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert f"{len(_entries())} entries" in result.output


@pytest.mark.parametrize("tamper", ["edit", "delete", "insert", "reorder"])
def test_verify_fails_on_a_tampered_trail(app, busy_trail, tamper) -> None:
    from service.db import db

    entries = _entries()
    victim = entries[2]
    seq = victim.seq
    with db.engine.begin() as conn:  # behind the application's back, as an intruder would
        if tamper == "edit":
            conn.execute(sa.text("UPDATE audit_entries SET username = 'someone' WHERE seq = :s"),
                         {"s": victim.seq})
        elif tamper == "delete":
            conn.execute(sa.text("DELETE FROM audit_entries WHERE seq = :s"), {"s": victim.seq})
        elif tamper == "insert":  # a forged entry, re-hashed, slipped in and renumbered after
            conn.execute(sa.text("UPDATE audit_entries SET seq = seq + 1000 WHERE seq > :s"),
                         {"s": victim.seq})
            conn.execute(sa.text(
                "INSERT INTO audit_entries (seq, at, user_id, username, action, case_id, address,"
                " details, prev_hash, hash) VALUES (:seq, :at, NULL, 'x', 'case.view', NULL,"
                " '', '{}', :prev, :hash)"),
                {"seq": victim.seq + 1, "at": victim.at, "prev": victim.hash, "hash": "f" * 64})
            conn.execute(sa.text("UPDATE audit_entries SET seq = seq - 998 WHERE seq > 1000"))
        else:
            conn.execute(sa.text("UPDATE audit_entries SET seq = -1 WHERE seq = :s"),
                         {"s": victim.seq})
            conn.execute(sa.text("UPDATE audit_entries SET seq = :s WHERE seq = :t"),
                         {"s": victim.seq, "t": victim.seq + 1})
            conn.execute(sa.text("UPDATE audit_entries SET seq = :t WHERE seq = -1"),
                         {"t": victim.seq + 1})
    db.session.expire_all()
    result = _flask(app, "audit", "verify")
    assert result.exit_code == 1, result.output
    assert "BROKEN" in result.output
    assert f"entry {seq}" in result.output or f"entry {seq + 1}" in result.output


def test_a_removed_tail_is_caught_against_a_noted_head(app, busy_trail) -> None:
    from service.db import db

    noted = _flask(app, "audit", "verify").output.split("head ")[1].strip()
    assert _flask(app, "audit", "verify", "--head", noted).exit_code == 0
    last = _entries()[-1].seq
    with db.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_entries WHERE seq = :s"), {"s": last})
    db.session.expire_all()
    assert _flask(app, "audit", "verify").exit_code == 0  # a shorter chain is still a chain
    result = _flask(app, "audit", "verify", "--head", noted)
    assert result.exit_code == 1 and "no longer in the chain" in result.output


def test_the_application_cannot_change_or_remove_an_entry(app, busy_trail) -> None:
    from service.auth.audit import AuditError
    from service.db import db

    entry = _entries()[0]
    entry.username = "someone else"
    with pytest.raises(AuditError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(_entries()[0])
    with pytest.raises(AuditError):
        db.session.flush()
    db.session.rollback()


def test_supervisors_see_a_cases_access_history_and_workers_do_not(app, client, busy_trail,
                                                                    make_user) -> None:
    case_id = busy_trail["case_id"]
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "access-history" not in page
    from service.auth.users import find_user
    from service.db import db

    find_user("chen").display_name = "陈晓敏"
    db.session.commit()
    supervisor = make_user("zhou", "supervisor")
    other = app.test_client()
    login(other, supervisor)
    page = other.get(f"/cases/{case_id}?lang=zh_Hans_CN").get_data(as_text=True)
    history = page[page.index('class="access-history"'):]
    assert "查看个案" in history and "chen" in history and "127.0.0.1" in history
    assert "陈晓敏 <span class=\"hint\">chen</span>" in history  # by name, then user name
    assert "case.view" not in history  # the action by its name, not the trail's code


#: Actions the trail records about no case, so never in a case's access history.
CASELESS_ACTIONS = {"sign_in", "sign_in.failed", "sign_out", "password.changed", "user.create",
                    "user.update", "user.disable", "user.password", "user.token",
                    "user.token_revoke", "import.confirm", "reports.queue_service_report",
                    "reports.service_report", "reports.service_report_copy", "reports.workbook"}


def test_every_action_a_case_history_can_show_has_a_name() -> None:
    """Every action code the service records (by audit.record, a download's send_export or a
    review step) is named for the access history, or is one that concerns no case."""
    import re
    from pathlib import Path

    from service.web.review import ACTION_NAMES

    source = "\n".join(p.read_text(encoding="utf-8")
                       for p in Path("service").rglob("*.py"))
    codes = set(re.findall(r'audit\.record\(\s*"([a-z_.]+)"', source))
    codes |= set(re.findall(r'\baction="([a-z_]+\.[a-z_.]+)"', source))
    codes |= set(re.findall(r'Transition\([^)]*?"([a-z]+\.[a-z_]+)"\)', source, re.S))
    assert {"case.view", "form.submit", "archive.export", "notice.mail_failed"} <= codes
    assert codes - CASELESS_ACTIONS - set(ACTION_NAMES) == set()


def test_every_download_is_recorded(app, client, busy_trail) -> None:
    from pathlib import Path

    from pypdf import PdfWriter

    from service.cases.models import Document, DocumentState, FormRecord
    from service.db import db

    record = db.session.scalar(sa.select(FormRecord).where(
        FormRecord.case_id == busy_trail["case_id"]))
    path = Path(app.config["WORK_ROOT"]) / "d" / "b.pdf"
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    with path.open("wb") as out:
        writer.write(out)
    existing = {d.format: d for d in record.current.documents}
    doc = existing.get("pdf") or Document(version=record.current, format="pdf")
    doc.state, doc.path = DocumentState.READY, "d/b.pdf"
    db.session.add(doc)
    db.session.commit()
    response = client.get(f"/cases/{busy_trail['case_id']}/documents/{doc.id}")
    assert response.status_code == 200
    last = _entries()[-1]
    assert last.action == "document.download" and last.case_id == busy_trail["case_id"]
    assert _flask(app, "audit", "verify").exit_code == 0
