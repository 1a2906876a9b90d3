"""Signing in: Argon2, lockout, rate limit, idle end, CSRF, cookies and headers; the users CLI."""

from __future__ import annotations

import re
import time

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_token, login

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def quick_hashing(monkeypatch):
    """Argon2 with its cheapest parameters, except where a test asks for the real ones."""
    from argon2 import PasswordHasher

    from service.auth import users

    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def _post_login(client, username: str, password: str):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token})


def _audit_actions() -> list[tuple[str, str]]:
    from service.auth.models import AuditEntry
    from service.db import db

    return [(e.action, e.username) for e in db.session.scalars(
        sa.select(AuditEntry).order_by(AuditEntry.seq))]


def test_passwords_are_stored_as_argon2_hashes_and_short_ones_refused(app, make_user) -> None:
    from service.auth.users import UserError, create_user

    user = make_user("lin", "worker")
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    with pytest.raises(UserError):
        create_user("short", {"worker"}, "too short")
    with pytest.raises(UserError):
        create_user("has space", {"worker"}, PASSWORD)


def test_lockout_after_repeated_failures_is_recorded(app, client, make_user) -> None:
    from service.auth.users import MAX_FAILURES

    user = make_user("lin", "worker")
    for _ in range(MAX_FAILURES):
        assert _post_login(client, "lin", "not the password").status_code == 401
    locked = _post_login(client, "lin", PASSWORD)  # the right password, too late
    assert locked.status_code == 401
    assert "locked" in locked.get_data(as_text=True) or "锁" in locked.get_data(as_text=True)
    actions = _audit_actions()
    assert actions.count(("sign_in.failed", "lin")) == MAX_FAILURES + 1
    from service.auth.models import AuditEntry
    from service.db import db

    reasons = [e.details for e in db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "sign_in.failed"))]
    assert '"reason": "locked"' in reasons[-1]
    db.session.refresh(user)
    assert user.locked_until is not None


def test_unknown_and_disabled_users_cannot_sign_in(app, client, make_user) -> None:
    from service.auth.users import disable_user
    from service.db import db

    assert _post_login(client, "nobody", PASSWORD).status_code == 401
    user = make_user("lin", "worker")
    disable_user(user)
    db.session.commit()
    assert _post_login(client, "lin", PASSWORD).status_code == 401


def test_sign_in_is_rate_limited_per_name_and_address(app, client, make_user) -> None:
    app.config["SIGN_IN_PER_NAME"] = "3 per minute"
    make_user("lin", "worker")
    codes = [_post_login(client, "ghost", "whatever password").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    # another name from the same address is not blocked by the first one's limit
    assert _post_login(client, "lin", PASSWORD).status_code == 302


def test_an_idle_session_ends(app, client, make_user) -> None:
    app.config["PERMANENT_SESSION_LIFETIME"] = 2
    user = make_user("lin", "worker")
    login(client, user)
    assert client.get("/cases").status_code == 200
    time.sleep(1.2)
    assert client.get("/cases").status_code == 200  # activity renews the session
    time.sleep(1.2)
    assert client.get("/cases").status_code == 200
    time.sleep(3.1)
    response = client.get("/cases")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_every_form_needs_its_csrf_token(app, client, make_user) -> None:
    user = make_user("lin", "worker")
    login(client, user)
    assert client.post("/cases/new").status_code == 400
    assert client.post("/cases/new", data={"csrf_token": "forged"}).status_code == 400
    from service.cases.models import Case
    from service.db import db

    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0
    token = csrf_token(client, "/cases")
    assert client.post("/cases/new", data={"csrf_token": token}).status_code == 302
    fresh = app.test_client()
    assert fresh.post("/login", data={"username": "lin", "password": PASSWORD}).status_code == 400


def test_cookies_and_security_headers(app, client, make_user) -> None:
    app.config["SESSION_COOKIE_SECURE"] = True
    user = make_user("lin", "worker")
    response = _post_login(client, user.username, PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
    page = client.get("/login")
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"


def test_uploads_over_the_limit_are_refused(app, client, make_user) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1024
    user = make_user("lin", "worker")
    login(client, user)
    token = csrf_token(client, "/cases")
    response = client.post("/cases/new", data={"csrf_token": token, "x": "y" * 4096})
    assert response.status_code == 413


def test_a_request_path_never_escapes_the_storage_root(tmp_path) -> None:
    from service.storage import resolve_under

    (tmp_path / "root").mkdir()
    assert resolve_under(tmp_path / "root", "a/b.pdf") == (tmp_path / "root" / "a/b.pdf")
    for bad in ("../secret", "/etc/passwd", "a/../../x", ""):
        assert resolve_under(tmp_path / "root", bad) is None


def test_an_uploaded_name_is_its_own_short_and_clean_and_keeps_its_extension() -> None:
    from service.storage import UPLOAD_NAME_BYTES, unique_name

    taken: set[str] = set()
    long_latin = unique_name("x" * 300 + ".docx", taken)
    assert long_latin.endswith(".docx") and len(long_latin.encode()) == UPLOAD_NAME_BYTES
    long_chinese = unique_name("案" * 100 + ".pdf", taken)
    assert long_chinese == "案" * 78 + ".pdf"  # whole characters only: 234 + 4 bytes
    again = unique_name("案" * 100 + ".pdf", taken)
    assert again == "案" * 78 + "-2.pdf" and len(again.encode()) <= 255
    assert unique_name("C:\\扫描\\a\x00b\x1f.png", taken) == "ab.png"
    assert unique_name("../../.hidden\ud800.doc", taken) == "hidden?.doc"
    assert unique_name("\x00", taken) == "file"
    assert unique_name("x" * 300 + "." + "y" * 40, taken) == "x" * 240  # no extension: too long


def test_signing_out_ends_the_session(app, client, make_user) -> None:
    user = make_user("lin", "worker")
    login(client, user)
    token = csrf_token(client, "/cases")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/cases").status_code == 302


# --- the users command -------------------------------------------------------------------

def _cli(app, *args: str, input: str | None = None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def test_users_create_token_and_disable(app, client) -> None:
    from service.auth.models import ApiToken, User
    from service.db import db

    made = _cli(app, "users", "create", "chen", "--role", "worker", "--role", "supervisor",
                "--team", "一组", "--password-stdin", input=PASSWORD + "\n")
    assert made.exit_code == 0, made.output
    user = db.session.scalar(sa.select(User).where(User.username == "chen"))
    assert {r.value for r in user.roles} == {"worker", "supervisor"}
    assert user.team.name == "一组"
    login(client, user)

    issued = _cli(app, "users", "token", "chen")
    assert issued.exit_code == 0
    token = issued.output.strip()
    assert re.fullmatch(r"pcw_[A-Za-z0-9_-]{40,}", token)
    assert db.session.scalar(sa.select(ApiToken.token_hash)) != token
    api = app.test_client()
    assert api.get("/api/v1/cases",
                   headers={"Authorization": f"Bearer {token}"}).status_code == 200

    disabled = _cli(app, "users", "disable", "chen")
    assert disabled.exit_code == 0 and "1 token" in disabled.output
    assert api.get("/api/v1/cases",
                   headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert client.get("/cases").status_code == 302  # the open session ends too
    actions = [a for a, _ in _audit_actions()]
    assert {"user.create", "user.token", "user.disable"} <= set(actions)


def test_users_create_refuses_bad_input_and_writes_nothing(app) -> None:
    from service.auth.models import User
    from service.db import db

    short = _cli(app, "users", "create", "chen", "--role", "worker", "--password-stdin",
                 input="short\n")
    assert short.exit_code != 0 and "10 characters" in short.output
    role = _cli(app, "users", "create", "chen", "--role", "boss", "--password-stdin",
                input=PASSWORD + "\n")
    assert role.exit_code != 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
    twice = [_cli(app, "users", "create", "chen", "--role", "admin", "--password-stdin",
                  input=PASSWORD + "\n") for _ in range(2)]
    assert twice[0].exit_code == 0 and twice[1].exit_code != 0
    assert _cli(app, "users", "token", "nobody").exit_code != 0


def test_the_first_administrator_hint_names_a_working_command(app) -> None:
    from service.cli.users import FIRST_ADMIN_HINT

    command = FIRST_ADMIN_HINT.split("flask --app service ")[1].split()
    result = _cli(app, *command, input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "admin" in result.output


@pytest.mark.parametrize("body", [[1, 2, 3], "text", {"username": {"a": 1}, "password": 5}])
def test_a_page_reads_only_what_a_browser_posts_never_a_json_body(app, client, make_user,
                                                                  body) -> None:
    """A page's form is what a browser posts (fields, files); a crafted JSON body, whatever it
    holds (a list, a string, values that are no text), is no form: the page answers as to an
    empty post, never a 500, and signs nobody in."""
    user = make_user("lin", "worker")
    token = csrf_token(client, "/login")
    answer = client.post("/login", json=body, headers={"X-CSRFToken": token})
    assert answer.status_code == 200 and "/login" in answer.request.path
    assert client.get("/cases").status_code == 302  # still signed out
    assert _audit_actions() == []
    login(client, user)
    token = csrf_token(client, "/account/password")
    answer = client.post("/account/password", json=body, headers={"X-CSRFToken": token})
    assert answer.status_code == 422
    assert client.get("/cases").status_code == 200  # the password stands, and so the session
