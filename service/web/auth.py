"""Signing in and out."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..auth import audit
from ..auth.models import User
from ..auth.users import authenticate
from ..db import db
from ..extensions import login_manager

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please sign in.")
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


class LoginForm(FlaskForm):
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
            session.clear()
            session.permanent = True
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
    logout_user()
    session.clear()
    flash(_("Signed out."), "ok")
    return redirect(url_for("auth.login"))
