"""Many forms at once: JSON files in, Word and PDF/A files out, on a converter pool.

Each input file holds ``{"annex": "B", "data": {...}}`` (optionally ``"meta": {"case_number":
..., "agency": ...}``). A file that cannot be read, names no annex or holds an invalid form is
reported and skipped; the others go on. Outputs are written whole or not at all.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from ..annexes import ANNEXES, Annex
from ..storage import atomic_write
from .convert import ConversionError, OfficePool
from .render import DocumentError, DocumentMeta, render_docx

FORMATS = ("docx", "pdf")
_META_FIELDS = {f.name for f in fields(DocumentMeta)} - {"created", "extra", "version"}


class BatchInputError(ValueError):
    """An input file that is not a form this service can render."""


@dataclass(frozen=True)
class BatchItem:
    """One form to render: where it came from and what it holds."""

    name: str
    annex: Annex
    data: dict[str, Any]
    meta: DocumentMeta


@dataclass(frozen=True)
class BatchResult:
    """What became of one input file."""

    name: str
    ok: bool
    error: str = ""
    outputs: tuple[Path, ...] = ()
    render_seconds: float = 0.0
    convert_seconds: float = 0.0


def read_item(path: Path, default_meta: DocumentMeta | None = None) -> BatchItem:
    """Read one input file; BatchInputError says what is wrong with it."""
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BatchInputError(f"not a JSON file: {exc}") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("data", {}), dict):
        raise BatchInputError('expected {"annex": "B|C|D", "data": {...}}')
    code = str(payload.get("annex", "")).strip().upper()
    if code not in ANNEXES:
        raise BatchInputError(f"unknown annex {payload.get('annex')!r}: use one of "
                              f"{', '.join(ANNEXES)}")
    meta_in = payload.get("meta") or {}
    if not isinstance(meta_in, dict):
        raise BatchInputError('"meta" must be an object')
    base = default_meta or DocumentMeta()
    meta = DocumentMeta(**{**{k: getattr(base, k) for k in _META_FIELDS},
                           **{k: str(v) for k, v in meta_in.items() if k in _META_FIELDS}})
    return BatchItem(path.stem, ANNEXES[code], payload.get("data") or {}, meta)


def describe(error: DocumentError) -> str:
    """A one-line account of a form's problems."""
    parts = [f"{p.key}: {p.message % p.params if p.params else p.message}"
             for p in error.problems[:5]]
    more = f" (+{len(error.problems) - 5} more)" if len(error.problems) > 5 else ""
    return "; ".join(parts) + more if parts else str(error)


def make_one(item: BatchItem, out_dir: Path, convert: Callable[[bytes], bytes] | None,
             formats: Iterable[str] = FORMATS) -> BatchResult:
    """Render one form, convert it, write its files; a failure is returned, not raised."""
    formats = tuple(formats)
    start = time.perf_counter()
    try:
        docx = render_docx(item.annex, item.data, item.meta)
    except DocumentError as exc:
        return BatchResult(item.name, False, describe(exc))
    rendered = time.perf_counter()
    outputs = []
    if "docx" in formats:
        atomic_write(out_dir / f"{item.name}.docx", docx)
        outputs.append(out_dir / f"{item.name}.docx")
    if "pdf" in formats and convert is not None:
        try:
            pdf = convert(docx)
        except ConversionError as exc:
            return BatchResult(item.name, False, f"conversion failed: {exc}", tuple(outputs),
                               rendered - start, time.perf_counter() - rendered)
        atomic_write(out_dir / f"{item.name}.pdf", pdf)
        outputs.append(out_dir / f"{item.name}.pdf")
    return BatchResult(item.name, True, "", tuple(outputs), rendered - start,
                       time.perf_counter() - rendered)


def run_batch(paths: Iterable[Path], out_dir: Path, *, pool: OfficePool | None,
              formats: Iterable[str] = FORMATS, default_meta: DocumentMeta | None = None,
              workers: int | None = None) -> Iterator[BatchResult]:
    """Render and convert every input file, ``workers`` at a time (default: one per
    LibreOffice of ``pool``); yields each result as it completes."""
    out_dir.mkdir(parents=True, exist_ok=True)
    convert = pool.convert if pool is not None else None
    formats = tuple(formats)
    workers = workers or (pool.size if pool is not None else 1)

    def one(path: Path) -> BatchResult:
        try:
            item = read_item(path, default_meta)
        except BatchInputError as exc:
            return BatchResult(path.stem, False, str(exc))
        return make_one(item, out_dir, convert, formats)

    with ThreadPoolExecutor(max_workers=workers) as executor:
        futures = [executor.submit(one, p) for p in paths]
        for future in as_completed(futures):
            yield future.result()
