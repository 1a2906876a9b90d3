"""Queue jobs of the archive: filing a closed case, later versions, re-grading moves, bundles.

The documents jobs call :func:`on_documents_ready` once a version's copies are made. A case
that is closed or transferred (its Annex D submitted) is filed (归档) as soon as every current
copy is ready; later versions of an archived case are filed beside the old files, which stay.
"""

from __future__ import annotations

import shutil
import uuid
import zipfile
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select

from ..annexes import ANNEXES, CLOSING, INTAKE, INTERVIEW
from ..annexes.process import Stage
from ..archive import bundle as binder
from ..archive.filing import (
    Item,
    Manifest,
    add_item,
    file_bytes,
    move_folder,
    read_manifest,
    write_manifest,
)
from ..archive.fixity import Report, verify
from ..archive.policy import CaseFacts, Placement, Policy, load_policy, parse_dang_hao
from ..cases.archival import ArchiveCounter, ArchiveFile, ArchiveItem, ArchiveMove, BundleRequest
from ..cases.models import Case, Document, DocumentState, FormRecord, FormVersion, Original, utcnow
from ..db import db, take_turns
from ..storage import atomic_open
from . import app_context
from .queue import huey

_POLICY_KEY = "archive_policy"
_STAGING = ".staging"
#: The annex order of a case file: B, then each C by date, then D.
_ANNEX_ORDER = {INTAKE.code: 0, INTERVIEW.code: 1, CLOSING.code: 2}
_DATE_FIELD = {INTAKE.code: "first_contact_date", INTERVIEW.code: "date",
               CLOSING.code: "closed_on"}


class ArchiveError(Exception):
    """The archive cannot do what was asked (a clear message for the archivist)."""


# --- settings -----------------------------------------------------------------------------

def init_policy(app: Flask) -> Policy:
    """Load and check the archive policy once per application (start-up fails on a bad one)."""
    policy = load_policy(app.config.get("ARCHIVE_POLICY") or None,
                         fonds=app.config.get("FONDS_CODE", ""),
                         fonds_name=app.config.get("AGENCY_NAME", ""))
    app.extensions[_POLICY_KEY] = policy
    return policy


def policy() -> Policy:
    """The application's checked archive policy."""
    return current_app.extensions.get(_POLICY_KEY) or init_policy(current_app)


def archive_root() -> Path:
    return Path(current_app.config["ARCHIVE_ROOT"])


def work_root() -> Path:
    return Path(current_app.config["WORK_ROOT"])


def number_sheet() -> binder.NumberSheet:
    """The page-number sheet, cached in the work folder."""
    sheets = current_app.extensions.setdefault("archive_number_sheets", {})
    cache = work_root() / "cache"
    if str(cache) not in sheets:
        sheets[str(cache)] = binder.NumberSheet(cache)
    return sheets[str(cache)]


# --- facts ----------------------------------------------------------------------------------

def facts_of(case: Case) -> CaseFacts:
    """The plain facts of a case the archive engine needs."""
    return CaseFacts(
        case_id=case.id, number=case.number, client_name=case.client_name,
        worker=case.worker.name if case.worker else "",
        special_process=case.special_process, screening=dict(case.screening or {}),
        risk_grade=case.risk_grade, confidential=bool(case.confidential),
        transferred=case.stage == Stage.TRANSFERRED, opened_on=case.opened_on, closed_on=case.closed_on)


def ordered_forms(case: Case) -> list[FormRecord]:
    """The case's submitted forms in 件 order: B, then each C by its date, then D."""
    def key(form: FormRecord) -> tuple[Any, ...]:
        data = form.current.data if form.current else {}
        return (_ANNEX_ORDER.get(form.annex, 3), str(data.get(_DATE_FIELD[form.annex], "")),
                form.seq)
    return sorted((f for f in case.forms if f.current is not None), key=key)


def form_title(form: FormRecord, *, short: bool) -> str:
    """A 件's title from the declaration; a C carries its 第 n 次."""
    annex = ANNEXES[form.annex]
    name = annex.short_title if short else annex.title
    if form.annex == INTERVIEW.code:
        count = INTERVIEW["session_no"]
        number = (form.current.data if form.current else {}).get("session_no") or form.seq
        return f"{name}{count.prefix}{number}{count.suffix}"
    return name


def _item_date(version: FormVersion) -> str:
    value = version.data.get(_DATE_FIELD[version.form.annex])
    return str(value) if value else version.submitted_at.date().isoformat()


def _author(case: Case, version: FormVersion) -> str:
    return str(version.data.get("worker") or (case.worker.name if case.worker else ""))


def _ready_copies(version: FormVersion) -> dict[str, Document] | None:
    docs = {d.format: d for d in version.documents}
    if "pdf" not in docs or any(d.state != DocumentState.READY for d in docs.values()):
        return None
    return docs


# --- the hook -------------------------------------------------------------------------------

def on_documents_ready(version_id: int) -> None:
    """Called by the documents jobs when a version's copies are ready.

    Files the case when it is closed and all its copies are ready, or files the new version
    of an already archived case. Commits what it files.
    """
    version = db.session.get(FormVersion, version_id)
    if version is None:
        return
    case = version.form.case
    record = archived(case)
    if record is not None:
        file_version(record, version)
        db.session.commit()
    elif not case.is_open and all(_ready_copies(f.current) for f in ordered_forms(case)):
        archive_case(case)


def archived(case: Case) -> ArchiveFile | None:
    """The case's file in the archive, if it has been filed."""
    return db.session.scalar(select(ArchiveFile).where(ArchiveFile.case_id == case.id))


# --- filing ---------------------------------------------------------------------------------

def next_serial(series: str) -> int:
    """The next 案卷号 of a series; counts only up, so no 档号 is ever given twice."""
    take_turns(f"archive-counter:{series}", ArchiveCounter.__table__)
    counter = db.session.get(ArchiveCounter, series, with_for_update=True)
    if counter is None:
        counter = ArchiveCounter(series=series, last=0)
        db.session.add(counter)
    counter.last += 1
    db.session.flush()
    return counter.last


def archive_case(case: Case, *, by: Any = None) -> ArchiveFile:
    """File a closed or transferred case: its folder appears whole, with its manifest, and
    its records are committed; if the commit fails the folder is taken away again."""
    if case.is_open:
        raise ArchiveError(f"case {case.number} is still open")
    if (existing := archived(case)) is not None:
        return existing
    forms = ordered_forms(case)
    missing = [f"{f.annex}{f.seq}" for f in forms if not _ready_copies(f.current)]
    if missing:
        raise ArchiveError(f"case {case.number}: copies not ready for {', '.join(missing)}")
    rules, facts = policy(), facts_of(case)
    placement = rules.place(facts)
    dang_hao = rules.dang_hao(placement, next_serial(rules.counter_key(placement)))
    folder = placement.folder(dang_hao)
    record = ArchiveFile(case_id=case.id, dang_hao=dang_hao, folder=str(folder),
                         year=placement.year, retention=placement.retention,
                         category=placement.category, grade=placement.grade,
                         title=rules.case_title(facts, placement), start_on=case.opened_on,
                         end_on=case.closed_on, archived_by_id=getattr(by, "id", None))
    db.session.add(record)
    root = archive_root()
    stage = root / _STAGING / uuid.uuid4().hex
    manifest = Manifest(dang_hao=dang_hao, case_number=case.number, title=record.title,
                        placement=_placement_dict(placement))
    try:
        for number, form in enumerate(forms, start=1):
            _file_form(record, manifest, stage, form, form.current, number)
        _file_pages(record, manifest, stage)
        write_manifest(stage, manifest)
        (root / folder).parent.mkdir(parents=True, exist_ok=True)
        stage.rename(root / folder)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        db.session.rollback()
        raise
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        shutil.rmtree(root / folder, ignore_errors=True)
        raise
    return record


def _placement_dict(placement: Placement) -> dict[str, Any]:
    return {"fonds": placement.fonds, "year": placement.year, "retention": placement.retention,
            "category": placement.category, "grade": placement.grade}


def _file_form(record: ArchiveFile, manifest: Manifest, folder: Path, form: FormRecord,
               version: FormVersion, item_no: int) -> None:
    """File a version's copies (PDF, Word) and any imported original as 件 ``item_no``."""
    docs = _ready_copies(version) or {}
    rules = policy()
    base = Item(file="", item_no=item_no, title=form_title(form, short=False),
                date=_item_date(version), annex=form.annex, version_id=version.id,
                version=version.number, author=_author(form.case, version))
    short = form_title(form, short=True)
    sources: list[tuple[Item, Path]] = []
    for fmt in ("pdf", "docx"):
        if fmt in docs:
            name = rules.item_name(record.dang_hao, item_no, short, fmt, version.number)
            sources.append((replace(base, file=name, format=fmt, pages=docs[fmt].pages),
                            work_root() / docs[fmt].path))
    originals = db.session.scalars(select(Original).where(Original.version_id == version.id))
    for original in originals:
        suffix = Path(original.filename).suffix.lstrip(".").lower() or "bin"
        name = rules.item_name(record.dang_hao, item_no, f"{short}-原件", suffix,
                               version.number)
        sources.append((replace(base, file=name, format=suffix, role="original"),
                        work_root() / original.path))
    for item, source in sources:
        data = source.read_bytes()
        if item.format == "pdf" and not item.pages:
            item = replace(item, pages=binder.pdf_pages(data))
        _record_item(record, manifest, file_bytes(folder, item, data), form.id)


def _record_item(record: ArchiveFile, manifest: Manifest, item: Item,
                 form_id: int | None) -> None:
    add_item(manifest, item)
    for old in record.items:
        if (not old.superseded and old.item_no == item.item_no and old.role == item.role
                and old.format == item.format and old.filename != item.file):
            old.superseded = True
    record.items.append(ArchiveItem(
        item_no=item.item_no, role=item.role, format=item.format, annex=item.annex,
        form_id=form_id, version_id=item.version_id, version=item.version,
        filename=item.file, title=item.title, item_date=item.date, author=item.author,
        sha256=item.sha256, size=item.size, pages=item.pages))


def _file_pages(record: ArchiveFile, manifest: Manifest, folder: Path) -> None:
    """Render and file the bundle's cover, contents and note for the items in force."""
    rules = policy()
    documents = [i for i in manifest.current("document") if i.format == "pdf"]
    originals = {i.item_no: i.file for i in manifest.current("original")}
    rows = [binder.ContentsRow(no=i.item_no, author=i.author, title=i.title, date=i.date,
                               pages=i.pages,
                               remark="附原件" if i.item_no in originals else "")
            for i in documents]
    dates = sorted(i.date for i in documents if i.date)
    placement = manifest.placement
    info = {
        "fonds_name": rules.fonds_name, "category": placement["category"],
        "grade": placement["grade"], "title": record.title,
        "start": (record.start_on.isoformat() if record.start_on else
                  dates[0] if dates else ""),
        "end": record.end_on.isoformat() if record.end_on else dates[-1] if dates else "",
        "retention": placement["retention"], "dang_hao": record.dang_hao,
        "compiled_by": documents[-1].author if documents else "",
        "checked_by": "", "date": date.today().isoformat(),
        "remarks": [f"本卷共 {len(documents)} 件，{sum(i.pages for i in documents)} 页。"]
                   + [f"{i.file}：{i.title}，原件另存。" for i in manifest.current("original")]
                   + [f"{m['at'][:10]} 自 {m['from']} 调整至 {m['to']}：{m['why']}"
                      for m in manifest.moves],
    }
    pages = binder.render_pages(info, rows)
    labels = {"cover": "卷皮", "contents": "卷内目录", "note": "备考表"}
    for role, data in (("cover", pages.cover), ("contents", pages.contents),
                       ("note", pages.note)):
        version = 1 + sum(1 for i in manifest.items if i.role == role)
        name = rules.item_name(record.dang_hao, 0, labels[role], "pdf", version)
        item = Item(file=name, item_no=0, title=labels[role], date=info["date"], role=role,
                    version=version, pages=binder.pdf_pages(data), author=rules.fonds_name)
        _record_item(record, manifest, file_bytes(folder, item, data), None)
    record.pages = sum(i.pages for i in manifest.current() if i.format == "pdf")


def file_version(record: ArchiveFile, version: FormVersion) -> None:
    """File a version made after archiving: new files beside the old (now superseded) ones,
    and fresh bundle pages. The caller commits."""
    if any(i.version_id == version.id for i in record.items):
        return
    if not _ready_copies(version):
        raise ArchiveError(f"version {version.id}: copies not ready")
    folder = archive_root() / record.folder
    manifest = read_manifest(folder)
    earlier = [i for i in record.items if i.form_id == version.form_id and i.role == "document"]
    item_no = earlier[0].item_no if earlier else manifest.next_item_no()
    _file_form(record, manifest, folder, version.form, version, item_no)
    _file_pages(record, manifest, folder)
    write_manifest(folder, manifest)


def regrade(case: Case, *, by: Any = None, reason: str) -> ArchiveMove | None:
    """Move an archived case's folder when its 类别, 等级 or 保管期限 changed; records the move
    (from, to, who, why) in the records and the manifest, and files a fresh cover. The 档号
    stays: it is the case file's name for good. Commits."""
    record = archived(case)
    if record is None:
        raise ArchiveError(f"case {case.number} is not archived")
    if not reason.strip():
        raise ArchiveError("a move needs a reason")
    placement = policy().place(facts_of(case))
    target = str(placement.folder(record.dang_hao))
    if target == record.folder:
        return None
    who = getattr(by, "name", "") or ""
    entry = {"from": record.folder, "to": target, "by": who, "why": reason,
             "at": utcnow().isoformat(timespec="seconds")}
    root = archive_root()
    move_folder(root, Path(record.folder), Path(target), entry)
    move = ArchiveMove(from_folder=record.folder, to_folder=target, reason=reason,
                       moved_by_id=getattr(by, "id", None))
    record.moves.append(move)
    record.folder, record.retention = target, placement.retention
    record.category, record.grade = placement.category, placement.grade
    try:
        manifest = read_manifest(root / target)
        manifest.placement = _placement_dict(placement)
        _file_pages(record, manifest, root / target)
        write_manifest(root / target, manifest)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        move_folder(root, Path(target), Path(entry["from"]),
                    {**entry, "from": target, "to": entry["from"], "why": "undone: " + reason})
        raise
    return move


# --- finding, verifying ---------------------------------------------------------------------

def find_file(text: str) -> ArchiveFile:
    """A case file by its 档号 or its folder name (or path); ArchiveError if none."""
    try:
        dang_hao = parse_dang_hao(text)
    except ValueError as exc:
        raise ArchiveError(str(exc)) from exc
    record = db.session.scalar(select(ArchiveFile).where(ArchiveFile.dang_hao == dang_hao))
    if record is None:
        raise ArchiveError(f"no case file {dang_hao}")
    return record


def recorded_tree() -> dict[str, dict[str, str]]:
    """What the records say is filed: case folder -> file name -> SHA-256."""
    tree: dict[str, dict[str, str]] = {}
    for record in db.session.scalars(select(ArchiveFile)):
        tree[record.folder] = {i.filename: i.sha256 for i in record.items}
    return tree


def verify_archive(workers: int | None = None) -> Report:
    """Re-hash the whole archive and compare it with its manifests and the records."""
    return verify(archive_root(), recorded_tree(), workers=workers)


# --- bundles --------------------------------------------------------------------------------

def volume_of(record: ArchiveFile) -> binder.Volume:
    """A case file's bundle: cover, contents, each 件's PDF in 件号 order, note."""
    folder = archive_root() / record.folder
    roles = {r: record.current_items(r) for r in ("cover", "contents", "note")}
    if not all(roles.values()):
        raise ArchiveError(f"{record.dang_hao}: bundle pages missing; re-file the case")
    parts = [binder.Part(folder / roles["cover"][0].filename, roles["cover"][0].title),
             binder.Part(folder / roles["contents"][0].filename, roles["contents"][0].title)]
    parts += [binder.Part(folder / i.filename, f"{i.item_no} {i.title}")
              for i in record.current_items()]
    parts.append(binder.Part(folder / roles["note"][0].filename, roles["note"][0].title))
    return binder.Volume(title=f"{record.dang_hao} {record.title}", parts=tuple(parts))


def bundle_one(record: ArchiveFile, out: Path, *, duplex: bool = False) -> int:
    """Bind one case file into ``out``; the number of pages."""
    return binder.assemble([volume_of(record)], out, sheet=number_sheet(), duplex=duplex,
                           title=f"{record.dang_hao} {record.title}")


def bundle_many(records: list[ArchiveFile], out: Path, *, output: str = "pdf",
                duplex: bool = False, progress: Any = None) -> None:
    """Many case files as one print file (``output='pdf'``) or a ZIP of bundles ('zip')."""
    if not records:
        raise ArchiveError("no case files selected")
    if output == "pdf":
        binder.assemble([volume_of(r) for r in records], out, sheet=number_sheet(),
                        duplex=duplex, title=f"{len(records)} 卷", progress=progress)
        return
    if output != "zip":
        raise ArchiveError(f"unknown output {output!r}")
    scratch = out.parent / f".{out.name}.{uuid.uuid4().hex}"
    scratch.mkdir(parents=True)
    try:
        with (atomic_open(out) as stream,
              zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive):
            for n, record in enumerate(records, start=1):
                path = scratch / f"{Path(record.folder).name}.pdf"
                bundle_one(record, path, duplex=duplex)
                archive.write(path, path.name)
                path.unlink()
                if progress:
                    progress(n, len(records))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def select_files(*, year: int | None = None, category: str | None = None,
                 grade: str | None = None, ids: list[int] | None = None) -> list[ArchiveFile]:
    """Case files by year, category, grade or ids, in 档号 order."""
    query = select(ArchiveFile).order_by(ArchiveFile.dang_hao)
    if year:
        query = query.where(ArchiveFile.year == year)
    if category:
        query = query.where(ArchiveFile.category == category)
    if grade:
        query = query.where(ArchiveFile.grade == grade)
    if ids is not None:
        query = query.where(ArchiveFile.id.in_(ids))
    return list(db.session.scalars(query))


def request_bundles(file_ids: list[int], *, output: str, duplex: bool,
                    by: Any = None) -> BundleRequest:
    """Queue a batch of bundles; the archivist's page follows its progress. Commits."""
    if output not in ("pdf", "zip"):
        raise ArchiveError(f"unknown output {output!r}")
    request = BundleRequest(file_ids=list(file_ids), total=len(file_ids),
                            options={"output": output, "duplex": duplex},
                            requested_by_id=getattr(by, "id", None))
    db.session.add(request)
    db.session.commit()
    run_bundle_request(request.id)
    return request


@huey.task()
def run_bundle_request(request_id: int) -> None:
    """The queue task behind :func:`request_bundles`, saving progress as it goes."""
    with app_context():
        request = db.session.get(BundleRequest, request_id)
        if request is None:
            return
        request.state = "running"
        db.session.commit()
        output = request.options.get("output", "pdf")
        out = work_root() / "bundles" / f"bundle-{request.id}.{output}"

        def progress(done: int, total: int) -> None:
            request.done, request.total = done, total
            db.session.commit()

        try:
            records = select_files(ids=request.file_ids)
            bundle_many(records, out, output=output,
                        duplex=bool(request.options.get("duplex")), progress=progress)
        except Exception as exc:  # noqa: BLE001 - any failure is shown to the archivist
            db.session.rollback()
            request.state, request.error = "failed", str(exc)[:2000]
        else:
            request.state, request.path = "ready", str(out.relative_to(work_root()))
        db.session.commit()


@huey.task()
def archive_case_task(case_id: int) -> None:
    """File a closed case from the queue (when its copies were ready before it closed)."""
    with app_context():
        case = db.session.get(Case, case_id)
        if case is not None and not case.is_open and archived(case) is None:
            archive_case(case)
