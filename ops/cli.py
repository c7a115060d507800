"""The `journey` command line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from api.auth import Role, issue_dev_token
from domain.person.state import PersonState
from domain.service.application import JourneyApp
from ops import api_cli
from ops.api_cli import serve
from ops.api_cli import settings as api_settings
from ops.common import application, console, load_settings, parse_time, read_models
from ops.generator import Generator, noms_for
from ops.generator import write as write_journeys
from ops.projections_cli import cli as projections_cli
from ops.replay_cli import batches_cli, generate, import_file, merge, time_diff, unmerge
from ops.store_cli import backup, restore
from ops.store_cli import cli as store_cli
from projections.runner import Runner
from replay.importer import Importer, ImportOptions

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
    people: Annotated[int, typer.Option(min=1, max=1_000_000, help="people to generate")] = 20_000,
    port: Annotated[int, typer.Option(min=1, max=65535, help="where the API listens")] = 8000,
    serve_api: Annotated[
        bool, typer.Option("--serve/--no-serve", help="start the API when the data is ready")
    ] = True,
) -> None:
    """Create the embedded database with realistic journeys (once), then serve the API on
    localhost and print its address and a development token."""
    settings = load_settings()
    console.print(f"database: {settings.database_url}")
    with application() as journeys:
        if not journeys.recorder.max_notification_id():
            load_demo(journeys, people)
        else:
            console.print("demo data already present: reusing it")
        with read_models(journeys) as db:
            with Progress(console=console, transient=True) as bar:
                bar.add_task("bringing the read models up to date", total=None)
                position = Runner(journeys, db).catch_up()
            console.print(f"read models caught up to position {position}")
        example = noms_for(0)
        show_state(_first(journeys, example))
    if not serve_api:
        return
    token = issue_dev_token(api_settings(), user="demo.user", roles=[Role.PRISON])
    address = f"http://127.0.0.1:{port}"
    console.print(f"\nThe API is at {address} (interactive documentation: {address}/docs)")
    console.print(f"The pages are at {address}/ui/sign-in (development: pick a role and user)")
    console.print("A development token (prison staff, 8 hours):")
    console.print(f"TOKEN={token}\n", soft_wrap=True, highlight=False)
    console.print(
        f'try: curl -H "Authorization: Bearer $TOKEN" -H "X-Purpose: demo" '
        f"{address}/people/{example}",
        soft_wrap=True,
        highlight=False,
    )
    serve(host="127.0.0.1", port=port, workers=1)


def load_demo(journeys: JourneyApp, people: int) -> None:
    """Generate the journeys into a file and load it as one batch, as a real load would be."""
    path = Path("var") / f"demo-{people}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    generator = Generator(seed=1, years=10, end=datetime.now(UTC) - timedelta(days=1))
    with path.open("wb") as out:
        write_journeys(out, generator.people(people), "jsonl")
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("loading", total=None)

        def tick(phase: str, done: int, total: int) -> None:
            bar.update(task, description=f"{phase} people", completed=done, total=total or None)

        options = ImportOptions("GENERATOR", "jsonl", "demo.loader", file_name=path.name)
        report = Importer(journeys, progress=tick).run(path, options)
    console.print(
        f"loaded {report.people} people, {report.entries} entries as batch {report.batch_id}"
    )


def _first(journeys: JourneyApp, ref: str) -> PersonState:
    state = journeys.state(ref)
    assert state is not None
    return state


if __name__ == "__main__":
    app()
