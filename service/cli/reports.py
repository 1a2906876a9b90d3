"""`flask --app service reports …`: the summary of a period as JSON or a workbook, and the
rebuilding of the facts the figures count."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from ..auth.models import User
from ..db import db
from ..reports.document import render_report
from ..reports.figures import Scope
from ..reports.period import PeriodError, between
from ..reports.summary import summary
from ..reports.workbook import workbook_bytes
from ..storage import atomic_write

reports = AppGroup("reports", help="Figures of 7.1.5 and 8.2: summaries and workbooks.")


@reports.command("summary")
@click.option("--from", "start", required=True, help="First day, YYYY-MM-DD.")
@click.option("--to", "end", required=True, help="Last day, YYYY-MM-DD.")
@click.option("--format", "fmt", type=click.Choice(["json", "xlsx", "docx", "pdf"]),
              default="json", help="docx and pdf: the public service report (8.2).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh",
              help="The report's language (docx, pdf).")
@click.option("--worker", default=None, help="Only this worker's cases (user name).")
@click.option("--place", default=None, help="Only cases of this 问题属地 (district).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write here (default: JSON to standard output).")
def summary_command(start: str, end: str, fmt: str, lang: str, worker: str | None,
                    place: str | None, out: Path | None) -> None:
    """Every figure of the period, for the whole agency or one worker or place."""
    try:
        period = between(start, end)
    except PeriodError as e:
        raise click.BadParameter(str(e)) from e
    worker_id = None
    if worker:
        worker_id = db.session.scalar(select(User.id).where(User.username == worker))
        if worker_id is None:
            raise click.BadParameter(f"no user named {worker!r}", param_hint="--worker")
    scope = Scope(period, worker_id=worker_id, district=place)
    data = summary(scope)
    if fmt in ("xlsx", "docx", "pdf"):
        if out is None:
            raise click.UsageError(f"--format {fmt} needs --out FILE.{fmt}")
        if fmt == "xlsx":
            content = workbook_bytes(data, scope)
        else:
            content = render_report(data, lang=lang,
                                    agency=current_app.config.get("AGENCY_NAME", ""))
            if fmt == "pdf":
                from ..documents.convert import to_pdf

                content = to_pdf(content)
        atomic_write(out, content)
        click.echo(f"wrote {out}")
        return
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if out is None:
        click.echo(text)
    else:
        atomic_write(out, text.encode())
        click.echo(f"wrote {out}")


@reports.command("refresh")
def refresh_command() -> None:
    """Copy the figures' facts again from every case's stored forms (after an upgrade that
    finds forms stored before the figures existed). Safe to run again."""
    from ..cases.evaluation import refresh_facts
    from ..cases.models import Case

    ids = db.session.scalars(select(Case.id).order_by(Case.id)).all()
    for n, case_id in enumerate(ids, start=1):
        case = db.session.get(Case, case_id)
        if case is not None:
            refresh_facts(case)
        if n % 500 == 0:
            db.session.commit()
            db.session.expunge_all()
    db.session.commit()
    click.echo(f"facts refreshed for {len(ids)} cases")


COMMANDS = [reports]
