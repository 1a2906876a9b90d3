"""Filing into the archive: a closed case as a whole new case folder, and each later version
of an archived case beside the old files (which stay, superseded), with fresh bundle pages."""

from __future__ import annotations

import shutil
import uuid
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ...annexes.validate import N_
from ...archive import bundle as binder
from ...archive.filing import (
    Item,
    Manifest,
    add_item,
    file_bytes,
    read_manifest,
    write_manifest,
)
from ...archive.policy import Placement
from ...cases.archival import ArchiveCounter, ArchiveFile, ArchiveItem, ServiceReport
from ...cases.evaluation import SatisfactionSurvey
from ...cases.models import Case, FormRecord, FormVersion, Original
from ...db import db, take_turns
from ...documents.convert import pdf_pages
from ...evaluation import survey
from .facts import (
    author_of,
    facts_of,
    form_title,
    item_date,
    ordered_forms,
    ready_copies,
    ready_survey_copies,
    survey_title,
    unfiled_surveys,
)
from .lookup import archived
from .settings import ArchiveError, archive_root, policy, work_root

_STAGING = ".staging"


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
        file_surveys(record)
        db.session.commit()
    elif not case.is_open and all(ready_copies(f.current) for f in ordered_forms(case)):
        archive_case(case)


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
        raise ArchiveError(N_("Case %(number)s is still open."), number=case.number)
    # the copies' jobs, the periodic retry and the demo seeder may file one case at once:
    # the later one waits for the first and finds its file
    take_turns(f"archive-case:{case.id}", ArchiveFile.__table__)
    if (existing := archived(case)) is not None:
        return existing
    forms = ordered_forms(case)
    missing = [f"{f.annex}{f.seq}" for f in forms if not ready_copies(f.current)]
    if missing:
        raise ArchiveError(N_("Case %(number)s: the copies of %(forms)s are not ready."),
                           number=case.number, forms=", ".join(missing))
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
                        placement=placement_dict(placement))
    try:
        for number, form in enumerate(forms, start=1):
            assert form.current is not None  # ordered_forms holds submitted forms only
            _file_form(record, manifest, stage, form, form.current, number, first=True)
        for number, entry in enumerate(unfiled_surveys(case, record), start=len(forms) + 1):
            _file_survey(record, manifest, stage, entry, number)
        file_pages(record, manifest, stage)
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


def placement_dict(placement: Placement) -> dict[str, Any]:
    """A placement as the manifest keeps it."""
    return {"fonds": placement.fonds, "year": placement.year, "retention": placement.retention,
            "category": placement.category, "grade": placement.grade}


def _file_form(record: ArchiveFile, manifest: Manifest, folder: Path, form: FormRecord,
               version: FormVersion, item_no: int, *, first: bool = False) -> None:
    """File a version's copies (PDF, Word) and any imported original as 件 ``item_no``.

    The first filing of a case names its files without a version (the signed version is
    usually the second: the worker's submission, then the sign-off); later versions filed
    beside them carry theirs."""
    named = 1 if first else version.number
    docs = ready_copies(version) or {}
    rules = policy()
    base = Item(file="", item_no=item_no, title=form_title(form, short=False),
                date=item_date(version), annex=form.annex, version_id=version.id,
                version=version.number, author=author_of(form.case, version))
    short = form_title(form, short=True)
    sources: list[tuple[Item, Path]] = []
    for fmt in ("pdf", "docx"):
        if fmt in docs:
            name = rules.item_name(record.dang_hao, item_no, short, fmt, named)
            sources.append((replace(base, file=name, format=fmt, pages=docs[fmt].pages),
                            work_root() / docs[fmt].path))
    originals = db.session.scalars(select(Original).where(Original.version_id == version.id))
    for original in originals:
        suffix = Path(original.filename).suffix.lstrip(".").lower() or "bin"
        name = rules.item_name(record.dang_hao, item_no, f"{short}-原件", suffix, named)
        sources.append((replace(base, file=name, format=suffix, role="original"),
                        work_root() / original.path))
    for item, source in sources:
        data = source.read_bytes()
        if item.format == "pdf" and not item.pages:
            item = replace(item, pages=pdf_pages(data))
        _record_item(record, manifest, file_bytes(folder, item, data), form.id)


def _file_survey(record: ArchiveFile, manifest: Manifest, folder: Path,
                 entry: SatisfactionSurvey, item_no: int) -> None:
    """File a survey's copies (PDF, Word) as 件 ``item_no``: a 件 of the case file as each
    annex form is, titled from the survey's declaration and dated the day it was filled."""
    docs = ready_survey_copies(entry) or {}
    rules = policy()
    case = db.session.get(Case, entry.case_id)
    base = Item(file="", item_no=item_no, title=survey_title(entry, short=False),
                date=entry.filled_on.isoformat(), annex=survey.CODE,
                author=case.worker.name if case is not None and case.worker else "")
    short = survey_title(entry, short=True)
    for fmt in ("pdf", "docx"):
        if fmt not in docs:
            continue
        name = rules.item_name(record.dang_hao, item_no, short, fmt)
        data = (work_root() / docs[fmt].path).read_bytes()
        item = replace(base, file=name, format=fmt,
                       pages=docs[fmt].pages or (pdf_pages(data) if fmt == "pdf" else 0))
        _record_item(record, manifest, file_bytes(folder, item, data), None,
                     survey_id=entry.id)


def file_surveys(record: ArchiveFile) -> int:
    """File every survey of an archived case whose copies are ready and that is not filed yet
    (one answered after closing, at a follow-up, or whose copies were made after the case
    was filed): each becomes the next 件, with fresh bundle pages. The caller commits;
    returns how many were filed."""
    case = db.session.get(Case, record.case_id)
    if case is None:
        return 0
    take_turns(f"archive-case:{case.id}", ArchiveFile.__table__)
    entries = unfiled_surveys(case, record)
    if not entries:
        return 0
    folder = archive_root() / record.folder
    manifest = read_manifest(folder)
    for entry in entries:
        _file_survey(record, manifest, folder, entry, manifest.next_item_no())
    file_pages(record, manifest, folder)
    write_manifest(folder, manifest)
    return len(entries)


def on_survey_ready(survey_id: int) -> None:
    """Called when a survey's copies are ready: files it with its case when the case is in
    the archive, or files the case (surveys included) when it is closed and all its copies
    are ready. Commits what it files."""
    entry = db.session.get(SatisfactionSurvey, survey_id)
    if entry is None:
        return
    case = db.session.get(Case, entry.case_id)
    if case is None:
        return
    record = archived(case)
    if record is None:
        if case.is_open or not all(ready_copies(f.current) for f in ordered_forms(case)):
            return
        record = archive_case(case)
    if file_surveys(record):
        db.session.commit()


def _record_item(record: ArchiveFile, manifest: Manifest, item: Item,
                 form_id: int | None, *, survey_id: int | None = None) -> None:
    add_item(manifest, item)
    for old in record.items:
        if (not old.superseded and old.item_no == item.item_no and old.role == item.role
                and old.format == item.format and old.filename != item.file):
            old.superseded = True
    record.items.append(ArchiveItem(
        item_no=item.item_no, role=item.role, format=item.format, annex=item.annex,
        form_id=form_id, version_id=item.version_id, survey_id=survey_id, version=item.version,
        filename=item.file, title=item.title, item_date=item.date, author=item.author,
        sha256=item.sha256, size=item.size, pages=item.pages))


def file_pages(record: ArchiveFile, manifest: Manifest, folder: Path) -> None:
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
                    version=version, pages=pdf_pages(data), author=rules.fonds_name)
        _record_item(record, manifest, file_bytes(folder, item, data), None)
    record.pages = sum(i.pages for i in manifest.current() if i.format == "pdf")


def file_version(record: ArchiveFile, version: FormVersion) -> None:
    """File a version made after archiving: new files beside the old (now superseded) ones,
    and fresh bundle pages. The caller commits."""
    if any(i.version_id == version.id for i in record.items):
        return
    if not ready_copies(version):
        raise ArchiveError(N_("The copies of version %(id)s are not ready."), id=version.id)
    folder = archive_root() / record.folder
    manifest = read_manifest(folder)
    earlier = [i for i in record.items if i.form_id == version.form_id and i.role == "document"]
    item_no = earlier[0].item_no if earlier else manifest.next_item_no()
    _file_form(record, manifest, folder, version.form, version, item_no)
    file_pages(record, manifest, folder)
    write_manifest(folder, manifest)


# --- the agency's service reports ---------------------------------------------------------------

def reports_file(year: int) -> tuple[ArchiveFile, bool]:
    """The service-report file (案卷) of ``year``, and whether it is new: a new one has its
    档号 and record (flushed, not committed) but no folder yet."""
    rules = policy()
    placement = rules.place_reports(year)
    take_turns(f"archive-reports:{year}", ArchiveFile.__table__)
    record = db.session.scalar(select(ArchiveFile).where(
        ArchiveFile.case_id.is_(None), ArchiveFile.year == year,
        ArchiveFile.category == placement.category))
    if record is not None:
        return record, False
    dang_hao = rules.dang_hao(placement, next_serial(rules.counter_key(placement)))
    record = ArchiveFile(case_id=None, dang_hao=dang_hao,
                         folder=str(placement.folder(dang_hao)), year=year,
                         retention=placement.retention, category=placement.category,
                         grade=placement.grade, title=rules.reports_file_title(placement))
    db.session.add(record)
    db.session.flush()
    return record, True


def report_title(report: ServiceReport) -> str:
    """A report 件's title: the report's own title (in Chinese) and its period and language."""
    from flask_babel import force_locale, gettext

    from ...reports.document import LABELS, LOCALES

    with force_locale(LOCALES["zh"]):
        title = gettext(LABELS["title"])
    language = {"zh": "中文", "en": "英文"}.get(report.lang, report.lang)
    return (f"{title}（{report.period_start.isoformat()}至{report.period_end.isoformat()}，"
            f"{language}）")


def file_report(report: ServiceReport) -> ArchiveFile:
    """File a generated report's PDF/A and Word copies as the next 件 of its year's file (the
    year its period ends), with fresh bundle pages; an earlier report, even of the same
    period, stays as it was. Filing the same report again changes nothing. Commits; the
    first report of a year makes its folder whole in one rename, and takes it away again if
    the commit fails."""
    if report.file_id and report.item_no:
        record = db.session.get(ArchiveFile, report.file_id)
        assert record is not None
        return record
    record, new = reports_file(report.period_end.year)
    root = archive_root()
    final = root / record.folder
    folder = root / _STAGING / uuid.uuid4().hex if new else final
    if new:
        folder.mkdir(parents=True)
        manifest = Manifest(dang_hao=record.dang_hao, case_number="", title=record.title,
                            placement=placement_dict(policy().place_reports(record.year)))
    else:
        manifest = read_manifest(folder)
    try:
        _file_report_items(record, manifest, folder, report)
        write_manifest(folder, manifest)
        if new:
            final.parent.mkdir(parents=True, exist_ok=True)
            folder.rename(final)
    except BaseException:
        if new:
            shutil.rmtree(folder, ignore_errors=True)
        db.session.rollback()
        raise
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        if new:
            shutil.rmtree(final, ignore_errors=True)
        raise
    return record


def _file_report_items(record: ArchiveFile, manifest: Manifest, folder: Path,
                       report: ServiceReport) -> None:
    """The report's copies as the next 件 of ``manifest`` in ``folder``, and the bundle pages."""
    item_no = manifest.next_item_no()
    rules = policy()
    short = (f"服务报告{report.period_start.isoformat()}至{report.period_end.isoformat()}"
             f"-{report.lang}")
    base = Item(file="", item_no=item_no, title=report_title(report),
                date=report.created_at.date().isoformat(), author=rules.fonds_name)
    for fmt, path in (("pdf", report.pdf_path), ("docx", report.docx_path)):
        data = (work_root() / path).read_bytes()
        item = replace(base, file=rules.item_name(record.dang_hao, item_no, short, fmt),
                       format=fmt, pages=pdf_pages(data) if fmt == "pdf" else 0)
        _record_item(record, manifest, file_bytes(folder, item, data), None)
    dates = [report.period_start, report.period_end,
             *(d for d in (record.start_on, record.end_on) if d)]
    record.start_on, record.end_on = min(dates), max(dates)
    file_pages(record, manifest, folder)
    report.file_id, report.item_no = record.id, item_no
