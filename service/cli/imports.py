"""`flask --app service import PATH... [--dry-run] [--report FILE.json]`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..jobs.imports.model import STATUSES, Options
from ..jobs.imports.pipeline import run_import
from ..storage import atomic_open


def _write_report(report, target: Path) -> None:  # noqa: ANN001 - a jobs.imports.model.Report
    """Write the report whole or not at all, entry by entry."""
    with atomic_open(target, "w", encoding="utf-8") as stream:
        report.write(stream)


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Read and report; write nothing anywhere.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the JSON report to this file.")
@with_appcontext
def import_command(paths: tuple[Path, ...], dry_run: bool, report_path: Path | None) -> None:
    """Import legacy Annex B, C and D forms: files, folders and ZIPs.

    Word (.docx, .doc, .odt), fillable PDF, CSV and XLSX registers are read into their forms;
    scans, and forms with a value read unsure, wait for a person's review. Exit status 1 when
    any file is an error.
    """
    with click.progressbar(length=1, label="Importing", file=sys.stderr) as bar:
        seen = [0]

        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - seen[0])
            seen[0] = done

        report = run_import(list(paths), Options(dry_run=dry_run, progress=progress))
    try:
        for entry in report.entries():
            if entry["status"] == "error":
                click.echo(f"error: {entry['file']}: {'; '.join(entry['errors'])}", err=True)
        if report_path is not None:
            _write_report(report, report_path)
        summary = ", ".join(f"{report.counts[s]} {s}" for s in STATUSES if report.counts[s])
        click.echo(f"{'Dry run: ' if dry_run else ''}{summary or 'no files'}")
        for g in report.groups.values():
            if len(g["files"]) > 1:
                click.echo(f"  {g['group']}: {len(g['files'])} forms")
    finally:
        report.close()
    if not report.ok:
        sys.exit(1)


COMMANDS = [import_command]
