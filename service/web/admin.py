"""The administrator's pages of people: who has which roles and team, and each person's e-mail
address (where 8.6 notices go). Creating people and tokens stays on the command line."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..auth import audit
from ..auth.models import Role, User
from ..auth.users import UserError, clean_email
from ..cases.access import roles_required
from ..db import db
from ..i18n import message_of

bp = Blueprint("admin", __name__, url_prefix="/admin")

_ROLE_WORDS = {
    Role.WORKER: _l("Worker"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.DIRECTOR: _l("Director"),
    Role.ARCHIVIST: _l("Archivist"),
    Role.ADMIN: _l("Administrator"),
    Role.MONITOR: _l("Petition bureau monitor"),
}
#: What each role is called on the pages, in ``Role``'s order (the CLI takes the codes); a role
#: added without a name stops the application at start-up rather than going unlisted.
ROLE_NAMES = {role: _ROLE_WORDS[role] for role in Role}


@bp.get("/users")
@roles_required(Role.ADMIN)
def users() -> Any:
    """Everyone, by user name."""
    people = db.session.scalars(select(User).order_by(User.username)).all()
    return render_template("admin/users.html", people=people, role_names=ROLE_NAMES)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_user(user_id: int) -> Any:
    """One person: their display name and e-mail address."""
    person = db.session.get(User, user_id)
    if person is None:
        abort(404)
    if request.method == "POST":
        name = (request.form.get("display_name") or "").strip()[:100]
        try:
            address = clean_email(request.form.get("email", ""))
        except UserError as error:
            flash(message_of(error), "error")
            return render_template("admin/user.html", person=person,
                                   typed=request.form), 422
        before = {"display_name": person.display_name, "email": person.email}
        person.display_name, person.email = name or person.username, address
        audit.record("user.update", subject=person.username, before=before,
                     after={"display_name": person.display_name, "email": person.email})
        db.session.commit()
        flash(_("Saved."), "ok")
        return redirect(url_for("admin.users"))
    return render_template("admin/user.html", person=person, typed=None)
