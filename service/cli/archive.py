"""`flask --app service archive ...`: verify, export, bundle, file and regrade case files."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup

archive = AppGroup("archive", help="The archive tree: verify, export, bundle.")


@archive.command("verify")
@click.option("--workers", type=int, default=None, help="Hashing threads.")
def verify_command(workers: int | None) -> None:
    """Re-hash the whole archive; report missing, changed and unexpected files by path and
    any disagreement with the records. Exits 1 when anything is wrong."""
    from ..jobs.archive.lookup import verify_archive

    report = verify_archive(workers=workers)
    for line in report.lines():
        click.echo(line)
    click.echo(f"{report.files} files, {report.bytes} bytes checked: "
               f"{'OK' if report.ok else 'PROBLEMS FOUND'}", err=not report.ok)
    if not report.ok:
        sys.exit(1)


def _selection(names: tuple[str, ...], year: int | None, category: str | None,
               grade: str | None) -> list:
    from ..jobs.archive.lookup import find_file, select_files
    from ..jobs.archive.settings import ArchiveError

    try:
        if names:
            return [find_file(n) for n in names]
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc
    if not (year or category or grade):
        raise click.UsageError("name case files (档号 or folder) or select --year/--category/"
                               "--grade")
    records = select_files(year=year, category=category, grade=grade)
    if not records:
        raise click.ClickException("no case file matches the selection")
    return records


_select = [
    click.argument("names", nargs=-1),
    click.option("--year", type=int, help="Cases closed in this year."),
    click.option("--category", help="类别, as the policy names it."),
    click.option("--grade", help="等级, as the policy names it."),
]


def selection_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options that pick case files, shared by bundle and export."""
    for option in reversed(_select):
        command = option(command)
    return command


@archive.command("bundle")
@selection_options
@click.option("--out", "out", required=True, type=click.Path(path_type=Path),
              help="FILE.pdf (one print file) or FILE.zip (one bundle per case).")
@click.option("--duplex", is_flag=True, help="Start every document on an odd page.")
def bundle_command(names: tuple[str, ...], year: int | None, category: str | None,
                   grade: str | None, out: Path, duplex: bool) -> None:
    """Bind case files for printing: cover, contents, documents, note, page numbers."""
    from ..jobs.archive.bundles import bundle_many
    from ..jobs.archive.settings import ArchiveError

    records = _selection(names, year, category, grade)
    output = "zip" if out.suffix.lower() == ".zip" else "pdf"
    try:
        with click.progressbar(length=len(records), label="bundling", file=sys.stderr) as bar:
            def progress(done: int, total: int) -> None:
                bar.update(done - bar.pos)
            bundle_many(records, out, output=output, duplex=duplex, progress=progress)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{out}: {len(records)} case file(s)")


@archive.command("export")
@selection_options
@click.option("--bag", "bag", required=True, type=click.Path(path_type=Path),
              help="The bag folder to write (must not exist).")
def export_command(names: tuple[str, ...], year: int | None, category: str | None,
                   grade: str | None, bag: Path) -> None:
    """Write a BagIt bag (SHA-256) of case files, with their file list, for transfer.
    With no selection, every case file."""
    from flask import current_app

    from ..archive.export import ExportError, export_bag
    from ..jobs.archive.lookup import select_files
    from ..jobs.archive.settings import archive_root

    records = (_selection(names, year, category, grade) if names or year or category or grade
               else select_files())
    if not records:
        raise click.ClickException("the archive is empty")
    info = {"Source-Organization": current_app.config.get("AGENCY_NAME", ""),
            "External-Description": f"{len(records)} case files"}
    try:
        export_bag(archive_root(), [Path(r.folder) for r in records], bag, info=info)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{bag}: {len(records)} case file(s)")


@archive.command("file")
@click.argument("case_number")
def file_command(case_number: str) -> None:
    """File (归档) a closed case whose copies are ready, by its case number."""
    from sqlalchemy import select

    from ..cases.models import Case
    from ..db import db
    from ..jobs.archive.filing import archive_case
    from ..jobs.archive.settings import ArchiveError

    case = db.session.scalar(select(Case).where(Case.number == case_number))
    if case is None:
        raise click.ClickException(f"no case {case_number}")
    try:
        record = archive_case(case)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{record.dang_hao}: {record.folder}")


@archive.command("regrade")
@click.argument("name")
@click.option("--reason", required=True, help="Why the case changed category or grade.")
@click.option("--by", "username", default="", help="Who decided (a username).")
def regrade_command(name: str, reason: str, username: str) -> None:
    """Move a case file whose category or grade changed; the move is recorded."""
    from sqlalchemy import select

    from ..auth.models import User
    from ..db import db
    from ..jobs.archive.lookup import find_file
    from ..jobs.archive.regrading import regrade
    from ..jobs.archive.settings import ArchiveError

    user = db.session.scalar(select(User).where(User.username == username)) if username else None
    try:
        record = find_file(name)
        move = regrade(record.case, by=user, reason=reason)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{record.dang_hao}: moved to {move.to_folder}" if move else
               f"{record.dang_hao}: placement unchanged")


COMMANDS = [archive]
