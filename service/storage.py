"""Files on the service's volumes: paths checked against their root, writes whole or not at all.

Nothing from a request reaches the file system unchecked (:func:`resolve_under`), and every
write that matters goes through a temporary file in the same folder, fsync, and a rename
(:func:`atomic_open`, :func:`atomic_write`), so a crash never leaves half a file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO, Any

#: Temporary files start so; the archive's fixity check knows to pass over them.
TEMP_PREFIX = ".tmp-"


def resolve_under(root: str | Path, relative: str) -> Path | None:
    """``root/relative`` if it stays inside ``root`` (no absolute path, no ``..``); else None."""
    base = Path(root).resolve()
    if not relative or Path(relative).is_absolute():
        return None
    candidate = (base / relative).resolve()
    return candidate if candidate.is_relative_to(base) else None


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new entry in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_open(path: Path, mode: str = "wb", *, replace: bool = True,
                encoding: str | None = None) -> Iterator[IO[Any]]:
    """A stream whose content appears at ``path`` whole when the block ends, or not at all.

    With ``replace=False`` an existing ``path`` is never replaced (FileExistsError). The file
    is private to its owner (mode 0600), as the temporary file it was made from.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
    try:
        with os.fdopen(fd, mode, encoding=encoding) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # fails if a file appeared meanwhile
            os.unlink(tmp)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def atomic_write(path: Path, data: bytes, *, replace: bool = True) -> None:
    """Write ``data`` to ``path`` whole or not at all (see :func:`atomic_open`)."""
    with atomic_open(path, "wb", replace=replace) as stream:
        stream.write(data)


def unique_name(name: str, taken: set[str]) -> str:
    """An uploaded file's own name (no folders, no leading dot), made unique among ``taken``
    (which it joins)."""
    base = PurePosixPath(name.replace("\\", "/")).name.strip().lstrip(".") or "file"
    base = base[:200]
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        stem, dot, ext = base.rpartition(".")
        candidate = f"{stem}-{n}.{ext}" if dot else f"{base}-{n}"
    taken.add(candidate)
    return candidate
