"""Wiring shared by the command-line entry points: settings, the application, read models,
and the two ways a command answers (a table for people, one JSON document for scripts).

Only light modules are imported here: each command imports the layers it uses when it runs,
so `journey --help` and a where-is lookup do not pay for the HTTP stack."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console

if TYPE_CHECKING:
    from rich.table import Table

    from domain.service.application import JourneyApp
    from domain.service.settings import Settings
    from projections.db import ReadDb

console = Console()
# Errors and progress go to stderr, so stdout holds only the answer (one JSON document with --json).
errors = Console(stderr=True, soft_wrap=True, highlight=False)

JsonOption = Annotated[bool, typer.Option("--json", help="print one JSON document to stdout")]


def fail(field: str, reason: str, code: int = 1) -> NoReturn:
    """One line on stderr naming what is wrong, then exit with `code`."""
    errors.print(f"[red]{field}[/red]: {reason}")
    raise typer.Exit(code)


def load_settings() -> Settings:
    from domain.errors import DomainError
    from domain.service.settings import Settings

    try:
        return Settings.from_env(os.environ)
    except DomainError as exc:
        fail(exc.field, f"configuration error: {exc.reason}", 2)


@contextmanager
def application() -> Iterator[JourneyApp]:
    """The journey application; refusals are reported with their field and reason."""
    from domain.errors import DomainError
    from domain.service.application import JourneyApp

    journeys = JourneyApp(load_settings())
    try:
        yield journeys
    except DomainError as exc:
        fail(exc.field, f"refused: {exc.reason}")
    finally:
        journeys.close()


@contextmanager
def read_models(app: JourneyApp) -> Iterator[ReadDb]:
    """The read-model database beside the application's event store."""
    from projections.db import open_read_db

    if app.settings.database.kind == "memory":
        fail("JOURNEY_DATABASE_URL", "read models need SQLite or PostgreSQL", 2)
    db = open_read_db(app.settings.database)
    try:
        yield db
    finally:
        db.close()


def parse_time(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(name, f"expected an ISO date or date-time, got {value!r}", 2)
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment


def table(
    *columns: str, wrap: tuple[str, ...] = (), title: str | None = None, header: bool = True
) -> Table:
    """A table whose columns never wrap or cut a value (ids, times, counts), except the free-text
    columns named in `wrap`, which wrap between words."""
    from rich.table import Table

    made = Table(title=title, show_header=header)
    for name in columns:
        made.add_column(name, no_wrap=name not in wrap, overflow="fold")
    return made


def print_refusals(groups: list[dict[str, Any]]) -> None:
    """Refused lines at a glance: how many of each kind, the field, and the first line."""
    if not groups:
        return
    shown = table("lines", "field", "kind of refusal", "first line", wrap=("kind of refusal",))
    for g in groups:
        shown.add_row(str(g["count"]), g["field"], g["kind"], str(g["first_line"]))
    shown.title = "refused, by kind"
    print_table(shown)


def print_table(made: Table) -> None:
    """Print a table at the terminal's width, or wider when that is what keeps every value whole
    (a narrow terminal or a pipe then wraps the lines, never the values)."""
    width = console.width
    console.width = max(width, _whole_width(made))
    try:
        console.print(made)
    finally:
        console.width = width


def _whole_width(made: Table) -> int:
    """The narrowest width at which no value is cut: columns that must not wrap at their widest,
    the others at their longest word, plus the table's padding and borders."""
    from rich.measure import Measurement

    wide = console.options.update_width(100_000)
    widest, needed = 0, 0
    for column in made.columns:
        cells = [column.header, *column.cells] if made.show_header else [*column.cells]
        sizes = [Measurement.get(console, wide, cell) for cell in cells] or [Measurement(0, 0)]
        widest += max(size.maximum for size in sizes)
        needed += max(size.maximum if column.no_wrap else size.minimum for size in sizes)
    padding_and_borders = Measurement.get(console, wide, made).maximum - widest
    return needed + padding_and_borders


def print_outcome(headline: str, note: str | None) -> None:
    """A report's first line, never cut (it names the batch), then its note when it has one."""
    console.print(headline, soft_wrap=True)
    if note:
        console.print(note)


def print_json(document: Any) -> None:
    """Exactly one JSON document on stdout: dates and times in ISO 8601, enums as their values."""
    import orjson

    sys.stdout.flush()
    text = orjson.dumps(document, default=_plain, option=orjson.OPT_INDENT_2)
    sys.stdout.buffer.write(text + b"\n")
    sys.stdout.flush()


def _plain(value: object) -> object:
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    return str(value)
