"""`flask --app service forms ...`: an annex's JSON Schema, a filled example, a rendering."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from flask import current_app, render_template
from flask.cli import AppGroup

from ..annexes import ANNEXES, get_annex
from ..annexes.examples import example
from ..annexes.schema import json_schema
from ..annexes.validate import clean

forms = AppGroup("forms", help="The annex forms: schema, example, render.")

ANNEX_CHOICE = click.Choice(sorted(ANNEXES), case_sensitive=False)


def _print_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


@forms.command("schema")
@click.argument("annex", type=ANNEX_CHOICE)
def schema_command(annex: str) -> None:
    """Print the JSON Schema of ANNEX (B, C or D)."""
    _print_json(json_schema(get_annex(annex)))


@forms.command("example")
@click.argument("annex", type=ANNEX_CHOICE)
def example_command(annex: str) -> None:
    """Print a complete, valid filled ANNEX as JSON."""
    _print_json(example(annex))


def _load_data(annex_code: str, data_file: Path | None) -> dict[str, Any]:
    """The checked data of --data (exit 2 with every problem listed), or {} for a blank form."""
    if data_file is None:
        return {}
    try:
        data = json.loads(data_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.UsageError(f"{data_file}: not a readable JSON file ({exc})") from exc
    if isinstance(data, dict) and "data" in data and "annex" in data:
        data = data["data"]
    cleaned, problems = clean(get_annex(annex_code), data, submit=False)
    if problems:
        from ..i18n import problem_message

        for p in problems:
            click.echo(f"{p.key or '-'}: {problem_message(p)}", err=True)
        sys.exit(2)
    return cleaned


def _existing_case(number: str) -> str:
    """The number of an existing case (exit 2 when there is none)."""
    from sqlalchemy import select

    from ..cases.models import Case
    from ..db import db

    found = db.session.scalar(select(Case.number).where(Case.number == number.strip()))
    if found is None:
        raise click.BadParameter(f"no case numbered {number!r}", param_hint="--case")
    return found


def render_html(annex_code: str, data: dict[str, Any]) -> str:
    """A standalone HTML page of the form (styles inlined), blank when ``data`` is empty."""
    from ..forms.builder import form_for

    annex = get_annex(annex_code)
    css = Path(current_app.static_folder or "", "css", "app.css").read_text(encoding="utf-8")
    with current_app.test_request_context("/"):
        form = form_for(annex, data=data, meta={"csrf": False})
        return render_template("print/annex.html", annex=annex, form=form, css=css)


@forms.command("render")
@click.argument("annex", type=ANNEX_CHOICE)
@click.option("--data", "data_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A JSON file of the filled form; without it the form is blank.")
@click.option("--format", "fmt", type=click.Choice(["html", "docx", "pdf"]), default="html",
              show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--case", "case_number", metavar="NUMBER",
              help="Print the copy for this case: its number in the header and the page codes.")
def render_command(annex: str, data_file: Path | None, fmt: str, out: Path,
                   case_number: str | None) -> None:
    """Render ANNEX as HTML, Word or PDF/A into OUT (blank without --data)."""
    data = _load_data(annex, data_file)
    if case_number is not None:
        case_number = _existing_case(case_number)
    if fmt == "html":
        content = render_html(annex, data).encode("utf-8")
    else:
        from ..documents.render import DocumentMeta, render_docx

        content = render_docx(get_annex(annex), data,
                              DocumentMeta(agency=current_app.config["AGENCY_NAME"],
                                           case_number=case_number or ""))
        if fmt == "pdf":
            from ..documents.convert import to_pdf

            content = to_pdf(content)
    from ..storage import atomic_write

    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, content)
    click.echo(f"{out} ({len(content)} bytes)")


COMMANDS = [forms]
