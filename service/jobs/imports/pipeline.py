"""The import pipeline: two passes over the given files, folders and ZIPs.

The first reads every file (nothing written; the readings are spooled to a temporary file so
memory stays flat) and groups them into cases. The second stores them, one transaction per
file (see :mod:`.storing`). A dry run does the first pass and only asks the database what would
happen.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from flask import current_app

from ...db import db
from ...imports import ImportFailure, Reading
from ...imports.dispatch import read_file
from ...imports.evidence import report_fields
from ...imports.grouping import facts, group
from ...imports.limits import Limits
from ...imports.sources import collect
from ...imports.synonyms import Synonyms
from ...imports.synonyms import load as load_synonyms
from . import readcache
from .matching import Cases
from .model import ERROR, Item, Options, Report, Spool, entry
from .storing import store_item

_ORDER = {"B": 0, "C": 1, "D": 2, None: 3}


def _synonyms(options: Options) -> Synonyms | str:
    """The agency's synonyms (or why its file cannot be used: then every file fails with it)."""
    if options.synonyms is not None:
        return options.synonyms
    try:
        return load_synonyms(Path(current_app.instance_path))
    except ImportFailure as e:
        return str(e)


def _read_all(paths: Sequence[str | Path], options: Options, spool: Spool
              ) -> tuple[list[Item], list[tuple[Item, str]]]:
    """First pass: every source read, its readings spooled; the failures set aside."""
    sources = list(collect(paths, options.limits))
    synonyms = _synonyms(options)
    items: list[Item] = []
    failed: list[tuple[Item, str]] = []
    order = 0
    for n, source in enumerate(sources):
        if options.progress:
            options.progress(n, 2 * len(sources))
        blank = Item(order, source.name, source.folder, "", source.size, "error", None, (),
                      -1)
        order += 1
        if source.error:
            failed.append((blank, source.error))
            continue
        try:
            raw = source.load()
            blank.sha = hashlib.sha256(raw).hexdigest()
            if isinstance(synonyms, str):
                raise ImportFailure(synonyms)
            readings = _read_once(source.name, raw, blank.sha, synonyms, options)
        except ImportFailure as e:
            failed.append((blank, str(e)))
            continue
        except Exception as e:  # noqa: BLE001 - a reader's bug must not stop the other files
            failed.append((blank, f"could not be read ({type(e).__name__}: {e})"))
            continue
        del raw
        for reading in readings:
            items.append(_item(order, source, blank.sha, reading, spool))
            order += 1
    for item, f in zip(items, group([facts(i.folder, i.annex, spool.get(i.offset)["data"])
                                     for i in items]), strict=True):
        item.group = f
    return items, failed


def _read_once(name: str, raw: bytes, sha: str, synonyms: Synonyms, options: Options
               ) -> list[Reading]:
    """The file's readings: a scan read earlier in this run (its dry run) is taken back, not
    read again."""
    kept = readcache.load(options.readings, sha) if options.readings else None
    if kept is not None:
        return kept
    readings = read_file(name, raw, limits=options.limits, aliases=options.aliases,
                         synonyms=synonyms, pages=_pages_of(name, options))
    if options.readings:
        readcache.keep(options.readings, sha, readings)
    return readings


def _pages_of(name: str, options: Options) -> Callable[[int, int], None] | None:
    """The page callback of one file's reading, when the run keeps progress."""
    tell = options.pages
    if tell is None:
        return None
    return lambda page, pages: tell(name, page, pages)


def _item(order: int, source: Any, sha: str, reading: Reading, spool: Spool) -> Item:
    data = reading.data
    when = str(data.get("first_contact_date") or data.get("date") or data.get("opened_on") or "")
    seq = data.get("session_no") or 0
    offset = spool.put({"data": data, "warnings": reading.warnings,
                        "unmapped": reading.unmapped,
                        "fields": report_fields(reading.evidence),
                        "case_number": reading.case_number, "pages": reading.pages,
                        "images": {k: base64.b64encode(v).decode("ascii")
                                   for k, v in reading.images.items()}})
    return Item(order, reading.label, source.folder, sha, source.size, reading.kind,
                 reading.annex, (_ORDER.get(reading.annex, 3), seq, when, order), offset)


def _loader(paths: Sequence[str | Path], limits: Limits) -> dict[str, Callable[[], bytes]]:
    return {s.name: s.load for s in collect(paths, limits) if not s.error}


def run_import(paths: Sequence[str | Path], options: Options | None = None) -> Report:
    """Import files, folders and ZIPs; one transaction per file. Returns the report.

    With ``options.dry_run`` nothing is written anywhere (database, work folder, queue): the
    report says what would happen. A failing file is an ``error`` entry and stops nothing.
    """
    options = options or Options()
    report = Report()
    spool = Spool()
    try:
        items, failed = _read_all(paths, options, spool)
        for item, message in failed:
            report.add(entry(item, ERROR, errors=[message]))
        loaders = _loader(paths, options.limits) if not options.dry_run else {}
        cases = Cases(options)
        total = len(items) + len(failed)
        for n, item in enumerate(sorted(items, key=lambda i: (i.group.key if i.group else
                                                             f"~{i.order}", i.sort))):
            if options.progress:
                options.progress(total + n, 2 * total)
            reading = spool.get(item.offset)
            for label, value in reading.get("unmapped", {}).items():
                report.unmapped.setdefault(item.annex or "", {}).setdefault(label, value)
            report.add(_one(item, reading, loaders, cases, options))
            _note_group(report, item)
        if options.progress:
            options.progress(2 * total, 2 * total)
        return report
    finally:
        spool.file.close()


def _one(item: Item, reading: dict[str, Any], loaders: Mapping[str, Callable[[], bytes]],
         cases: Cases, options: Options) -> dict[str, Any]:
    """One item stored (or dry-run) in its own transaction; an error is rolled back whole."""
    try:
        raw = b"" if options.dry_run else loaders[item.label.split("#")[0]]()
        if not options.dry_run and hashlib.sha256(raw).hexdigest() != item.sha:
            raise ImportFailure("the file changed while it was being imported")
        stored = store_item(item, reading, raw, cases, options)
        stored["fields"] = reading.get("fields", [])
        _scan_facts(stored, reading)
        if not options.dry_run:  # a dry run only asked questions: nothing to commit
            db.session.commit()
        return stored
    except Exception as e:  # noqa: BLE001 - the file becomes an error entry with its reason
        db.session.rollback()  # a dry run's caller has committed its own changes before
        message = str(e) if isinstance(e, ImportFailure) else f"{type(e).__name__}: {e}"
        failed = entry(item, ERROR, annex=item.annex, data=reading["data"],
                       warnings=reading["warnings"], errors=[message])
        failed["fields"] = reading.get("fields", [])
        _scan_facts(failed, reading)
        return failed


def _scan_facts(report_entry: dict[str, Any], reading: dict[str, Any]) -> None:
    """A read scan's entry also says which case its code named and which pages it holds."""
    if reading.get("pages"):
        report_entry["case_number"] = reading.get("case_number") or None
        report_entry["pages"] = reading["pages"]


def _note_group(report: Report, item: Item) -> None:
    if item.group is None:
        return
    g = report.groups.setdefault(item.group.key, {"group": item.group.how, "key": item.group.key,
                                                  "files": []})
    g["files"].append(item.label)
