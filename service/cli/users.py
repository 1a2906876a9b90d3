"""`flask --app service users ...`: create users, issue API tokens, disable users."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..auth import audit
from ..auth.models import Role, User
from ..auth.users import (
    UserError,
    clean_email,
    create_user,
    disable_user,
    find_user,
    issue_token,
    set_password,
    team_named,
)
from ..db import db

users = AppGroup("users", help="People, their roles and API tokens.")

ROLE_CODES = [r.value for r in Role]
#: What `make run` prints while no user exists.
FIRST_ADMIN_HINT = ("No users yet. Create the first administrator with:\n"
                    "  flask --app service users create admin --role admin --password-stdin")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users.command("create")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLE_CODES),
              help="worker 社工, supervisor 督导, director 主任, archivist 档案员, admin 管理员, "
                   "monitor 监测 (repeat for several).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--team", default="", help="The team (created if new).")
@click.option("--display-name", default="", help="The name shown on pages (e.g. 陈晓敏).")
@click.option("--email", default="", help="Where 8.6 notices are e-mailed (when MAIL_SERVER "
                                          "is set).")
def create(name: str, roles: tuple[str, ...], password_stdin: bool, team: str,
           display_name: str, email: str) -> None:
    """Create user NAME with one or more roles."""
    try:
        email = clean_email(email)
        password = _read_password(password_stdin)
        team_id = team_named(team).id if team else None
        user = create_user(name, {Role(r) for r in roles}, password, display_name=display_name,
                           team_id=team_id, email=email)
        audit.record("user.create", subject=user.username,
                     roles=sorted(roles), team=team or None, email=email or None)
        db.session.commit()
    except UserError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    click.echo(f"Created {user.username} ({', '.join(sorted(roles))}).")


def _existing_user(name: str) -> User:
    """The user called ``name``; a clear error when there is none."""
    user = find_user(name)
    if user is None:
        raise click.ClickException(f"There is no user {name}.")
    return user


@users.command("token")
@click.argument("name")
def token(name: str) -> None:
    """Print a new API token for NAME (shown once; only its hash is kept)."""
    user = _existing_user(name)
    try:
        value = issue_token(user)
    except UserError as error:
        raise click.ClickException(str(error)) from error
    audit.record("user.token", subject=user.username)
    db.session.commit()
    click.echo(value)


@users.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def password(name: str, password_stdin: bool) -> None:
    """Give NAME a new password; every session of theirs ends at once."""
    user = _existing_user(name)
    try:
        set_password(user, _read_password(password_stdin))
    except UserError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    audit.record("user.password", subject=user.username)
    db.session.commit()
    click.echo(f"New password for {user.username}; their sessions have ended.")


@users.command("disable")
@click.argument("name")
def disable(name: str) -> None:
    """Stop NAME signing in and revoke their API tokens."""
    user = _existing_user(name)
    revoked = disable_user(user)
    audit.record("user.disable", subject=user.username, tokens_revoked=revoked)
    db.session.commit()
    click.echo(f"Disabled {user.username}; {revoked} token(s) revoked.")


@users.command("email")
@click.argument("name")
@click.argument("address")
def email(name: str, address: str) -> None:
    """Set the e-mail address of NAME ("" removes it): where 8.6 notices go."""
    user = _existing_user(name)
    try:
        new = clean_email(address)
    except UserError as error:
        raise click.ClickException(str(error)) from error
    audit.record("user.update", subject=user.username, before={"email": user.email},
                 after={"email": new})
    user.email = new
    db.session.commit()
    click.echo(f"{user.username}: {new or 'no e-mail address'}.")


@users.command("hint-first-admin")
def hint_first_admin() -> None:
    """Say how to create the first administrator while no user exists (`make run` asks)."""
    if db.session.scalar(select(User.id).limit(1)) is None:
        click.echo(FIRST_ADMIN_HINT)


COMMANDS = [users]
