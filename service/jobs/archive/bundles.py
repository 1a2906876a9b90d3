"""Bundles: case files bound into one print file, or a ZIP of one PDF per case file."""

from __future__ import annotations

import shutil
import uuid
import zipfile
from pathlib import Path
from typing import Any

from ...annexes.validate import N_
from ...archive import bundle as binder
from ...cases.archival import ArchiveFile
from ...storage import atomic_open
from .integrity import check_file
from .settings import ArchiveError, archive_root, number_sheet


def volume_of(record: ArchiveFile) -> binder.Volume:
    """A case file's bundle: cover, contents, each 件's PDF in 件号 order, note."""
    folder = archive_root() / record.folder
    roles = {r: record.current_items(r) for r in ("cover", "contents", "note")}
    if not all(roles.values()):
        raise ArchiveError(N_("%(dang_hao)s: the bundle pages are missing; file the case again."),
                           dang_hao=record.dang_hao)
    items = [(roles["cover"][0], roles["cover"][0].title),
             (roles["contents"][0], roles["contents"][0].title)]
    items += [(i, f"{i.item_no} {i.title}") for i in record.current_items()]
    items.append((roles["note"][0], roles["note"][0].title))
    for item, _title in items:  # nothing damaged is bound: DamagedFile names the file
        check_file(folder / item.filename, record, item)
    parts = tuple(binder.Part(folder / item.filename, title) for item, title in items)
    return binder.Volume(title=f"{record.dang_hao} {record.title}", parts=parts)


def bundle_one(record: ArchiveFile, out: Path, *, duplex: bool = False) -> int:
    """Bind one case file into ``out``; the number of pages."""
    return binder.assemble([volume_of(record)], out, sheet=number_sheet(), duplex=duplex,
                           title=f"{record.dang_hao} {record.title}")


def bundle_many(records: list[ArchiveFile], out: Path, *, output: str = "pdf",
                duplex: bool = False, progress: Any = None) -> None:
    """Many case files as one print file (``output='pdf'``) or a ZIP of bundles ('zip')."""
    if not records:
        raise ArchiveError(N_("No case files are selected."))
    if output == "pdf":
        binder.assemble([volume_of(r) for r in records], out, sheet=number_sheet(),
                        duplex=duplex, title=f"{len(records)} 卷", progress=progress)
        return
    if output != "zip":
        raise ArchiveError(N_("Unknown output %(output)s."), output=output)
    scratch = out.parent / f".{out.name}.{uuid.uuid4().hex}"
    scratch.mkdir(parents=True)
    try:
        with (atomic_open(out) as stream,
              zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive):
            for n, record in enumerate(records, start=1):
                path = scratch / f"{Path(record.folder).name}.pdf"
                bundle_one(record, path, duplex=duplex)
                archive.write(path, path.name)
                path.unlink()
                if progress:
                    progress(n, len(records))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
