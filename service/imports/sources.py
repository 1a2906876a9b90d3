"""What an import is given (files, folders, ZIPs) as a flat list of sources, safely.

A ZIP member with an absolute path, a drive letter or ``..`` is refused; members are read in
pieces and stopped at their declared size; a ZIP bomb is refused before anything is unpacked.
Names written by Chinese Windows (GBK without the UTF-8 flag) are decoded as such.
"""

from __future__ import annotations

import contextlib
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .limits import Limits, check_zip, read_member
from .reading import ImportFailure

_SKIP_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}


@dataclass
class Source:
    """One file to import: its name as shown, the folder it came in, and how to read it."""

    name: str  # relative path as the report shows it
    folder: str  # the folder it came in ("" at the top)
    size: int
    load: Callable[[], bytes]
    error: str = ""  # set when the file cannot even be opened


def _skipped(name: str) -> bool:
    parts = PurePosixPath(name).parts
    base = parts[-1] if parts else ""
    return (not base or base.lower() in _SKIP_NAMES or base.startswith("~$")
            or base.startswith("._") or "__MACOSX" in parts)


def _member_name(info: zipfile.ZipInfo) -> str:
    name = info.filename
    if not info.flag_bits & 0x800:
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            name = name.encode("cp437").decode("gbk")
    return name.replace("\\", "/")


def safe_member(name: str) -> str:
    """A ZIP member's path, or :class:`ImportFailure` if it would leave the folder."""
    if name.startswith("/") or (len(name) > 1 and name[1] == ":") or "\0" in name:
        raise ImportFailure(f"unsafe path in the ZIP: {name}")
    parts = PurePosixPath(name).parts
    if any(p == ".." for p in parts):
        raise ImportFailure(f"unsafe path in the ZIP: {name}")
    return "/".join(p for p in parts if p not in ("", "."))


def _zip_sources(path: Path, prefix: str, limits: Limits) -> Iterator[Source]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        yield Source(prefix or path.name, "", 0, bytes, "the ZIP is damaged")
        return
    with archive:
        try:
            check_zip(archive, limits)
        except ImportFailure as e:
            yield Source(prefix or path.name, "", path.stat().st_size, bytes, str(e))
            return
        infos = [i for i in archive.infolist() if not i.is_dir()]
    for info in infos:
        raw_name = _member_name(info)
        if _skipped(raw_name):
            continue
        try:
            name = safe_member(raw_name)
        except ImportFailure as e:
            yield Source(f"{prefix}/{raw_name}", "", info.file_size, bytes, str(e))
            continue
        folder = str(PurePosixPath(name).parent)
        folder = "" if folder == "." else folder

        def load(info: zipfile.ZipInfo = info) -> bytes:
            with zipfile.ZipFile(path) as again:
                return read_member(again, info, limits)

        yield Source(f"{prefix}/{name}", f"{prefix}/{folder}" if folder else prefix,
                     info.file_size, load)


def _file(path: Path, name: str, folder: str, limits: Limits) -> Iterator[Source]:
    size = path.stat().st_size
    if path.suffix.lower() == ".zip":
        yield from _zip_sources(path, name, limits)
        return
    if size > limits.file_bytes:
        yield Source(name, folder, size, bytes, f"{size} bytes; at most {limits.file_bytes}")
        return
    yield Source(name, folder, size, path.read_bytes)


def collect(paths: Sequence[str | Path], limits: Limits | None = None) -> Iterator[Source]:
    """Every file under ``paths`` (files, folders, ZIPs), in a stable order."""
    limits = limits or Limits()
    for given in paths:
        root = Path(given)
        if not root.exists():
            yield Source(str(given), "", 0, bytes, "no such file or folder")
            continue
        if root.is_file():
            yield from _file(root, root.name, "", limits)
            continue
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            rel = path.relative_to(root).as_posix()
            if _skipped(rel) or path.is_symlink():
                continue
            parent = str(PurePosixPath(rel).parent)
            yield from _file(path, f"{root.name}/{rel}",
                             f"{root.name}/{parent}" if parent != "." else "", limits)
