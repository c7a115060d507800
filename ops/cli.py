"""The `journey` command line.

Command modules import only typer and rich at module level; each command imports the layers it
uses when it runs. Unexpected failures print one line on stderr (`--debug` shows the traceback).
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer

from ops import api_cli
from ops.batches_cli import batches_cli
from ops.common import (
    JsonOption,
    application,
    errors,
    parse_time,
    print_json,
    print_table,
    table,
)
from ops.demo_cli import demo
from ops.erasure_cli import erase
from ops.generate_cli import generate
from ops.import_cli import import_file
from ops.people_cli import cli as people_cli
from ops.projections_cli import cli as projections_cli
from ops.replay_cli import merge, time_diff, unmerge
from ops.retention_cli import cli as retention_cli
from ops.store_cli import backup, restore
from ops.store_cli import cli as store_cli

REF_HELP = "NOMS, CRN, PNC, CRO or person id"


class JourneyTyper(typer.Typer):
    """The app, turning an unexpected exception into one line on stderr unless --debug."""

    debug = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except Exception as exc:
            if self.debug:
                raise
            field, reason = explain(exc)
            errors.print(
                f"[red]{field}[/red]: {reason} (`journey --debug ...` shows the traceback)"
            )
            sys.exit(1)


def explain(exc: BaseException) -> tuple[str, str]:
    """The setting or part an unexpected failure concerns, and a one-line reason."""
    chain: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and cause not in chain:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    for failure in chain:
        module = type(failure).__module__.split(".")[0]
        if module in {"psycopg", "psycopg_pool", "sqlite3"} or _store_failure(failure):
            where = _database_location()
            return "JOURNEY_DATABASE_URL", f"the database {where}cannot be used: {_first_line(exc)}"
    return type(exc).__name__, _first_line(exc)


def _database_location() -> str:
    """Where the configured database is, without its user or password."""
    from urllib.parse import urlsplit

    url = urlsplit(os.environ.get("JOURNEY_DATABASE_URL", ""))
    try:
        server = f"{url.hostname}:{url.port}" if url.port else url.hostname or ""
    except ValueError:  # a port that is not a number
        server = ""
    place = server + ("/" + url.path.lstrip("/") if url.path.strip("/") else "")
    return f"at {place} " if place else ""


def _store_failure(exc: BaseException) -> bool:
    persistence = sys.modules.get("eventsourcing.persistence")
    kinds = (persistence.OperationalError, persistence.InterfaceError) if persistence else ()
    return isinstance(exc, kinds)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else "no message"


app = JourneyTyper(
    help="Offender journey tracker: where a person is, who holds the case.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def options(
    debug: Annotated[
        bool, typer.Option("--debug", help="show the traceback of an unexpected failure")
    ] = False,
) -> None:
    app.debug = debug


app.add_typer(projections_cli, name="projections")
app.add_typer(batches_cli, name="batches")
app.add_typer(store_cli, name="store")
app.add_typer(people_cli, name="people")
app.add_typer(retention_cli, name="retention")
people_cli.command("erase")(erase)
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
    ref: Annotated[str, typer.Argument(help=REF_HELP)],
    at: Annotated[str | None, typer.Option("--at", help="effective time")] = None,
    as_known_at: Annotated[str | None, typer.Option(help="what the system knew then")] = None,
    json: JsonOption = False,
) -> None:
    """Where a person is (or was), who holds the case, and their key dates."""
    from ops.views import show_state, state_document

    as_of, known = parse_time(at, "--at"), parse_time(as_known_at, "--as-known-at")
    with application() as journeys:
        state = journeys.state(ref, as_of=as_of, as_known_at=known)
    if state is None:
        errors.print("the person was not yet known at that moment")
        raise typer.Exit(1)
    if json:
        print_json(state_document(state, as_of, known))
    else:
        show_state(state)


@app.command()
def timeline(ref: Annotated[str, typer.Argument(help=REF_HELP)], json: JsonOption = False) -> None:
    """Every entry of a person's history with its provenance and void marks."""
    from dataclasses import asdict

    with application() as journeys:
        rows = journeys.timeline(ref)
    if json:
        print_json({"ref": ref, "entries": [asdict(row) for row in rows]})
        return
    shown = table(
        "entry", "kind", "occurred", "recorded", "by", "source", "batch", "voided", wrap=("voided",)
    )
    for row in rows:
        voided = f"{row.voided.reason} ({row.voided.voided_by})" if row.voided else ""
        shown.add_row(
            str(row.entry),
            row.kind,
            row.occurred_at.isoformat(timespec="minutes"),
            row.recorded_at.isoformat(timespec="seconds"),
            row.recorded_by,
            row.source,
            row.batch_id or "",
            voided,
        )
    print_table(shown)


if __name__ == "__main__":
    app()
