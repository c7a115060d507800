"""`journey import`: load a file as one batch, with a progress bar on stderr."""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ops.common import (
    application,
    console,
    errors,
    fail,
    print_outcome,
    print_refusals,
    print_table,
    table,
)

if TYPE_CHECKING:
    from replay.importer import ImportReport

SHOWN_REJECTS = 50
IMPORT_FORMATS = "jsonl, nomis, allocations, or auto (the one the file looks like)"


# The person a command is about, and who is acting (recorded and logged under that name).
PersonRef = Annotated[str, typer.Argument(help="the person (NOMS, CRN, PNC, CRO or id)")]
ByOption = Annotated[str | None, typer.Option(help="who (default: cli:<login>)")]


def operator(by: str | None) -> str:
    return by or f"cli:{getpass.getuser()}"


@contextmanager
def progress_bar(first: str) -> Iterator[Callable[[str, int, int], None]]:
    """A transient progress bar on stderr (stdout keeps only the command's answer), and the
    callback that moves it: phase, done and total, a total of 0 meaning not known yet."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    ) as bar:
        task = bar.add_task(first, total=None)

        def tick(phase: str, done: int, total: int) -> None:
            bar.update(task, description=phase, completed=done, total=total or None)

        yield tick


def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    source: Annotated[str, typer.Option(help="the upstream system, e.g. NOMIS or DELIUS")],
    file_format: Annotated[str, typer.Option("--format", help=IMPORT_FORMATS)] = "auto",
    dry_run: Annotated[bool, typer.Option(help="check and report; record nothing")] = False,
    accept_valid: Annotated[
        bool, typer.Option(help="record the valid lines; keep the rejected ones in the batch")
    ] = False,
    by: Annotated[str | None, typer.Option(help="who is loading (default: cli:<login>)")] = None,
) -> None:
    """Load a file as one batch: all or nothing unless --accept-valid."""
    from replay.importer import Importer, ImportOptions
    from replay.sniff import CHOICES

    if file_format not in CHOICES:
        fail("--format", f"must be one of {', '.join(CHOICES)}, not {file_format!r}", 2)
    with application() as journeys, progress_bar("reading") as tick:
        report = Importer(journeys, progress=tick).run(
            file,
            ImportOptions(
                source=source.strip().upper(),
                file_format=file_format,
                recorded_by=operator(by),
                accept_valid=accept_valid,
                dry_run=dry_run,
                file_name=file.name,
            ),
        )
    show_import(report)
    if report.outcome == "refused" or (report.outcome == "dry run" and report.rejects):
        raise typer.Exit(1)


def show_import(report: ImportReport) -> None:
    colour = {"refused": "red", "partly recorded": "yellow"}.get(report.outcome, "green")
    print_outcome(
        f"batch [bold]{report.batch_id}[/bold]: [{colour}]{report.outcome}[/{colour}] "
        f"(read as {report.file_format})",
        report.note,
    )
    console.print(
        f"lines {report.lines}, entries recorded {report.entries}, already present "
        f"{report.duplicates}, people registered {report.registered}, people touched "
        f"{report.people}, lines rejected {report.rejected}"
    )
    print_refusals([g.as_dict() for g in report.refusals])
    if report.rejects:
        shown = table("line", "field", "reason", wrap=("reason",), title="rejected lines")
        for reject in report.rejects[:SHOWN_REJECTS]:
            shown.add_row(str(reject.line), reject.field, reject.reason)
        print_table(shown)
        if report.rejected > SHOWN_REJECTS:
            console.print(
                f"... and {report.rejected - SHOWN_REJECTS} more: "
                "`journey batches show ID --rejects --purpose WHY` lists them all"
            )
