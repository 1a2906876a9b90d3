"""Shared fixtures: an application on a fresh database (SQLite and PostgreSQL), users, sign-in.

Every test that takes `app` runs once on a SQLite file and once on the PostgreSQL server at
TEST_DATABASE_URL (default: the local server's `test` database), each in its own schema. Set
REQUIRE_POSTGRES=1 (as `make test` does) to fail, not skip, when that server is down.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_SCRATCH = Path(tempfile.mkdtemp(prefix="petition-tests-"))
os.environ.setdefault("INSTANCE_PATH", str(_SCRATCH / "instance"))
os.environ["HUEY_IMMEDIATE"] = "1"
os.environ.pop("REDIS_URL", None)
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")

import pytest  # noqa: E402
import sqlalchemy as sa  # noqa: E402

pytest_plugins = ["tests.browser"]

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_available() -> bool:
    try:
        engine = sa.create_engine(POSTGRES_URL)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except sa.exc.OperationalError:
        return False


@pytest.fixture(scope="session")
def postgres_ok() -> bool:
    ok = _postgres_available()
    if not ok and os.environ.get("REQUIRE_POSTGRES") == "1":
        pytest.fail(f"PostgreSQL is required but not reachable at {POSTGRES_URL}")
    return ok


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    if not request.getfixturevalue("postgres_ok"):
        pytest.skip("PostgreSQL is not reachable")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture
def app(database_url: str, tmp_path: Path):
    """The application on a fresh database, with its own archive and work folders."""
    from service import create_app
    from service.db import db

    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "ARCHIVE_ROOT": str(tmp_path / "archive"),
        "WORK_ROOT": str(tmp_path / "work"),
        "SERVER_NAME": "localhost",
    })
    @app.before_request
    def _fresh_globals() -> None:
        # Requests share the test's app context (and so `g`); start each one clean, as in
        # production, so that no CSRF token or signed-in user leaks from one to the next.
        from flask import g

        g.__dict__.clear()

    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app):
    """make_user(username, *roles, password=..., team=None) -> User (committed)."""
    from service.auth.models import Role
    from service.auth.users import create_user
    from service.db import db

    def make(username: str, *roles: str, password: str = "correct horse battery",
             team_id: int | None = None):
        user = create_user(username, {Role(r) for r in roles} or {Role.WORKER}, password,
                           team_id=team_id)
        db.session.commit()
        return user

    return make


def login(client, user, password: str = "correct horse battery"):
    """Sign ``user`` in through the real sign-in page (CSRF included)."""
    import re

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token, "no CSRF token on the sign-in page"
    response = client.post("/login", data={"username": user.username, "password": password,
                                           "csrf_token": token.group(1)})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def csrf_token(client, path: str) -> str:
    """The CSRF token of a page the client may open."""
    import re

    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf-token" content="([^"]+)"', page) or re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def bearer_for(user) -> dict[str, str]:
    """The request headers of a new API token of ``user`` (committed, as issued)."""
    from service.auth.users import issue_token
    from service.db import db

    token = issue_token(user)
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def bearer(make_user):
    """bearer(username, *roles) -> the headers of a new token for a new user."""
    return lambda username, *roles: bearer_for(make_user(username, *roles))


@pytest.fixture
def login_as(client):
    return lambda user, password="correct horse battery": login(client, user, password)


def posted_form(data: dict) -> dict:
    """A filled form as a browser posts it: signature parts and table cells as dotted names."""
    out: dict = {}
    for key, value in data.items():
        if isinstance(value, dict):
            for part, v in value.items():
                out[f"{key}.{part}"] = v
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for n, row in enumerate(value):
                for col, v in row.items():
                    out[f"{key}.{n}.{col}"] = v
        else:
            out[key] = value
    return out


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL statements run meanwhile on the application's database, in order, each on one
    line; the list is the caller's to add its own marks to."""
    from service.db import db

    seen: list[str] = []
    engine = db.engine

    def note(_conn, _cursor, statement, *_args) -> None:
        seen.append(" ".join(statement.split()))

    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)


def stored_row(model: Any, row_id: int) -> dict[str, Any]:
    """The row of ``model`` keyed ``row_id`` as the database holds it, read on a connection of
    its own (not through the session, which may hold the row as it was read or changed)."""
    from service.db import db

    table = model.__table__
    with db.engine.connect() as conn:
        return dict(conn.execute(sa.select(table).where(table.c.id == row_id)).one()._mapping)


def job_leases() -> list[tuple[str, str, str]]:
    """The job leases the database holds now: (task, arguments as JSON, holder)."""
    from service.db import db
    from service.jobs.leases import JobLease

    db.session.rollback()
    return [(r.task, r.args, r.holder) for r in db.session.scalars(sa.select(JobLease))]
