"""Creating users, hashing passwords (Argon2), signing in with lockout, and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from ..annexes.validate import N_
from ..db import db, utcnow
from ..i18n import MessageError
from .models import ApiToken, Role, Team, User

MIN_PASSWORD_LENGTH = 10
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)

#: A user name is plain ASCII, so that it prints anywhere (the mark on an exported PDF too).
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,79}$")
#: An e-mail address as people type one: a local part, @, a domain with a dot; no spaces.
EMAIL = re.compile(r"^[^@\s<>\"(),;:]{1,64}@[^@\s<>\"(),;:]+\.[^@\s<>\"(),;:.]{2,}$")

_hasher = PasswordHasher()


class UserError(MessageError, ValueError):
    """A user cannot be created or changed as asked."""


def hash_password(password: str) -> str:
    """The Argon2 hash of ``password``; refuses one shorter than MIN_PASSWORD_LENGTH."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(N_("A password needs at least %(n)s characters."), n=MIN_PASSWORD_LENGTH)
    return _hasher.hash(password)


def clean_email(address: str) -> str:
    """``address`` trimmed, or "" for none; refuses one that is not an e-mail address."""
    address = (address or "").strip()
    if address and (len(address) > 254 or not EMAIL.match(address)):
        raise UserError(N_("This is not an e-mail address."))
    return address


def create_user(username: str, roles: set[Role], password: str | None = None,
                display_name: str = "", team_id: int | None = None, email: str = "") -> User:
    """A new active user (without a password it cannot sign in until one is set)."""
    username = username.strip()
    if not USERNAME.match(username):
        raise UserError(N_("A user name is 1 to 80 letters, digits or . _ @ - (no spaces)."))
    if db.session.scalar(select(User).where(User.username == username)):
        raise UserError(N_("The user %(name)s exists already."), name=username)
    user = User(username=username, display_name=display_name or username, team_id=team_id,
                email=clean_email(email))
    user.roles = roles
    if password is not None:
        user.password_hash = hash_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def find_user(username: str) -> User | None:
    """The user of that name, or None."""
    return db.session.scalar(select(User).where(User.username == username.strip()))


def authenticate(username: str, password: str) -> tuple[User | None, str]:
    """(user, "") on success; (user or None, reason) otherwise. Counts failures, locks out."""
    user = find_user(username)
    if user is None or not user.password_hash:
        _hasher.hash(password or "x")  # same work either way: no user-name probing by timing
        return None, "bad"
    now = utcnow()
    if user.locked_until and user.locked_until > now:
        return user, "locked"
    if not user.active:
        return user, "disabled"
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
            return user, "locked"
        return user, "bad"
    user.failed_logins = 0
    user.locked_until = None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user, ""


def check_password(user: User, password: str) -> bool:
    """Whether ``password`` is ``user``'s password (no counting: the caller is signed in)."""
    try:
        return bool(user.password_hash) and _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def team_named(name: str) -> Team:
    """The team of that name, created if new (the caller commits)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise UserError(N_("A team name is 1 to 100 characters."))
    team = db.session.scalar(select(Team).where(Team.name == name))
    if team is None:
        team = Team(name=name)
        db.session.add(team)
        db.session.flush()
    return team


def set_password(user: User, password: str) -> None:
    """Give ``user`` a new password (and lift any lockout); every session of theirs ends."""
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.end_sessions()


def disable_user(user: User) -> int:
    """Stop ``user`` signing in or using the API; returns how many tokens were revoked."""
    user.active = False
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))).all()
    for token in tokens:
        token.revoked = True
    return len(tokens)


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User) -> str:
    """A new API token for ``user``. Only its hash is kept: show it now or never."""
    if not user.active:
        raise UserError(N_("The user %(name)s is disabled."), name=user.username)
    token = "pcw_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=_token_digest(token)))
    db.session.flush()
    return token


def revoke_token(token: str) -> bool:
    """Revoke one bearer token; whether it was live."""
    row = db.session.scalar(select(ApiToken).where(
        ApiToken.token_hash == _token_digest(token), ApiToken.revoked.is_(False)))
    if row is None:
        return False
    row.revoked = True
    return True


def user_for_token(token: str) -> User | None:
    """The active user a bearer token belongs to, or None (unknown, revoked or disabled)."""
    if not token or len(token) > 200:
        return None
    row = db.session.scalar(select(ApiToken).where(
        ApiToken.token_hash == _token_digest(token), ApiToken.revoked.is_(False)))
    if row is None or not row.user.active:
        return None
    row.last_used_at = utcnow()
    return row.user
