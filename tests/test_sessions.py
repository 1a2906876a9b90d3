"""Sessions end on the server: signing out or changing the password ends every session of the
user at once, so an old cookie (kept, copied or in another browser) no longer opens a page."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import csrf_token, login

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a new and longer secret"


@pytest.fixture(autouse=True)
def quick_hashing(monkeypatch):
    """Argon2 with its cheapest parameters: these tests are about sessions, not hashing."""
    from argon2 import PasswordHasher

    from service.auth import users

    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def _browser(app, user, password: str = PASSWORD):
    client = app.test_client()
    login(client, user, password)
    assert client.get("/cases").status_code == 200
    return client


def _cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _opens_pages(app, cookie: str) -> bool:
    """Whether a fresh browser holding only ``cookie`` reaches the case list."""
    other = app.test_client()
    other.set_cookie("session", cookie, domain="localhost")
    response = other.get("/cases")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_sign_out_ends_every_session_of_the_user(app, make_user) -> None:
    user = make_user("lin", "worker")
    first, second = _browser(app, user), _browser(app, user)
    kept = _cookie(first)
    assert _opens_pages(app, kept)
    response = first.post("/logout", data={"csrf_token": csrf_token(first, "/cases")})
    assert response.status_code == 302
    assert not _opens_pages(app, kept)  # the cookie as it was before signing out
    assert second.get("/cases").status_code == 302  # the other browser is signed out too
    assert "/login" in second.get("/cases").headers["Location"]
    assert _browser(app, user).get("/cases").status_code == 200  # signing in again works


def test_password_change_in_another_browser_ends_the_old_sessions(app, make_user) -> None:
    user = make_user("lin", "worker")
    tablet, desk = _browser(app, user), _browser(app, user)
    kept = _cookie(tablet)
    token = csrf_token(desk, "/account/password")
    response = desk.post("/account/password", data={
        "current": PASSWORD, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    assert desk.get("/cases").status_code == 200  # the browser that changed it goes on
    assert tablet.get("/cases").status_code == 302
    assert not _opens_pages(app, kept)
    with pytest.raises(AssertionError):
        _browser(app, user, PASSWORD)
    assert _browser(app, user, NEW_PASSWORD).get("/cases").status_code == 200


def test_password_change_refuses_a_wrong_current_password_or_a_short_one(app, make_user) -> None:
    user = make_user("lin", "worker")
    client = _browser(app, user)
    kept = _cookie(client)
    for current, new, repeat, words in (
            ("not it at all", NEW_PASSWORD, NEW_PASSWORD, "当前密码不正确"),
            (PASSWORD, "short", "short", "至少"),
            (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x", "不一致")):
        response = client.post("/account/password", data={
            "current": current, "new": new, "repeat": repeat,
            "csrf_token": csrf_token(client, "/account/password")})
        assert response.status_code == 422
        assert words in response.get_data(as_text=True), words
    assert _opens_pages(app, kept)  # nothing changed, nothing ended


def test_an_administrator_resetting_a_password_ends_the_sessions(app, make_user) -> None:
    from click.testing import CliRunner

    user = make_user("lin", "worker")
    kept = _cookie(_browser(app, user))
    result = CliRunner().invoke(app.cli, ["users", "password", "lin", "--password-stdin"],
                                input=NEW_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert not _opens_pages(app, kept)


def test_a_cookie_from_before_numbered_sessions_is_refused(app, make_user) -> None:
    """A session naming only the user's id (as before) or a forged number opens nothing."""
    user = make_user("lin", "worker")
    for forged, opens in ((f"{user.id}.0", True), (str(user.id), False), (f"{user.id}.7", False),
                          (f"{user.id}.x", False), ("lin", False)):
        client = _browser(app, user)
        with client.session_transaction() as session:
            session["_user_id"] = forged
        assert (client.get("/cases").status_code == 200) == opens, forged


def test_files_fetched_in_the_background_never_put_an_older_session_back(app, make_user) -> None:
    """The browser fetches the icon, the styles and the service worker's script on its own; an
    answer that arrives after a page changed the session must not set the older cookie again."""
    user = make_user("chen", "worker")
    client = _browser(app, user)
    before = _cookie(client)  # what a background request still carries
    page = client.get("/cases?lang=en")
    assert page.status_code == 200 and "session=" in page.headers.get("Set-Cookie", "")
    chosen = _cookie(client)
    assert chosen != before
    late = app.test_client()
    late.set_cookie("session", before, domain="localhost")
    for path in ("/static/icon.svg", "/favicon.ico", "/static/css/app.css", "/sw.js"):
        answer = late.get(path)
        assert answer.status_code == 200, path
        assert "Set-Cookie" not in answer.headers, path
    # pages still renew the cookie, which keeps the idle time-out counting from them
    assert "session=" in client.get("/cases").headers.get("Set-Cookie", "")


def test_a_browser_asking_for_the_icon_where_no_page_names_it_gets_the_icon(app) -> None:
    """A PDF or a download shown in a tab names no icon, so the browser asks ``/favicon.ico``:
    it gets the pages' icon, signed in or not, and no session cookie."""
    answer = app.test_client().get("/favicon.ico")
    assert answer.status_code == 200
    assert answer.mimetype == "image/svg+xml"
    assert answer.data == (Path(app.static_folder) / "icon.svg").read_bytes()
    assert "Set-Cookie" not in answer.headers
    assert "no-store" not in answer.headers.get("Cache-Control", "")
