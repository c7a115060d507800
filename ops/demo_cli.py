"""`journey demo`: realistic journeys in the embedded database, then the API and pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from api.auth import Role, issue_dev_token
from domain.person.state import PersonState
from domain.service.application import JourneyApp
from ops.api_cli import serve
from ops.api_cli import settings as api_settings
from ops.common import application, console, load_settings, read_models
from ops.generator import Generator, noms_for
from ops.generator import write as write_journeys
from ops.views import show_state
from projections.runner import Runner
from replay.importer import Importer, ImportOptions


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
