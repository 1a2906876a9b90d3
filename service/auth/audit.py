"""The audit trail: an append-only log of who did what to which case, chained by SHA-256.

Each entry's hash covers its own content and the hash of the entry before it, and entries are
numbered 1, 2, 3 ... without gaps, so an edited, inserted or removed entry breaks the chain and
:func:`verify` names the first place where it breaks. A removed *tail* leaves a shorter, intact
chain: compare with a head hash noted earlier (``audit verify --head``) to catch that too.

:func:`record` only adds to the session; the caller commits it with the work it describes, so
an action and its record are written together or not at all.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from flask import has_request_context, request
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from ..db import db, insert_row, take_turns, utcnow
from .models import AuditEntry, User

GENESIS = "0" * 64
#: A long string value (a signature or drawing as a data: URL) is logged by its digest.
LONG_VALUE = 200


class AuditError(RuntimeError):
    """The trail cannot be written as asked."""


def _short(value: Any) -> Any:
    """``value`` with long strings (images) replaced by their SHA-256, recursively."""
    if isinstance(value, str) and len(value) > LONG_VALUE:
        return "sha256:" + hashlib.sha256(value.encode()).hexdigest()
    if isinstance(value, dict):
        return {k: _short(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_short(v) for v in value]
    return value


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None
            ) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` for each field whose value differs."""
    before, after = before or {}, after or {}
    out: dict[str, list[Any]] = {}
    for key in sorted(set(before) | set(after), key=str):
        old, new = before.get(key), after.get(key)
        if old != new:
            out[str(key)] = [_short(old), _short(new)]
    return out


def canonical(details: dict[str, Any]) -> str:
    """``details`` as an entry stores them: ``before`` and ``after`` dicts as the fields that
    changed between them, long values by their digest, as JSON with sorted keys."""
    shortened = {key: _short(value) for key, value in details.items()
                 if key not in ("before", "after")}
    before, after = details.get("before"), details.get("after")
    if isinstance(before, dict) or isinstance(after, dict):
        shortened["changes"] = changes(before, after)  # its values shortened as it makes them
    return json.dumps(shortened, sort_keys=True, ensure_ascii=False, default=str)


def entry_hash(entry: AuditEntry) -> str:
    """The SHA-256 of an entry's content and its predecessor's hash."""
    body = json.dumps(
        [entry.seq, entry.at.isoformat(timespec="microseconds"), entry.user_id, entry.username,
         entry.action, entry.case_id, entry.address, entry.details, entry.prev_hash],
        ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


#: The chain's head, built once (it has nothing to bind).
_HEAD = select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)


def _lock_chain() -> None:
    """Hold the chain's head until commit, so that two writers never read the same one."""
    take_turns("audit-chain", AuditEntry.__table__)


def _who(user: Any) -> tuple[int | None, str]:
    if user is None and has_request_context():
        from flask_login import current_user

        user = current_user if current_user.is_authenticated else None
    if user is None or not getattr(user, "id", None):
        return None, ""
    return user.id, user.username


def record(action: str, case: Any = None, user: User | None = None, *,
           details_json: str | None = None, **details: Any) -> AuditEntry:
    """Append ``action`` to the trail (the caller commits); the entry written.

    ``user`` defaults to the signed-in user and the address to the request's; ``before`` and
    ``after`` dicts among ``details`` are logged as the fields that changed between them.
    ``details_json``: the details already made by :func:`canonical` (before a transaction's
    turn, so the chain's head is held for less), in place of ``details``.
    """
    user_id, username = _who(user)
    if not username and details.get("username"):
        username = str(details["username"])[:80]
    address = (request.remote_addr or "") if has_request_context() else "cli"
    _lock_chain()
    last = db.session.execute(_HEAD).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    entry = AuditEntry(seq=seq, at=utcnow(), user_id=user_id, username=username, action=action,
                       case_id=getattr(case, "id", case), address=address[:64],
                       details=details_json if details_json is not None
                       else canonical(details), prev_hash=prev)
    entry.hash = entry_hash(entry)
    insert_row(entry)  # written at once, so an action that writes nothing else has no flush
    return entry


@dataclass(frozen=True)
class Verdict:
    """What :func:`verify` found: ``ok``, how many entries, the head hash, and any break."""

    ok: bool
    count: int
    head: str
    problem: str = ""
    seq: int | None = None


def verify(expected_head: str | None = None, batch: int = 5000) -> Verdict:
    """Walk the whole chain; the first broken link (if any) is reported by its number.

    ``expected_head`` is a head hash printed by an earlier run: it must still be in the chain.
    """
    prev, count, seen_head = GENESIS, 0, expected_head is None
    after = 0
    while True:
        rows = db.session.scalars(
            select(AuditEntry).where(AuditEntry.seq > after).order_by(AuditEntry.seq)
            .limit(batch)).all()
        if not rows:
            break
        for entry in rows:
            count += 1
            if entry.seq != count:
                return Verdict(False, count - 1, prev,
                               f"entry {count} is missing (next is {entry.seq})", count)
            if entry.prev_hash != prev:
                return Verdict(False, count - 1, prev,
                               f"entry {entry.seq} does not follow entry {entry.seq - 1}",
                               entry.seq)
            if entry_hash(entry) != entry.hash:
                return Verdict(False, count - 1, prev,
                               f"entry {entry.seq} was changed after it was written",
                               entry.seq)
            seen_head = seen_head or entry.hash == expected_head
            prev = entry.hash
        after = rows[-1].seq
        db.session.expunge_all()
    if not seen_head:
        return Verdict(False, count, prev,
                       "the head noted earlier is no longer in the chain (entries were removed)")
    return Verdict(True, count, prev)


def case_history(case_id: int, limit: int = 200) -> list[AuditEntry]:
    """The newest entries about one case, newest first."""
    return list(db.session.scalars(
        select(AuditEntry).where(AuditEntry.case_id == case_id)
        .order_by(AuditEntry.seq.desc()).limit(limit)))


def count() -> int:
    """How many entries the trail holds."""
    return db.session.scalar(select(func.count()).select_from(AuditEntry)) or 0


# --- append-only, as far as the application goes -------------------------------------------


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, flush_context: Any, instances: Any) -> None:
    """Refuse to update or delete audit entries through the ORM."""
    for obj in session.deleted:
        if isinstance(obj, AuditEntry):
            raise AuditError("The audit trail is append-only.")
    for obj in session.dirty:
        if isinstance(obj, AuditEntry) and session.is_modified(obj):
            raise AuditError("The audit trail is append-only.")
