"""Finding what is filed: a case's file, case files by 档号 or by selection, the recorded tree,
and the fixity check of the whole archive against it."""

from __future__ import annotations

from sqlalchemy import select

from ...annexes.validate import N_
from ...archive.fixity import Report, verify
from ...archive.policy import parse_dang_hao
from ...cases.archival import ArchiveFile
from ...cases.models import Case
from ...db import db
from .settings import ArchiveError, archive_root


def archived(case: Case) -> ArchiveFile | None:
    """The case's file in the archive, if it has been filed."""
    return db.session.scalar(select(ArchiveFile).where(ArchiveFile.case_id == case.id))


def find_file(text: str) -> ArchiveFile:
    """A case file by its 档号 or its folder name (or path); ArchiveError if none."""
    try:
        dang_hao = parse_dang_hao(text)
    except ValueError as exc:
        raise ArchiveError(N_("%(text)s is not a 档号 or a case folder."), text=text) from exc
    record = db.session.scalar(select(ArchiveFile).where(ArchiveFile.dang_hao == dang_hao))
    if record is None:
        raise ArchiveError(N_("There is no case file %(dang_hao)s."), dang_hao=dang_hao)
    return record


def select_files(*, year: int | None = None, category: str | None = None,
                 grade: str | None = None, ids: list[int] | None = None) -> list[ArchiveFile]:
    """Case files by year, category, grade or ids, in 档号 order."""
    query = select(ArchiveFile).order_by(ArchiveFile.dang_hao)
    if year:
        query = query.where(ArchiveFile.year == year)
    if category:
        query = query.where(ArchiveFile.category == category)
    if grade:
        query = query.where(ArchiveFile.grade == grade)
    if ids is not None:
        query = query.where(ArchiveFile.id.in_(ids))
    return list(db.session.scalars(query))


def recorded_tree() -> dict[str, dict[str, str]]:
    """What the records say is filed: case folder -> file name -> SHA-256."""
    tree: dict[str, dict[str, str]] = {}
    for record in db.session.scalars(select(ArchiveFile)):
        tree[record.folder] = {i.filename: i.sha256 for i in record.items}
    return tree


def verify_archive(workers: int | None = None) -> Report:
    """Re-hash the whole archive and compare it with its manifests and the records."""
    return verify(archive_root(), recorded_tree(), workers=workers)
