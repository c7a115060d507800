"""`journey demo`: realistic journeys in the embedded database, then the API and pages.

Only typer is imported here; the rest loads when the demo runs, so `journey --help` stays quick.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from domain.person.vocabulary import Responsibility, Status
from domain.service.catalogue import TransferOut

if TYPE_CHECKING:
    from domain.service.application import JourneyApp
    from projections.db import ReadDb
    from projections.queries import PersonRow

DEMO_PEOPLE = 5_000
DEMO_YEARS = 10
# The generated history stops a day before the clock: well clear of the domain's rule that
# nothing may happen more than five minutes in the future.
CLEARANCE = timedelta(days=1)


def demo(
    people: Annotated[
        int, typer.Option(min=1, max=1_000_000, help="people to generate")
    ] = DEMO_PEOPLE,
    end: Annotated[
        str, typer.Option(help="when the generated history ends (ISO; default a day ago)")
    ] = "",
    port: Annotated[int, typer.Option(min=1, max=65535, help="where the API listens")] = 8000,
    serve_api: Annotated[
        bool, typer.Option("--serve/--no-serve", help="start the API when the data is ready")
    ] = True,
) -> None:
    """Create the embedded database with realistic journeys (once), then serve the API and the
    pages on localhost and print their address and a development token."""
    from ops.common import application, console, load_settings, read_models

    last = history_end(end)
    console.print(f"database: {load_settings().database_url}")
    with application() as journeys:
        if not journeys.recorder.max_notification_id():
            load_demo(journeys, people, last)
        else:
            console.print("demo data already present: reusing it")
        with read_models(journeys) as db:
            catch_up(journeys, db)
            shown = examples(journeys, db)
    if serve_api:
        serve_demo(port, shown)


def history_end(end: str) -> datetime:
    """The moment the generated history ends; refused, naming --end, if not safely past."""
    from ops.common import fail, parse_time

    now = datetime.now(UTC)
    last = parse_time(end, "--end") if end else now - CLEARANCE
    assert last is not None
    if last > now:
        reason = f"{last.isoformat()} is in the future: history must end before the clock"
        fail("--end", reason, 2)
    return last


def load_demo(journeys: JourneyApp, people: int, end: datetime) -> None:
    """Generate the journeys into a file and load it as one batch, as a real load would be.
    A line the journey rules refuse does not stop the demo: it is kept in the batch, counted,
    and the rest is loaded."""
    from rich.progress import Progress

    from ops.common import console
    from ops.generator import Generator
    from ops.generator import write as write_journeys
    from replay.importer import Importer, ImportOptions

    path = Path("var") / f"demo-{people}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    generator = Generator(seed=1, years=DEMO_YEARS, end=end)
    with path.open("wb") as out:
        write_journeys(out, generator.people(people), "jsonl")
    console.print(
        f"generated {people} people's journeys over {DEMO_YEARS} years to "
        f"{end.isoformat(timespec='minutes')}: {path}",
        soft_wrap=True,
    )
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("loading", total=None)

        def tick(phase: str, done: int, total: int) -> None:
            bar.update(task, description=f"{phase} people", completed=done, total=total or None)

        options = ImportOptions(
            "GENERATOR", "jsonl", "demo.loader", accept_valid=True, file_name=path.name
        )
        report = Importer(journeys, progress=tick).run(path, options)
    console.print(
        f"loaded {report.people} people, {report.entries} entries as batch {report.batch_id}",
        soft_wrap=True,
    )
    if report.rejects:
        first = report.rejects[0]
        console.print(
            f"[yellow]{report.rejected} lines refused[/yellow] (the rest are loaded); the "
            f"first, line {first.line}: {first.field}: {first.reason}. All of them: "
            f"journey batches show {report.batch_id} --rejects --purpose WHY",
            soft_wrap=True,
        )


def catch_up(journeys: JourneyApp, db: ReadDb) -> None:
    from rich.progress import Progress

    from ops.common import console
    from projections.runner import Runner

    with Progress(console=console, transient=True) as bar:
        bar.add_task("bringing the read models up to date", total=None)
        position = Runner(journeys, db).catch_up()
    console.print(f"read models caught up to position {position}")


# What a newcomer is shown: (heading, statuses, responsibility).
KINDS = (
    ("in prison now", (Status.IN.value,), None),
    ("on licence in the community", (Status.SUPERVISED.value,), Responsibility.COMMUNITY.value),
    ("in transit between prisons", (Status.TRANSIT.value,), None),
)


def examples(journeys: JourneyApp, db: ReadDb) -> list[tuple[str, str]]:
    """A person in prison, one on licence and one in transit, shown as where-is answers;
    returns (heading, NOMS) for each found."""
    from ops.common import console
    from ops.views import show_state
    from projections.queries import first_with_status

    shown: list[tuple[str, str]] = []
    for heading, statuses, responsibility in KINDS:
        row = first_with_status(db, statuses, responsibility)
        if row is None and statuses == (Status.TRANSIT.value,):
            row = start_a_transfer(journeys, db)
        if row is None or row.noms is None:
            console.print(f"\n(no one is {heading} in this data)")
            continue
        state = journeys.state(row.noms)
        if state is None:
            continue
        console.print(f"\n[bold]{heading}[/bold]: journey whereis {row.noms}")
        show_state(state)
        shown.append((heading, row.noms))
    return shown


def start_a_transfer(journeys: JourneyApp, db: ReadDb) -> PersonRow | None:
    """Transfers leave and arrive within hours, so a generated history rarely ends with one
    under way: the demo records one now, as prison staff would, so the range is complete."""
    from domain.provenance import Provenance
    from ops.common import console
    from projections.queries import first_with_status

    leaving = first_with_status(db, (Status.IN.value,), skip=1)  # not the person shown in prison
    if leaving is None or leaving.noms is None or leaving.prison is None:
        return None
    state = journeys.state(leaving.noms)
    to = destination(leaving.prison, state.sex if state else None)
    journeys.handle(
        leaving.noms,
        [TransferOut(from_prison=leaving.prison, to_prison=to)],
        Provenance(
            recorded_by="demo.user",
            source="DEMO",
            occurred_at=datetime.now(UTC),
            reason="a transfer under way, recorded by the demo",
        ),
    )
    catch_up(journeys, db)
    console.print(
        f"\nrecorded now, as staff would: {leaving.noms} leaves {leaving.prison} for {to}"
    )
    return first_with_status(db, (Status.TRANSIT.value,))


def destination(prison: str, sex: str | None) -> str:
    """Another open prison of the same estate."""
    from domain import reference

    estate = [
        p.code
        for p in reference.prisons()
        if p.active and p.code != prison and (p.female if sex == "F" else p.male)
    ]
    return sorted(estate)[0]


def serve_demo(port: int, shown: list[tuple[str, str]]) -> None:
    from api.auth import Role, issue_dev_token
    from ops.api_cli import serve
    from ops.api_cli import settings as api_settings
    from ops.common import console

    token = issue_dev_token(api_settings(), user="demo.user", roles=[Role.PRISON])
    address = f"http://127.0.0.1:{port}"
    console.print(
        f"\nThe API is at {address} (its interactive documentation, {address}/docs, opens "
        "once signed in to the pages or with the token)",
        soft_wrap=True,
    )
    console.print(
        f"The pages are at {address}/ui/sign-in (development: pick a role and user)",
        soft_wrap=True,
    )
    console.print("A development token (prison staff, 8 hours):")
    console.print(f"TOKEN={token}\n", soft_wrap=True, highlight=False)
    for heading, noms in shown:
        console.print(f"# {heading}", highlight=False)
        console.print(
            f'try: curl -H "Authorization: Bearer $TOKEN" -H "X-Purpose: demo" '
            f"{address}/people/{noms}",
            soft_wrap=True,
            highlight=False,
        )
    serve(host="127.0.0.1", port=port, workers=1)
