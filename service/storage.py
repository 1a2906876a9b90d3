"""Paths under a storage root: nothing from a request reaches the file system unchecked."""

from __future__ import annotations

from pathlib import Path


def resolve_under(root: str | Path, relative: str) -> Path | None:
    """``root/relative`` if it stays inside ``root`` (no absolute path, no ``..``); else None."""
    base = Path(root).resolve()
    if not relative or Path(relative).is_absolute():
        return None
    candidate = (base / relative).resolve()
    return candidate if candidate.is_relative_to(base) else None
