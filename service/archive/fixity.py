"""Fixity: re-hash the whole archive tree and compare it with its manifests and the records.

:func:`verify` reports, by path, files that are missing, changed or unexpected, unreadable
manifests, and every disagreement between the records (``expected``) and the tree.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .filing import MANIFEST, read_manifest

_CHUNK = 1 << 20


@dataclass
class Report:
    """What :func:`verify` found. Paths are relative to the archive root."""

    files: int = 0
    bytes: int = 0
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    bad_manifests: list[str] = field(default_factory=list)
    not_in_tree: list[str] = field(default_factory=list)  # in the records, not on disk
    not_in_records: list[str] = field(default_factory=list)  # on disk, not in the records
    disagree: list[str] = field(default_factory=list)  # records and manifest differ

    @property
    def ok(self) -> bool:
        return not any((self.missing, self.changed, self.unexpected, self.bad_manifests,
                        self.not_in_tree, self.not_in_records, self.disagree))

    def lines(self) -> list[str]:
        """One line per problem, for people and for logs."""
        out = []
        for label, paths in (("missing", self.missing), ("changed", self.changed),
                             ("unexpected", self.unexpected),
                             ("bad manifest", self.bad_manifests),
                             ("recorded but not in the tree", self.not_in_tree),
                             ("in the tree but not recorded", self.not_in_records),
                             ("records and manifest differ", self.disagree)):
            out += [f"{label}: {p}" for p in sorted(paths)]
        return out


def hash_file(path: str) -> tuple[str, int]:
    """SHA-256 and size of a file, read in 1 MiB blocks (hashlib releases the GIL)."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb", buffering=0) as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def hash_many(paths: Iterable[str], workers: int | None = None) -> list[tuple[str, int] | None]:
    """Hash files in a thread pool; None for a file that could not be read."""
    def one(path: str) -> tuple[str, int] | None:
        try:
            return hash_file(path)
        except OSError:
            return None

    with ThreadPoolExecutor(max_workers=workers or min(8, (os.cpu_count() or 1) * 2)) as pool:
        return list(pool.map(one, paths, chunksize=64))


def all_files(root: Path) -> set[str]:
    """Every file under ``root``, as a path relative to it."""
    found: set[str] = set()
    base = str(root)
    for dirpath, _dirs, files in os.walk(base):
        rel = os.path.relpath(dirpath, base)
        for name in files:
            found.add(name if rel == "." else f"{rel}/{name}")
    return found


def verify(root: Path, expected: Mapping[str, Mapping[str, str]] | None = None,
           workers: int | None = None) -> Report:
    """Re-hash every file listed by the manifests under ``root``.

    ``expected`` is what the records hold: case folder (relative) -> file name -> SHA-256
    of every file filed there. Without it only the tree is checked against its manifests.
    """
    report = Report()
    if not root.is_dir():
        report.not_in_tree += sorted(expected or {})
        return report
    on_disk = all_files(root)
    listed: dict[str, tuple[str, int]] = {}
    manifests: dict[str, dict[str, str]] = {}
    for path in sorted(p for p in on_disk if p == MANIFEST or p.endswith("/" + MANIFEST)):
        folder = path[: -len(MANIFEST)].rstrip("/")
        try:
            manifest = read_manifest(root / folder)
        except (OSError, ValueError, TypeError, KeyError) as exc:
            report.bad_manifests.append(f"{path} ({exc})")
            continue
        manifests[folder] = {i.file: i.sha256 for i in manifest.items}
        for item in manifest.items:
            listed[f"{folder}/{item.file}"] = (item.sha256, item.size)
    report.unexpected = sorted(on_disk - set(listed) - {
        p for p in on_disk if p == MANIFEST or p.endswith("/" + MANIFEST)})
    present = [p for p in listed if p in on_disk]
    report.missing = sorted(set(listed) - on_disk)
    results = hash_many([str(root / p) for p in present], workers)
    for path, got in zip(present, results, strict=True):
        if got is None:
            report.missing.append(path)
            continue
        report.files += 1
        report.bytes += got[1]
        if got != listed[path]:
            report.changed.append(path)
    if expected is not None:
        _compare_records(report, manifests, expected)
    return report


def _compare_records(report: Report, manifests: Mapping[str, Mapping[str, str]],
                     expected: Mapping[str, Mapping[str, str]]) -> None:
    for folder in sorted(set(expected) - set(manifests)):
        report.not_in_tree.append(folder)
    for folder in sorted(set(manifests) - set(expected)):
        report.not_in_records.append(folder)
    for folder in sorted(set(expected) & set(manifests)):
        recorded, listed = expected[folder], manifests[folder]
        for name in sorted(set(recorded) | set(listed)):
            if recorded.get(name) != listed.get(name):
                report.disagree.append(f"{folder}/{name}")
