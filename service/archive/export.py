"""Transfer to a records office: BagIt bags (SHA-256) of selected case folders, with a file
list (档号, 题名, 责任者, 日期, 页数) of every 件 in force."""

from __future__ import annotations

import csv
import io
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import bagit

from ..storage import atomic_write
from .filing import read_manifest

FILE_LIST = "文件目录.csv"
FILE_LIST_HEADER = ("档号", "题名", "责任者", "日期", "页数", "文件")


class ExportError(Exception):
    """The bag could not be made; nothing was left at the target."""


def file_list(root: Path, folders: Sequence[Path]) -> bytes:
    """The file list of the case folders (relative to ``root``): one row per 件 (its PDF in
    force), as UTF-8 CSV with a byte-order mark so spreadsheet programs read it right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(FILE_LIST_HEADER)
    for folder in folders:
        manifest = read_manifest(root / folder)
        for item in manifest.current("document"):
            if item.format != "pdf":
                continue
            writer.writerow((f"{manifest.dang_hao}-{item.item_no:03d}", item.title, item.author,
                             item.date, item.pages, f"data/{folder}/{item.file}"))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def export_bag(root: Path, folders: Sequence[Path], target: Path, *,
               info: dict[str, str] | None = None) -> Path:
    """Write one BagIt bag at ``target`` holding ``folders`` (relative to ``root``, tree kept)
    and the file list; validated before it is renamed into place."""
    if target.exists():
        raise ExportError(f"{target} already exists")
    if not folders:
        raise ExportError("nothing selected")
    staging = target.with_name(f".{target.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        for folder in folders:
            source = root / folder
            if not source.is_dir():
                raise ExportError(f"{folder}: not in the archive")
            shutil.copytree(source, staging / folder)
        atomic_write(staging / FILE_LIST, file_list(root, folders))
        bag = bagit.make_bag(str(staging), bag_info={**(info or {}),
                                                     "Bag-Count": "1 of 1"},
                             checksums=["sha256"])
        bag.validate()
        os.rename(staging, target)
    except (OSError, bagit.BagError, ValueError) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ExportError(f"export failed: {exc}") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target
