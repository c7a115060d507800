"""The `journey` command line."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from ops import api_cli
from ops.common import application, console, parse_time
from ops.demo_cli import demo
from ops.projections_cli import cli as projections_cli
from ops.replay_cli import batches_cli, generate, import_file, merge, time_diff, unmerge
from ops.store_cli import backup, restore
from ops.store_cli import cli as store_cli
from ops.views import show_state

app = typer.Typer(
    help="Offender journey tracker: where a person is, who holds the case.",
    no_args_is_help=True,
)
app.add_typer(projections_cli, name="projections")
app.add_typer(batches_cli, name="batches")
app.add_typer(store_cli, name="store")
app.command()(backup)
app.command()(restore)
app.command("import")(import_file)
app.command("diff")(time_diff)
app.command()(merge)
app.command()(generate)
app.command()(unmerge)
app.command()(api_cli.serve)
app.command()(api_cli.token)
app.command()(api_cli.roles)
app.command()(demo)


@app.command()
def whereis(
    ref: Annotated[str, typer.Argument(help="NOMS, CRN, PNC, CRO or person id")],
    at: Annotated[str | None, typer.Option("--at", help="effective time")] = None,
    as_known_at: Annotated[str | None, typer.Option(help="what the system knew then")] = None,
) -> None:
    """Where a person is (or was), who holds the case, and their key dates."""
    with application() as journeys:
        state = journeys.state(
            ref, as_of=parse_time(at, "--at"), as_known_at=parse_time(as_known_at, "--as-known-at")
        )
        if state is None:
            console.print("the person was not yet known at that moment")
            raise typer.Exit(1)
        show_state(state)


@app.command()
def timeline(ref: Annotated[str, typer.Argument(help="NOMS, CRN, PNC, CRO or person id")]) -> None:
    """Every entry of a person's history with its provenance and void marks."""
    with application() as journeys:
        table = Table("entry", "kind", "occurred", "recorded", "by", "source", "batch", "voided")
        for row in journeys.timeline(ref):
            voided = f"{row.voided.reason} ({row.voided.voided_by})" if row.voided else ""
            table.add_row(
                str(row.entry),
                row.kind,
                row.occurred_at.isoformat(timespec="minutes"),
                row.recorded_at.isoformat(timespec="seconds"),
                row.recorded_by,
                row.source,
                row.batch_id or "",
                voided,
            )
        console.print(table)


if __name__ == "__main__":
    app()
