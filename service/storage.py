"""Files on the service's volumes: paths checked against their root, writes whole or not at all.

Nothing from a request reaches the file system unchecked (:func:`resolve_under`), and every
write that matters goes through a temporary file in the same folder, fsync, and a rename
(:func:`atomic_open`, :func:`atomic_write`), so a crash never leaves half a file.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO, Any

#: Temporary files start so; the archive's fixity check knows to pass over them.
TEMP_PREFIX = ".tmp-"
#: The most bytes a file's name may take on the file systems the service writes to (ext4, XFS):
#: a Chinese character takes three, so 85 of them fill it.
NAME_MAX_BYTES = 255
#: What an upload's own name may take, leaving room for the ``-2`` that makes it unique.
UPLOAD_NAME_BYTES = NAME_MAX_BYTES - 15
#: An extension longer than this (dot excluded) is no extension to keep when shortening.
EXTENSION_BYTES = 16
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


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


def upload_base(name: str) -> str:
    """An uploaded file's own name as a browser or client sent it: no folders, no leading dot,
    no control characters (NUL among them, which no file name and no PostgreSQL text holds),
    and no half of a character (a lone surrogate becomes ``?``)."""
    name = _CONTROL.sub("", name).encode("utf-8", "replace").decode("utf-8")
    return PurePosixPath(name.replace("\\", "/")).name.strip().lstrip(".")


def fit_name(name: str, limit: int = NAME_MAX_BYTES) -> str:
    """``name`` as it is if its UTF-8 takes at most ``limit`` bytes, else shortened at the end
    of its stem, whole characters only, so that its extension (which says how to read the file)
    stays."""
    if len(name.encode()) <= limit:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or len(extension.encode()) > EXTENSION_BYTES:
        stem, dot, extension = name, "", ""
    room = limit - len(f"{dot}{extension}".encode())
    return stem.encode()[:room].decode("utf-8", "ignore") + dot + extension


def unique_name(name: str, taken: set[str]) -> str:
    """An uploaded file's own name (:func:`upload_base`), short enough for the file system
    (:func:`fit_name`), made unique among ``taken`` (which it joins)."""
    base = fit_name(upload_base(name), UPLOAD_NAME_BYTES) or "file"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        stem, dot, ext = base.rpartition(".")
        candidate = f"{stem}-{n}.{ext}" if dot else f"{base}-{n}"
    taken.add(candidate)
    return candidate
