"""Re-grading: moving an archived case's folder when its 类别, 等级 or 保管期限 changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...annexes.validate import N_
from ...archive.filing import move_folder, read_manifest, write_manifest
from ...cases.archival import ArchiveMove
from ...cases.models import Case
from ...db import db, utcnow
from .facts import facts_of
from .filing import file_pages, placement_dict
from .lookup import archived
from .settings import ArchiveError, archive_root, policy


def regrade(case: Case, *, by: Any = None, reason: str) -> ArchiveMove | None:
    """Move an archived case's folder when its 类别, 等级 or 保管期限 changed; records the move
    (from, to, who, why) in the records and the manifest, and files a fresh cover. The 档号
    stays: it is the case file's name for good. Commits."""
    record = archived(case)
    if record is None:
        raise ArchiveError(N_("Case %(number)s is not archived."), number=case.number)
    if not reason.strip():
        raise ArchiveError(N_("A move needs a reason."))
    placement = policy().place(facts_of(case))
    target = str(placement.folder(record.dang_hao))
    if target == record.folder:
        return None
    who = getattr(by, "name", "") or ""
    entry = {"from": record.folder, "to": target, "by": who, "why": reason,
             "at": utcnow().isoformat(timespec="seconds")}
    root = archive_root()
    move_folder(root, Path(record.folder), Path(target), entry)
    move = ArchiveMove(from_folder=record.folder, to_folder=target, reason=reason,
                       moved_by_id=getattr(by, "id", None))
    record.moves.append(move)
    record.folder, record.retention = target, placement.retention
    record.category, record.grade = placement.category, placement.grade
    try:
        manifest = read_manifest(root / target)
        manifest.placement = placement_dict(placement)
        file_pages(record, manifest, root / target)
        write_manifest(root / target, manifest)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        move_folder(root, Path(target), Path(entry["from"]),
                    {**entry, "from": target, "to": entry["from"], "why": "undone: " + reason})
        raise
    return move
