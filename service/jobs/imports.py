"""The import pipeline: legacy files read by :mod:`service.imports`, stored as cases.

Two passes. The first reads every file (nothing written; the readings are spooled to a
temporary file so memory stays flat) and groups them into cases. The second stores them, one
transaction per file: the original kept byte for byte under
``WORK_ROOT/cases/<number>/originals/`` with an :class:`Original` row, the form as a new
version (``source="imported"``), its Word and PDF copies queued, not waited for. A file whose
SHA-256 is already known is ``duplicate`` and changes nothing; a file of the same name with new
content becomes a new version of its form. A dry run does the first pass and only asks the
database what would happen.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

from flask import current_app
from sqlalchemy import select

from ..auth.models import Team, User
from ..cases.imported import ImportedFile, ImportRun, RunState
from ..cases.lifecycle import content_hash, new_form, open_case, submit_form
from ..cases.models import Case, FormRecord, FormVersion, Original, utcnow
from ..db import db
from ..imports import FORM, SCAN, ImportFailure, Reading
from ..imports.dispatch import read_file
from ..imports.evidence import report_fields
from ..imports.grouping import Group, facts, group
from ..imports.limits import Limits
from ..imports.sources import collect
from ..storage import atomic_write
from . import app_context
from .queue import huey

IMPORTED = "imported"
WOULD_IMPORT = "would_import"
DUPLICATE = "duplicate"
NEEDS_REVIEW = "needs_review"
ERROR = "error"
STATUSES = (IMPORTED, WOULD_IMPORT, DUPLICATE, NEEDS_REVIEW, ERROR)
_ORDER = {"B": 0, "C": 1, "D": 2, None: 3}
_SAFE = re.compile(r"[^\w.\-]+")

Progress = Callable[[int, int], None]


@dataclass
class Report:
    """The report of one import: an entry per file (or register row), spooled to disk.

    Only the position of each entry is kept in memory, so a report of any size is written
    entry by entry, in the order the files were given.
    """

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    unmapped: dict[str, dict[str, str]] = field(default_factory=dict)  # annex -> label -> value
    _spool: IO[bytes] = field(default_factory=lambda: tempfile.TemporaryFile(  # noqa: SIM115
        "w+b"))  # closed by close()
    _where: list[tuple[int, int]] = field(default_factory=list)  # (order, offset)

    def add(self, entry: dict[str, Any]) -> None:
        self.counts[entry["status"]] += 1
        order = entry.pop("_order", 0)
        offset = self._spool.seek(0, os.SEEK_END)
        self._spool.write(json.dumps(entry, ensure_ascii=False).encode() + b"\n")
        self._where.append((order, offset))

    def entries(self) -> Iterator[dict[str, Any]]:
        """Every entry, in the order the files were given."""
        for _, offset in sorted(self._where):
            self._spool.seek(offset)
            yield json.loads(self._spool.readline())

    @property
    def ok(self) -> bool:
        return self.counts[ERROR] == 0

    def write(self, stream: IO[str]) -> None:
        """The report as JSON, written entry by entry."""
        stream.write('{"files": [')
        for n, entry in enumerate(self.entries()):
            stream.write((",\n" if n else "\n") + json.dumps(entry, ensure_ascii=False))
        stream.write('\n], "groups": ')
        stream.write(json.dumps(list(self.groups.values()), ensure_ascii=False))
        stream.write(', "summary": ' + json.dumps(self.counts) + "}\n")

    def as_dict(self) -> dict[str, Any]:
        return {"files": list(self.entries()), "groups": list(self.groups.values()),
                "summary": dict(self.counts), "unmapped": self.unmapped}

    def close(self) -> None:
        self._spool.close()


@dataclass
class _Item:
    """What the second pass needs of one reading, kept small; the form itself is spooled."""

    order: int
    label: str
    folder: str
    sha: str
    size: int
    kind: str  # FORM, SCAN or ERROR
    annex: str | None
    sort: tuple[Any, ...]
    offset: int  # of the spooled reading
    group: Group | None = None


class _Spool:
    """Readings and sources' bytes kept on disk between the passes."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile("w+b")  # noqa: SIM115 - closed by run_import

    def put(self, value: dict[str, Any]) -> int:
        at = self.file.seek(0, os.SEEK_END)
        self.file.write(json.dumps(value, ensure_ascii=False).encode() + b"\n")
        return at

    def get(self, offset: int) -> dict[str, Any]:
        self.file.seek(offset)
        return json.loads(self.file.readline())


@dataclass
class Options:
    """How to run an import."""

    dry_run: bool = False
    aliases: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    by: User | None = None
    enqueue: Callable[[int], None] | None = None  # default: the documents queue
    progress: Progress | None = None
    run: ImportRun | None = None


def _entry(item: _Item, status: str, *, annex: str | None = None, case: str = "",
           data: dict[str, Any] | None = None, warnings: Sequence[str] = (),
           errors: Sequence[str] = ()) -> dict[str, Any]:
    return {"file": item.label, "status": status, "annex": annex, "case": case,
            "data": data or {}, "warnings": list(warnings), "errors": list(errors),
            "fields": [], "_order": item.order}


def _read_all(paths: Sequence[str | Path], options: Options, spool: _Spool
              ) -> tuple[list[_Item], list[tuple[_Item, str]]]:
    """First pass: every source read, its readings spooled; the failures set aside."""
    sources = list(collect(paths, options.limits))
    items: list[_Item] = []
    failed: list[tuple[_Item, str]] = []
    order = 0
    for n, source in enumerate(sources):
        if options.progress:
            options.progress(n, 2 * len(sources))
        blank = _Item(order, source.name, source.folder, "", source.size, "error", None, (),
                      -1)
        order += 1
        if source.error:
            failed.append((blank, source.error))
            continue
        try:
            raw = source.load()
            blank.sha = hashlib.sha256(raw).hexdigest()
            readings = read_file(source.name, raw, limits=options.limits,
                                 aliases=options.aliases)
        except ImportFailure as e:
            failed.append((blank, str(e)))
            continue
        except Exception as e:  # a reader's bug must not stop the other files
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


def _item(order: int, source: Any, sha: str, reading: Reading, spool: _Spool) -> _Item:
    data = reading.data
    when = str(data.get("first_contact_date") or data.get("date") or data.get("opened_on") or "")
    seq = data.get("session_no") or 0
    offset = spool.put({"data": data, "warnings": reading.warnings,
                        "unmapped": reading.unmapped,
                        "fields": report_fields(reading.evidence)})
    return _Item(order, reading.label, source.folder, sha, source.size, reading.kind,
                 reading.annex, (_ORDER.get(reading.annex, 3), seq, when, order), offset)


# --- the second pass -----------------------------------------------------------------------

class _Cases:
    """The case of each group: found in the database, opened in this run, or to be opened."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.by_group: dict[str, int] = {}  # group key -> case id
        self.planned: dict[str, str] = {}  # dry run: group key -> "new case n"

    def existing(self, item: _Item, data: dict[str, Any]) -> Case | None:
        g = item.group
        if g is not None and g.key in self.by_group:
            return db.session.get(Case, self.by_group[g.key])
        name = str(data.get("client_name") or (g.name if g else "") or "")
        if not name or (g is not None and g.key.startswith("folder:") and item.annex != "B"):
            return None
        query = select(Case).where(Case.client_name == name)
        if item.annex == "B" and data.get("first_contact_date"):
            query = query.where(Case.opened_on == date.fromisoformat(data["first_contact_date"]))
        return db.session.scalars(query.order_by(Case.id.desc())).first()

    def label(self, item: _Item) -> str:
        """The case a dry run would file this item under."""
        g = item.group
        key = g.key if g else f"file:{item.order}"
        if key not in self.planned:
            self.planned[key] = f"new case {len(self.planned) + 1}"
        return self.planned[key]

    def open(self, item: _Item, data: dict[str, Any]) -> Case:
        name = str(data.get("client_name") or data.get("interviewee") or "")
        day = data.get("first_contact_date") or data.get("opened_on") or data.get("date")
        worker = _worker(str(data.get("worker") or ""))
        # a case of no known worker (a scan, say) goes to the importer's team, whose
        # supervisors can then see and review it
        team = None if worker is not None else _team_of(self.options.by)
        case = open_case(worker=worker, client_name=name, team=team,
                         opened_on=date.fromisoformat(day) if day else None)
        return case

    def remember(self, item: _Item, case: Case) -> None:
        if item.group is not None:
            self.by_group[item.group.key] = case.id


def _worker(name: str) -> User | None:
    if not name:
        return None
    return db.session.scalars(select(User).where(
        (User.display_name == name) | (User.username == name))).first()


def _team_of(user: User | None) -> Team | None:
    return db.session.get(Team, user.team_id) if user is not None and user.team_id else None


def _known(sha: str, label: str) -> Original | None:
    """An original already imported with this content (and, for a register row, this row)."""
    query = select(Original).where(Original.sha256 == sha)
    if "#" in label:
        query = query.where(Original.filename == label[:255])
    return db.session.scalars(query.limit(1)).first()


def _earlier(label: str) -> Original | None:
    """The latest original imported under the same name (a changed file)."""
    return db.session.scalars(select(Original).where(Original.filename == label[:255])
                              .order_by(Original.id.desc()).limit(1)).first()


def _form_for(case: Case, annex: str, data: dict[str, Any], by: User | None) -> FormRecord:
    if annex == "C" and data.get("session_no"):
        seq = int(data["session_no"])
        same = next((f for f in case.forms_of("C") if f.seq == seq), None)
        if same is not None:
            return same
        form = new_form(case, annex, by=by)
        form.seq = seq
        return form
    return new_form(case, annex, by=by)


def _keep_original(case: Case, item: _Item, raw: bytes) -> tuple[str, bool]:
    """Write the original under the case's folder; its relative path and whether it is new."""
    root = Path(current_app.config["WORK_ROOT"])
    base = item.label.split("#")[0].rsplit("/", 1)[-1]
    name = f"{item.sha[:16]}-{_SAFE.sub('_', base)[-120:]}"
    relative = f"cases/{_SAFE.sub('_', case.number)}/originals/{name}"
    path = root / relative
    fresh = not path.exists()
    atomic_write(path, raw)
    return relative, fresh


def _store(item: _Item, reading: dict[str, Any], raw: bytes, cases: _Cases,
           options: Options) -> dict[str, Any]:
    """Second pass for one item, in its own transaction (the caller commits)."""
    data = reading["data"]
    known = _known(item.sha, item.label)
    if known is not None:
        case = db.session.get(Case, known.case_id)
        return _entry(item, DUPLICATE, annex=item.annex, case=case.number if case else "",
                      data=data, warnings=reading["warnings"])
    earlier = _earlier(item.label) if item.kind == FORM else None
    form: FormRecord | None = None
    if earlier is not None and earlier.version_id is not None:
        version = db.session.get(FormVersion, earlier.version_id)
        form = version.form if version is not None else None
        if form is not None and form.current and form.current.content_hash == content_hash(data):
            return _entry(item, DUPLICATE, annex=item.annex, case=form.case.number, data=data,
                          warnings=reading["warnings"])
    case = form.case if form is not None else cases.existing(item, data)
    status = NEEDS_REVIEW if item.kind == SCAN else (WOULD_IMPORT if options.dry_run
                                                    else IMPORTED)
    if options.dry_run:
        label = case.number if case is not None else cases.label(item)
        if case is not None:
            cases.planned.setdefault(item.group.key if item.group else "", case.number)
        return _entry(item, status, annex=item.annex, case=label, data=data,
                      warnings=reading["warnings"])
    if case is None:
        case = cases.open(item, data)
    cases.remember(item, case)
    version_id = None
    if item.kind == FORM and item.annex:
        form = form or _form_for(case, item.annex, data, options.by)
        version = submit_form(form, data, by=options.by, source="imported")
        version_id = version.id
    relative, fresh = _keep_original(case, item, raw)
    try:
        original = Original(case_id=case.id, version_id=version_id, filename=item.label[:255],
                            sha256=item.sha, size=len(raw), path=relative)
        db.session.add(original)
        db.session.flush()
        db.session.add(ImportedFile(run_id=options.run.id if options.run else None,
                                    case_id=case.id, original_id=original.id,
                                    version_id=version_id, annex=item.annex or "",
                                    needs_review=item.kind == SCAN,
                                    warnings=reading["warnings"]))
        db.session.flush()
        if version_id is not None:
            (options.enqueue or _enqueue_documents)(version_id)
    except BaseException:
        if fresh:
            (Path(current_app.config["WORK_ROOT"]) / relative).unlink(missing_ok=True)
        raise
    return _entry(item, status, annex=item.annex, case=case.number, data=data,
                  warnings=reading["warnings"])


def _enqueue_documents(version_id: int) -> None:
    from .documents import enqueue_documents

    enqueue_documents(version_id)


def _loader(paths: Sequence[str | Path], limits: Limits) -> dict[str, Callable[[], bytes]]:
    return {s.name: s.load for s in collect(paths, limits) if not s.error}


def run_import(paths: Sequence[str | Path], options: Options | None = None) -> Report:
    """Import files, folders and ZIPs; one transaction per file. Returns the report.

    With ``options.dry_run`` nothing is written anywhere (database, work folder, queue): the
    report says what would happen. A failing file is an ``error`` entry and stops nothing.
    """
    options = options or Options()
    report = Report()
    spool = _Spool()
    try:
        items, failed = _read_all(paths, options, spool)
        for item, message in failed:
            report.add(_entry(item, ERROR, errors=[message]))
        loaders = _loader(paths, options.limits) if not options.dry_run else {}
        cases = _Cases(options)
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


def _one(item: _Item, reading: dict[str, Any], loaders: Mapping[str, Callable[[], bytes]],
         cases: _Cases, options: Options) -> dict[str, Any]:
    """One item stored (or dry-run) in its own transaction; an error is rolled back whole."""
    try:
        raw = b"" if options.dry_run else loaders[item.label.split("#")[0]]()
        if not options.dry_run and hashlib.sha256(raw).hexdigest() != item.sha:
            raise ImportFailure("the file changed while it was being imported")
        entry = _store(item, reading, raw, cases, options)
        entry["fields"] = reading.get("fields", [])
        if not options.dry_run:  # a dry run only asked questions: nothing to commit
            db.session.commit()
        return entry
    except Exception as e:
        db.session.rollback()  # a dry run's caller has committed its own changes before
        message = str(e) if isinstance(e, ImportFailure) else f"{type(e).__name__}: {e}"
        entry = _entry(item, ERROR, annex=item.annex, data=reading["data"],
                       warnings=reading["warnings"], errors=[message])
        entry["fields"] = reading.get("fields", [])
        return entry


def _note_group(report: Report, item: _Item) -> None:
    if item.group is None:
        return
    g = report.groups.setdefault(item.group.key, {"group": item.group.how, "files": []})
    g["files"].append(item.label)


# --- the web flow's job --------------------------------------------------------------------

def upload_folder(run: ImportRun) -> Path:
    """Where a run's upload is kept (under WORK_ROOT)."""
    return Path(current_app.config["WORK_ROOT"]) / "imports" / str(run.id)


def run_options(run: ImportRun, *, dry_run: bool, by: User | None) -> Options:
    """The options of a web run: its mapping, its user, progress kept on the run."""
    return Options(dry_run=dry_run, aliases=run.mapping or {}, by=by, run=run)


def check_run(run: ImportRun, by: User | None) -> Report:
    """Dry-run a run's upload and keep the report on the run.

    The caller commits the run before (a failing file rolls the session back) and after.
    """
    report = run_import([Path(current_app.config["WORK_ROOT"]) / run.upload_path],
                        run_options(run, dry_run=True, by=by))
    try:
        run.report = report.as_dict()
        run.total = sum(report.counts.values())
    finally:
        report.close()
    return report


@huey.task()
def import_run_task(run_id: int) -> None:
    """Import a confirmed run in the background, keeping its progress and final report."""
    with app_context():
        execute_run(run_id)


def execute_run(run_id: int) -> None:
    """The body of :func:`import_run_task`."""
    run = db.session.get(ImportRun, run_id)
    if run is None or run.state not in (RunState.QUEUED, RunState.RUNNING):
        return
    by = db.session.get(User, run.created_by_id) if run.created_by_id else None
    run.state, run.done, run.error = RunState.RUNNING, 0, ""
    db.session.commit()

    def progress(done: int, total: int) -> None:
        current = db.session.get(ImportRun, run_id)
        current.done, current.total = done, total
        db.session.commit()

    try:
        options = run_options(run, dry_run=False, by=by)
        options.progress = progress
        report = run_import([Path(current_app.config["WORK_ROOT"]) / run.upload_path], options)
        run = db.session.get(ImportRun, run_id)
        run.report = report.as_dict()
        report.close()
        run.state = RunState.DONE
    except Exception as e:  # the run is shown failed with its reason
        db.session.rollback()
        run = db.session.get(ImportRun, run_id)
        run.state, run.error = RunState.FAILED, f"{type(e).__name__}: {e}"
    run.finished_at = utcnow()
    db.session.commit()
