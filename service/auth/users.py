"""Creating users, hashing passwords (Argon2) and signing in with lockout."""

from __future__ import annotations

from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from ..cases.models import utcnow
from ..db import db
from .models import Role, User

MIN_PASSWORD_LENGTH = 10
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)

_hasher = PasswordHasher()


class UserError(ValueError):
    """A user cannot be created or changed as asked (message id)."""


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    return _hasher.hash(password)


def create_user(username: str, roles: set[Role], password: str | None = None,
                display_name: str = "", team_id: int | None = None) -> User:
    """A new active user (without a password it cannot sign in until one is set)."""
    username = username.strip()
    if not username or len(username) > 80:
        raise UserError("A user name is 1 to 80 characters.")
    if db.session.scalar(select(User).where(User.username == username)):
        raise UserError(f"The user {username} exists already.")
    user = User(username=username, display_name=display_name or username, team_id=team_id)
    user.roles = roles
    if password is not None:
        user.password_hash = hash_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def find_user(username: str) -> User | None:
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
