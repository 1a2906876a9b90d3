"""Filing into the archive tree: atomic writes, case-folder manifests and whole-folder moves.

Nothing here overwrites a filed file: a new version is a new file, and the old one stays,
marked superseded in the manifest. Every write goes to a temporary file in the same folder,
is flushed to disk and renamed into place, so a crash leaves the old state or the new one.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ..storage import TEMP_PREFIX, atomic_write, fsync_dir

MANIFEST = "manifest.json"
_CHUNK = 1 << 20


class FilingError(Exception):
    """A filing step that would lose or overwrite something; nothing was written."""


@dataclass(frozen=True)
class Item:
    """One file of a case folder, as its manifest lists it."""

    file: str  # the file name inside the case folder
    item_no: int  # 件号; 0 for the bundle's own pages (卷皮, 卷内目录, 备考表)
    title: str  # 题名
    date: str  # YYYY-MM-DD
    role: str = "document"  # document | original | cover | contents | note
    format: str = "pdf"  # pdf | docx | the original's suffix
    annex: str = ""  # B | C | D
    version_id: int | None = None  # the form version it came from
    version: int = 1
    sha256: str = ""
    size: int = 0
    pages: int = 0
    author: str = ""  # 责任者
    superseded: bool = False


@dataclass
class Manifest:
    """The list of a case folder: every file with its hash, and the folder's moves."""

    dang_hao: str
    case_number: str
    title: str
    placement: dict[str, Any]
    items: list[Item] = field(default_factory=list)
    moves: list[dict[str, Any]] = field(default_factory=list)

    def current(self, role: str | None = None) -> list[Item]:
        """The items not superseded (of one role if given), in 件号 order."""
        found = [i for i in self.items if not i.superseded and (role is None or i.role == role)]
        return sorted(found, key=lambda i: (i.item_no, i.format))

    def next_item_no(self) -> int:
        """The next unused 件号 (件号 are never reused)."""
        return max((i.item_no for i in self.items), default=0) + 1

    def to_json(self) -> bytes:
        body = asdict(self)
        return (json.dumps(body, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        body = json.loads(data)
        items = [Item(**i) for i in body.pop("items", [])]
        return cls(items=items, **body)


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, read in large blocks."""
    digest = hashlib.sha256()
    with open(path, "rb", buffering=0) as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def write_once(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole, never over a different file (FilingError); an
    identical file is left as it is, so a retried job is harmless."""
    if path.exists():
        if path.stat().st_size == len(data) and sha256_file(path) == _sha(data):
            return
        raise FilingError(f"{path} exists and differs; filed files are never overwritten")
    atomic_write(path, data, replace=False)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_manifest(folder: Path) -> Manifest:
    """The manifest of a case folder."""
    return Manifest.from_json((folder / MANIFEST).read_bytes())


def write_manifest(folder: Path, manifest: Manifest) -> None:
    """Replace a case folder's manifest atomically."""
    atomic_write(folder / MANIFEST, manifest.to_json())


def file_bytes(folder: Path, item: Item, data: bytes) -> Item:
    """File ``data`` as ``item`` in ``folder`` (never overwriting); the item with its hash."""
    if "/" in item.file or item.file in (MANIFEST, "", ".", "..") \
            or item.file.startswith(TEMP_PREFIX):
        raise FilingError(f"bad file name {item.file!r}")
    write_once(folder / item.file, data)
    return replace(item, sha256=_sha(data), size=len(data))


def add_item(manifest: Manifest, item: Item) -> Manifest:
    """The manifest with ``item`` added; an earlier current item of the same 件号, role and
    format is marked superseded (its file stays)."""
    kept = []
    for old in manifest.items:
        if old.file == item.file:
            continue  # a retried filing of the same file
        if (not old.superseded and old.item_no == item.item_no and old.role == item.role
                and old.format == item.format):
            old = replace(old, superseded=True)
        kept.append(old)
    manifest.items = [*kept, item]
    return manifest


def move_folder(root: Path, source: Path, target: Path, record: dict[str, Any]) -> None:
    """Move a case folder (paths relative to ``root``) as a whole, atomically, and append
    ``record`` (from, to, who, why, when) to its manifest. The target must not exist."""
    src, dst = root / source, root / target
    if not (src / MANIFEST).is_file():
        raise FilingError(f"{source} is not a case folder")
    if dst.exists():
        raise FilingError(f"{target} already exists")
    dst.parent.mkdir(parents=True, exist_ok=True)
    os.rename(src, dst)  # one rename: the folder is whole in one place or the other
    fsync_dir(dst.parent)
    fsync_dir(src.parent)
    manifest = read_manifest(dst)
    manifest.moves.append(record)
    write_manifest(dst, manifest)
    prune_empty(root, src.parent)


def prune_empty(root: Path, folder: Path) -> None:
    """Remove ``folder`` and its parents up to ``root`` while they are empty."""
    root = root.resolve()
    folder = folder.resolve()
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
