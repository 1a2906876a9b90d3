"""`flask --app service documents ...`: official copies of many forms at once."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from ..documents.batch import FORMATS, BatchResult, run_batch
from ..documents.convert import OfficePool, default_size
from ..documents.render import DocumentMeta

documents = AppGroup("documents", help="Official Word and PDF/A copies of forms.")


@documents.command("batch")
@click.argument("in_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--workers", type=click.IntRange(1, 16), default=None,
              help="LibreOffice processes to convert with (default: one per core).")
@click.option("--format", "formats", type=click.Choice(FORMATS), multiple=True,
              default=FORMATS, show_default=True, help="Which copies to write.")
def batch_command(in_dir: Path, out_dir: Path, workers: int | None,
                  formats: tuple[str, ...]) -> None:
    """Render every IN_DIR/*.json ({"annex": "B", "data": {...}}) to OUT_DIR/<name>.docx and
    OUT_DIR/<name>.pdf. A bad input file is reported and skipped; the rest go on."""
    paths = sorted(in_dir.glob("*.json"))
    if not paths:
        raise click.ClickException(f"no *.json files in {in_dir}")
    meta = DocumentMeta(agency=current_app.config.get("AGENCY_NAME", ""))
    start = time.perf_counter()
    failed: list[BatchResult] = []
    done = 0
    size = workers or default_size()
    pool = OfficePool(size) if "pdf" in formats else None
    try:
        progress: Any = click.progressbar(length=len(paths), label="Rendering", show_pos=True,
                                          item_show_func=lambda r: r.name if r else None)
        with progress as bar:
            for result in run_batch(paths, out_dir, pool=pool, formats=formats,
                                    default_meta=meta, workers=size):
                if result.ok:
                    done += 1
                else:
                    failed.append(result)
                bar.update(1, result)
    finally:
        if pool is not None:
            pool.close()
    for result in sorted(failed, key=lambda r: r.name):
        click.echo(f"skipped {result.name}: {result.error}", err=True)
    elapsed = time.perf_counter() - start
    per_form = elapsed / len(paths) * 1000
    click.echo(f"{done} of {len(paths)} forms written to {out_dir} "
               f"({', '.join(formats)}), {len(failed)} skipped, in {elapsed:.1f} s "
               f"({per_form:.0f} ms a form)")
    if failed:
        raise SystemExit(1)


COMMANDS = [documents]
