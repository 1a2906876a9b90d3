"""Scans read once per run: what the paper engine read of a scan during a run's dry run is
kept beside the run's upload, and the confirmed import takes it back instead of reading (and
OCR-ing) every page again. Keyed by the file's SHA-256: a file that changed is read afresh.
Only scans are kept; Word files and registers are quick to read and depend on the mapping a
person may change between the dry run and the import.
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ...imports import SCAN, Reading
from ...imports.evidence import Evidence
from ...storage import atomic_write

log = logging.getLogger(__name__)

#: Bumped when what a reading holds changes: older files are then read afresh.
FORMAT = 1


def _path(folder: Path, sha: str) -> Path:
    return folder / f"{sha}.json"


def _encode(reading: Reading) -> dict[str, Any]:
    raw = asdict(reading)
    raw["images"] = {k: base64.b64encode(v).decode("ascii") for k, v in reading.images.items()}
    return raw


def _decode(raw: dict[str, Any]) -> Reading:
    raw = dict(raw)
    raw["evidence"] = [Evidence(**e) for e in raw.get("evidence", [])]
    raw["images"] = {k: base64.b64decode(v) for k, v in raw.get("images", {}).items()}
    return Reading(**raw)


def keep(folder: Path, sha: str, readings: list[Reading]) -> None:
    """Keep a scan's readings for the rest of the run (nothing for a file that is no scan)."""
    if not readings or any(r.kind != SCAN for r in readings):
        return
    body = {"format": FORMAT, "readings": [_encode(r) for r in readings]}
    atomic_write(_path(folder, sha), json.dumps(body, ensure_ascii=False).encode())


def load(folder: Path, sha: str) -> list[Reading] | None:
    """The readings kept for the file of ``sha``, or None (not kept, or not readable)."""
    path = _path(folder, sha)
    if not path.is_file():
        return None
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        if body.get("format") != FORMAT:
            return None
        return [_decode(r) for r in body["readings"]]
    except (ValueError, KeyError, TypeError) as exc:  # read the scan again instead
        log.warning("the kept reading %s cannot be used: %s", path, exc)
        return None
