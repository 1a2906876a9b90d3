"""The app ``bench/forms.py --floor`` serves: the service's own app, unchanged, plus one route
that does the least any save must do, so that the benchmark can show what a real save costs
beyond it.

The route (``POST /bench/floor/<case_id>/<form_id>``) passes the same sign-in check, CSRF
check, rate limits and after-request hooks as every page, parses the same post, stores it as
one row of its own table (``bench_floor_saves``, made in the scratch database only) and commits,
then redirects as a save does. It checks nothing against the declaration, keeps no version,
audit entry, review step, 7.1.5 facts or copies. It exists only in this module, which only the
benchmark loads.
"""

from __future__ import annotations

import json

from flask import Blueprint, Flask, redirect, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import Column, Engine, Integer, MetaData, Table, Text, func, insert, select
from werkzeug.wrappers import Response

from service import create_app
from service.db import db

FLOOR_SAVES = Table("bench_floor_saves", MetaData(),
                    Column("id", Integer, primary_key=True),
                    Column("form_id", Integer, nullable=False),
                    Column("by_id", Integer, nullable=False),
                    Column("data", Text, nullable=False))
_STORE = insert(FLOOR_SAVES)

floor = Blueprint("bench_floor", __name__, url_prefix="/bench/floor")


def floor_path(case_id: int, form_id: int) -> str:
    """The floor route for a case's form (the same ids as its real save route)."""
    return f"{floor.url_prefix}/{case_id}/{form_id}"


@floor.post("/<int:case_id>/<int:form_id>")
@login_required
def save_floor(case_id: int, form_id: int) -> Response:
    """Store the posted form as one row and commit; the same redirect as a save's."""
    data = json.dumps(request.form.to_dict(flat=False), ensure_ascii=False)
    db.session.execute(_STORE, {"form_id": form_id, "by_id": current_user.id, "data": data})
    db.session.commit()
    return redirect(url_for("cases.show", case_id=case_id, submitted=form_id))


def make_floor_table(engine: Engine) -> None:
    """The floor route's table, in the (scratch) database ``engine`` serves."""
    FLOOR_SAVES.create(engine, checkfirst=True)


def count_floor_saves(engine: Engine) -> int:
    """How many rows the floor route has stored."""
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(FLOOR_SAVES)) or 0)


def create_floor_app() -> Flask:
    """The service's app with the floor route added."""
    app = create_app()
    app.register_blueprint(floor)
    return app
