"""Signing in and out."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from ..auth import audit
from ..auth.models import User
from ..auth.users import MIN_PASSWORD_LENGTH, authenticate, check_password, set_password
from ..db import db, row_by_id
from ..extensions import login_manager
from ..forms import PageForm

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please sign in.")
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The user a session names, while that session has not been ended (``User.get_id``)."""
    user_id, _, generation = session_id.partition(".")
    if not (user_id.isdigit() and generation.isdigit()):
        return None  # a cookie from before sessions were numbered, or forged
    user = row_by_id(User, int(user_id))
    if user is None or not user.active or user.session_generation != int(generation):
        return None
    return user


class LoginForm(PageForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


def _safe_next(target: str | None) -> str:
    parts = urlsplit(target or "")
    if target and not parts.scheme and not parts.netloc and target.startswith("/"):
        return target
    return url_for("cases.index")


MESSAGES = {
    "bad": _l("The user name or password is wrong."),
    "locked": _l("Too many failed attempts: this account is locked for a while."),
    "disabled": _l("This account is disabled."),
}


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    form = LoginForm()
    if form.validate_on_submit():
        user, reason = authenticate(form.username.data, form.password.data)
        _audit_sign_in(form.username.data, user, reason)
        if not reason and user is not None:
            lang = session.get("lang") or user.locale  # the language survives signing in
            session.clear()
            session.permanent = True
            if lang:
                session["lang"] = lang
            login_user(user)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        db.session.commit()
        form.password.errors = [str(MESSAGES[reason])]
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


def _audit_sign_in(username: str, user: User | None, reason: str) -> None:
    audit.record("sign_in" if not reason else "sign_in.failed", user=user,
                 username=username, reason=reason)


@bp.post("/logout")
@login_required
def logout() -> Any:
    """Sign out: every session of this user ends, in this browser and in any other."""
    user = current_user._get_current_object()
    user.end_sessions()
    audit.record("sign_out", user=user)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("Signed out."), "ok")
    return redirect(url_for("auth.login"))


class PasswordForm(PageForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    new = PasswordField(_l("New password"), validators=[
        DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200,
                               message=_l("A password needs at least %(n)d characters.",
                                          n=MIN_PASSWORD_LENGTH))])
    repeat = PasswordField(_l("New password again"), validators=[
        DataRequired(), EqualTo("new", message=_l("The two new passwords differ."))])


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    """Change one's own password; every other session of the user ends, this one goes on."""
    form = PasswordForm()
    user = current_user._get_current_object()
    if form.validate_on_submit():
        if not check_password(user, form.current.data):
            form.current.errors = [str(_("The current password is wrong."))]
        else:
            set_password(user, form.new.data)
            audit.record("password.changed", user=user)
            db.session.commit()
            session.clear()
            session.permanent = True
            login_user(user)  # this browser goes on under the new session number
            flash(_("Password changed: you are signed out everywhere else."), "ok")
            return redirect(url_for("cases.index"))
        return render_template("auth/password.html", form=form), 422
    if form.errors:
        return render_template("auth/password.html", form=form), 422
    return render_template("auth/password.html", form=form)
