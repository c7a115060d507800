"""`journey projections ...`: run the worker, rebuild, verify and report status."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer

from ops.common import (
    JsonOption,
    application,
    console,
    errors,
    fail,
    print_json,
    print_table,
    read_models,
    table,
)

cli = typer.Typer(
    help="Read models: follow the log, rebuild, verify, status.", no_args_is_help=True
)


@cli.command()
def run(
    batch_size: Annotated[int, typer.Option(min=1, max=100_000)] = 2000,
    once: Annotated[bool, typer.Option(help="catch up, then stop")] = False,
) -> None:
    """Follow the event log and keep every read model up to date (exactly once)."""
    from projections.runner import Runner

    with application() as app, read_models(app) as db:
        runner = Runner(app, db, batch_size=batch_size)
        if once:
            console.print(f"caught up to position {runner.catch_up()}")
            return
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        console.print("following the event log; Ctrl-C to stop")
        runner.run(stop)


@cli.command()
def rebuild(
    names: Annotated[list[str] | None, typer.Argument(help="projections; all if none")] = None,
    chunk: Annotated[int, typer.Option(min=1, max=100_000, help="people per commit")] = 1000,
) -> None:
    """Build fresh tables from the start of the log while the current ones serve, then swap."""
    from rich.progress import Progress

    from projections.rebuild import rebuild as rebuild_projections
    from projections.schema import BY_NAME

    chosen = names or list(BY_NAME)
    unknown = [n for n in chosen if n not in BY_NAME]
    if unknown:
        fail(
            "names",
            f"unknown projection(s) {', '.join(unknown)}; expected {', '.join(BY_NAME)}",
            2,
        )
    with application() as app, read_models(app) as db, Progress(console=errors) as progress:
        task = progress.add_task("rebuilding", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        progress.update(task, description=f"rebuilding {', '.join(chosen)}")
        live = rebuild_projections(app, db, chosen, progress=advance, chunk=chunk)
    for name, generation in live.items():
        console.print(f"{name}: generation {generation} is live")


@cli.command()
def verify(
    examples: Annotated[int, typer.Option(min=0, max=1000)] = 10,
) -> None:
    """Recompute every read model from the log; exit 1 on any drift."""
    from projections.verify import verify as verify_projections

    with application() as app, read_models(app) as db:
        drift = verify_projections(app, db, examples)
    for name, checked in sorted(drift.checked.items()):
        console.print(f"{name}: {checked} rows checked, {drift.counts.get(name, 0)} drifted")
    for example in drift.examples:
        console.print(f"  {example}")
    if drift.total:
        console.print(f"[red]drift[/red]: {drift.total} rows differ from the event log")
        raise typer.Exit(1)
    console.print("no drift")


@cli.command()
def status(json: JsonOption = False) -> None:
    """Each projection's position, the log's head, and how far behind it is."""
    from dataclasses import asdict

    from projections.runner import Runner

    with application() as app, read_models(app) as db:
        lags = Runner(app, db).lag()
    if json:
        print_json({"projections": [asdict(lag) for lag in lags]})
        return
    shown = table("projection", "generation", "position", "head", "events behind", "seconds behind")
    for lag in lags:
        shown.add_row(
            lag.name,
            str(lag.generation),
            str(lag.position),
            str(lag.head),
            str(lag.events_behind),
            f"{lag.seconds_behind:.1f}",
        )
    print_table(shown)
