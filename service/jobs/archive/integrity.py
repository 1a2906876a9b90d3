"""Archived files read back only when they are still what was filed: their SHA-256 is checked
against the record before a byte goes out, and a damaged file raises an alert in the audit
trail instead of being served or bound."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from ...annexes.validate import N_
from ...auth import audit
from ...cases.archival import ArchiveFile, ArchiveItem
from ...storage import resolve_under
from .settings import ArchiveError, archive_root

log = logging.getLogger(__name__)


class DamagedFile(ArchiveError):
    """An archived file is missing or no longer has the SHA-256 recorded when it was filed."""

    def __init__(self, record: ArchiveFile, item: ArchiveItem, found: str) -> None:
        super().__init__(N_("%(file)s: SHA-256 %(found)s, filed as %(filed)s"),
                         file=f"{record.dang_hao}/{item.filename}",
                         found=found or "unreadable", filed=item.sha256)
        self.record, self.item, self.found = record, item, found


def item_path(record: ArchiveFile, item: ArchiveItem) -> Path | None:
    """Where a filed item lies in the archive tree (None if its name leaves the tree)."""
    return resolve_under(archive_root(), f"{record.folder}/{item.filename}")


def checked_bytes(record: ArchiveFile, item: ArchiveItem) -> bytes:
    """The item's bytes, once their SHA-256 matches the record; DamagedFile otherwise."""
    path = item_path(record, item)
    try:
        data = path.read_bytes() if path is not None else None
    except OSError:
        data = None
    found = hashlib.sha256(data).hexdigest() if data is not None else ""
    if data is None or found != item.sha256:
        raise DamagedFile(record, item, found)
    return data


def check_file(path: Path, record: ArchiveFile, item: ArchiveItem) -> None:
    """Check a filed item in place (read in blocks, not kept); DamagedFile when it differs."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    except OSError:
        raise DamagedFile(record, item, "") from None
    if digest.hexdigest() != item.sha256:
        raise DamagedFile(record, item, digest.hexdigest())


def raise_alert(error: DamagedFile) -> None:
    """Record the damage in the audit trail and the log (the caller commits)."""
    log.error("archive damage: %s", error)
    audit.record("archive.damaged", error.record.case_id, file=error.record.id,
                 dang_hao=error.record.dang_hao, name=error.item.filename,
                 expected=error.item.sha256, found=error.found or "unreadable")
