"""The `journey` command line."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from domain.person.state import PersonState
from domain.service.application import JourneyApp
from ops import api_cli
from ops.common import application, console, load_settings, parse_time, read_models
from ops.projections_cli import cli as projections_cli
from ops.replay_cli import batches_cli, generate, import_file, merge, time_diff, unmerge
from projections.runner import Runner

app = typer.Typer(
    help="Offender journey tracker: where a person is, who holds the case.",
    no_args_is_help=True,
)
app.add_typer(projections_cli, name="projections")
app.add_typer(batches_cli, name="batches")
app.command("import")(import_file)
app.command("diff")(time_diff)
app.command()(merge)
app.command()(generate)
app.command()(unmerge)
app.command()(api_cli.serve)
app.command()(api_cli.token)
app.command()(api_cli.roles)


def show_state(state: PersonState) -> None:
    loc, own = state.location, state.ownership
    table = Table(show_header=False, title=state.name)
    ids = ", ".join(f"{k} {v}" for k, vs in state.identifiers.items() for v in vs)
    rows = [
        ("identifiers", ids),
        ("status", loc.status.value),
        ("where", f"{loc.agency or '-'} ({loc.agency_kind or '-'}) cell {loc.cell or '-'}"),
        ("since", loc.since.isoformat() if loc.since else "-"),
        ("responsibility", own.responsibility.value if own.responsibility else "-"),
        ("owner", state.owner or "-"),
        ("POM / COM", f"{own.pom or '-'} / {own.com or '-'}"),
        ("key dates", ", ".join(f"{k} {v}" for k, v in sorted(state.key_dates.items())) or "-"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)


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


@app.command()
def demo(
    people: Annotated[int, typer.Option(min=1, max=100_000, help="people to generate")] = 200,
) -> None:
    """Create the embedded database with sample journeys (once) and show where people are."""
    from ops.sample import noms_number, seed

    settings = load_settings()
    console.print(f"database: {settings.database_url}")
    with application() as journeys:
        if not journeys.recorder.max_notification_id():
            with Progress(console=console) as progress:
                task = progress.add_task("recording sample journeys", total=people)
                for _ in seed(journeys, people):
                    progress.advance(task)
        else:
            console.print("sample data already present: reusing it")
        with read_models(journeys) as db:
            console.print(f"read models caught up to position {Runner(journeys, db).catch_up()}")
        show_state(_first(journeys, noms_number(1000)))
        console.print(
            "try: journey whereis " + noms_number(1001) + "   journey timeline " + noms_number(1001)
        )


def _first(journeys: JourneyApp, ref: str) -> PersonState:
    state = journeys.state(ref)
    assert state is not None
    return state


if __name__ == "__main__":
    app()
