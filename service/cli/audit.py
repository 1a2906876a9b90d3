"""`flask --app service audit verify`: check the audit trail's hash chain."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..auth.audit import verify as verify_chain

audit = AppGroup("audit", help="The audit trail.")


@audit.command("verify")
@click.option("--head", default=None,
              help="A head hash printed by an earlier run: it must still be in the chain "
                   "(catches entries removed from the end).")
def verify(head: str | None) -> None:
    """Walk the chain; exit 1 naming the first entry that was removed, edited or inserted."""
    verdict = verify_chain(expected_head=head)
    if not verdict.ok:
        click.echo(f"audit trail BROKEN: {verdict.problem}", err=True)
        click.echo(f"{verdict.count} entries intact before the break.", err=True)
        raise SystemExit(1)
    click.echo(f"audit trail intact: {verdict.count} entries; head {verdict.head}")


COMMANDS = [audit]
