"""One request, one record: the key under which a request that makes something (a case, a form, a
survey, a risk flag, a report, a handover, a batch of bundles, a service report, an import run)
is remembered, and the row an earlier request under the same key made. A double tap, a resent
post or an integrator's retry then finds what the first made instead of making it twice."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from .db import db, take_turns


class MadeOnce:
    """A model whose rows a request makes: each keeps the key of the request that made it
    (unique), so that the same request again finds the row (:func:`made_under`)."""

    request_key: Mapped[str | None] = mapped_column(String(64), unique=True)


def request_key(channel: str, by: Any, token: str | None) -> str | None:
    """The key of a request: the ``token`` the page or client sent, scoped to the ``channel``
    (``web``, ``api``) and to the person, so that nobody else's request ever finds what it
    made; of one length whatever the token holds. None without a token (the request is then
    never recognised again)."""
    if not token:
        return None
    return hashlib.sha256(f"{channel}:{getattr(by, 'id', '')}:{token}".encode()).hexdigest()


def made_under(model: Any, key: str | None) -> Any | None:
    """The row of ``model`` (a :class:`MadeOnce` model) that an earlier request under
    ``key`` made, or None. Requests under the same key take turns first, so that simultaneous
    repeats wait for the first and find its row."""
    if not key:
        return None
    take_turns(f"request:{key}", model.__table__)
    return db.session.scalar(select(model).where(model.request_key == key))
