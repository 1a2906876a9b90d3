"""Limits on what an import will open: sizes, pages, members, and ZIP bombs."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass

from .reading import ImportFailure

MB = 1024 * 1024
#: Files sent in one upload (web page or API); a ZIP counts as one.
MAX_UPLOAD_FILES = 500


@dataclass(frozen=True)
class Limits:
    """How big a file, a ZIP and its members may be before an import refuses them."""

    file_bytes: int = 50 * MB  # one file, as stored
    member_bytes: int = 50 * MB  # one file inside a ZIP (or a part of a .docx), unpacked
    total_bytes: int = 1024 * MB  # everything a ZIP unpacks to
    members: int = 10_000  # files in one ZIP
    ratio: int = 200  # unpacked / packed size of one member
    pages: int = 200  # pages of a PDF
    rows: int = 20_000  # rows of a register


def check_zip(archive: zipfile.ZipFile, limits: Limits) -> None:
    """Refuse a ZIP (or a .docx package) that would unpack into too much."""
    infos = archive.infolist()
    if len(infos) > limits.members:
        raise ImportFailure(f"the ZIP holds {len(infos)} files; at most {limits.members}")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise ImportFailure(f"{info.filename} is encrypted (password-protected)")
        if info.file_size > limits.member_bytes:
            raise ImportFailure(f"{info.filename} unpacks to {info.file_size} bytes; "
                                f"at most {limits.member_bytes}")
        if info.compress_size and info.file_size / info.compress_size > limits.ratio \
                and info.file_size > MB:
            raise ImportFailure(f"{info.filename} expands {info.file_size // info.compress_size}"
                                f" times: refused as a ZIP bomb")
        total += info.file_size
    if total > limits.total_bytes:
        raise ImportFailure(f"the ZIP unpacks to {total} bytes; at most {limits.total_bytes}")


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> bytes:
    """A member's bytes, read in pieces and stopped as soon as it passes its declared size."""
    out = bytearray()
    with archive.open(info) as stream:
        while chunk := stream.read(1024 * 1024):
            out.extend(chunk)
            if len(out) > min(info.file_size, limits.member_bytes):
                raise ImportFailure(f"{info.filename} unpacks to more than it declares")
    return bytes(out)
