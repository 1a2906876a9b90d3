"""Confidential cases: open only for their own worker, the team's supervisors and the
directors; an archivist's archive list shows that one exists, masked, and nothing opens for
them; anyone else gets the same 404 as for a case that does not exist; every opening, by page,
archive or API, is written to the audit trail."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import login

PASSWORD = "correct horse battery"
MISSING = 999_999
PEOPLE = {  # name: (role, team)
    "w1": ("worker", "T1"),  # the case's own worker
    "w2": ("worker", "T1"),  # same team, not the case's worker
    "w3": ("worker", "T1"),  # the case was handed to w3 for follow-up
    "s1": ("supervisor", "T1"),
    "s2": ("supervisor", "T2"),
    "d1": ("director", "T1"),
    "d0": ("director", None),  # a director of no team: every team
    "a1": ("archivist", None),
    "ad": ("admin", None),
}
OPENS = {"w1", "s1", "d1", "d0"}  # written out by hand, not asked of the code


@pytest.fixture(autouse=True)
def quick_hashing(monkeypatch):
    from argon2 import PasswordHasher

    from service.auth import users

    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def world(app, make_user):
    from service.annexes.process import Stage
    from service.auth.models import HandoverKind
    from service.auth.users import team_named
    from service.cases import lifecycle
    from service.cases.access import hand_over
    from service.cases.archival import ArchiveFile
    from service.db import db

    teams = {n: team_named(n) for n in ("T1", "T2")}
    users = {n: make_user(n, role, team_id=teams[t].id if t else None)
             for n, (role, t) in PEOPLE.items()}
    secret = lifecycle.open_case(worker=users["w1"], client_name="赵秘密", team=teams["T1"])
    secret.confidential = True
    hand_over(secret, users["w3"], HandoverKind.FOLLOW_UP, by=users["s1"])
    plain = lifecycle.open_case(worker=users["w1"], client_name="钱公开", team=teams["T1"])
    hand_over(plain, users["w3"], HandoverKind.FOLLOW_UP, by=users["s1"])
    closed = lifecycle.open_case(worker=users["w1"], client_name="孙保密", team=teams["T1"])
    closed.confidential, closed.stage = True, Stage.CLOSED
    filed_plain = lifecycle.open_case(worker=users["w1"], client_name="李一般", team=teams["T1"])
    filed_plain.stage = Stage.CLOSED
    files = {}
    for n, case in enumerate((closed, filed_plain), start=1):
        record = ArchiveFile(case_id=case.id, dang_hao=f"X001-WS·2024-Y10-XF-000{n}",
                             folder=f"2024/f{n}", year=2024, retention="Y10", category="XF",
                             grade="高风险", title=f"{case.client_name}信访个案")
        db.session.add(record)
        db.session.flush()
        files[case.id] = record.id
    db.session.commit()
    return {"users": users, "secret": secret.id, "plain": plain.id, "closed": closed.id,
            "filed_plain": filed_plain.id, "files": files,
            "numbers": {k: c.number for k, c in (("secret", secret), ("closed", closed))}}


def _client(app, user):
    client = app.test_client()
    login(client, user)
    return client


def _openings(case_id: int) -> int:
    from service.auth.models import AuditEntry
    from service.db import db

    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "case.confidential_open", AuditEntry.case_id == case_id))


@pytest.mark.parametrize("who", sorted(PEOPLE))
def test_a_confidential_case_opens_only_for_its_worker_supervisor_and_director(app, world, who):
    client = _client(app, world["users"][who])
    secret, plain = world["secret"], world["plain"]
    before = _openings(secret)
    status = client.get(f"/cases/{secret}").status_code
    if who in OPENS:
        assert status == 200
        assert _openings(secret) == before + 1
    else:  # the same answer as for a case that does not exist, and nothing is written
        assert status == 404
        assert client.get(f"/cases/{MISSING}").status_code == 404
        assert _openings(secret) == before
    # the follow-up worker still opens the case that is not confidential
    assert client.get(f"/cases/{plain}").status_code == (
        200 if who in OPENS | {"w3"} else 404)
    assert _openings(plain) == 0
    listed = client.get("/cases").get_data(as_text=True)
    assert (world["numbers"]["secret"] in listed) == (who in OPENS)


def test_every_opening_is_audited_with_its_route_and_by_whom(app, world):
    from service.auth.models import AuditEntry
    from service.auth.users import issue_token
    from service.db import db

    secret = world["secret"]
    w1 = _client(app, world["users"]["w1"])
    for _ in range(3):
        assert w1.get(f"/cases/{secret}").status_code == 200
    bearer = issue_token(world["users"]["s1"])
    db.session.commit()
    api = app.test_client()
    headers = {"Authorization": f"Bearer {bearer}"}
    assert api.get(f"/api/v1/cases/{secret}", headers=headers).status_code == 200
    entries = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "case.confidential_open").order_by(AuditEntry.seq)).all()
    assert [(e.username, e.case_id) for e in entries] == [("w1", secret)] * 3 + [("s1", secret)]
    assert all('"route": "cases.show"' in e.details and '"via": "web"' in e.details
               for e in entries[:3])
    assert '"via": "api"' in entries[3].details
    # refused by the API: nothing opened, nothing written, not even whether it exists
    w3 = issue_token(world["users"]["w3"])
    db.session.commit()
    refused = api.get(f"/api/v1/cases/{secret}", headers={"Authorization": f"Bearer {w3}"})
    absent = api.get(f"/api/v1/cases/{MISSING}", headers={"Authorization": f"Bearer {w3}"})
    assert refused.status_code == absent.status_code == 404
    assert refused.get_json() == absent.get_json()
    listed = api.get("/api/v1/cases", headers={"Authorization": f"Bearer {w3}"}).get_json()
    assert secret not in {c["id"] for c in listed["items"]}
    assert _openings(secret) == 4


def test_an_archivist_sees_a_confidential_case_file_exists_masked_and_opens_nothing(app, world):
    a1 = _client(app, world["users"]["a1"])
    closed_file = world["files"][world["closed"]]
    plain_file = world["files"][world["filed_plain"]]
    page = a1.get("/archive/").get_data(as_text=True)
    assert "X001-WS·2024-Y10-XF-0001" in page  # it exists ...
    assert ("Confidential case file" in page or "保密案卷" in page)
    assert "孙保密" not in page  # ... but its title (the petitioner's name) is not shown
    assert f'href="/archive/{closed_file}"' not in page
    assert f'href="/archive/{plain_file}"' in page and "李一般" in page
    for url in (f"/archive/{closed_file}", f"/archive/{closed_file}/bundle.pdf",
                f"/archive/{closed_file}/files/001.pdf", f"/cases/{world['closed']}"):
        assert a1.get(url).status_code == 404, url
    assert _openings(world["closed"]) == 0
    # the supervisor of the team opens it, and that opening is written down
    s1 = _client(app, world["users"]["s1"])
    page = s1.get("/archive/").get_data(as_text=True)
    assert f'href="/archive/{closed_file}"' in page
    assert s1.get(f"/archive/{closed_file}").status_code == 200
    assert _openings(world["closed"]) == 1
    # someone with no business in the archive does not even see it listed
    w2 = _client(app, world["users"]["w2"])
    assert w2.get("/archive/").status_code in (403, 404)


def test_marking_a_case_confidential_closes_it_to_the_follow_up_worker(app, world):
    from service.cases.models import Case
    from service.db import db

    plain = world["plain"]
    w3 = _client(app, world["users"]["w3"])
    assert w3.get(f"/cases/{plain}").status_code == 200
    db.session.get(Case, plain).confidential = True
    db.session.commit()
    assert w3.get(f"/cases/{plain}").status_code == 404
    assert world["users"]["w3"].username == "w3"
