"""`journey import`, `journey batches ...` and `journey diff`: loads, recovery, time travel."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from api.access_log import AccessLog
from api.impact import consulted
from domain.provenance import Provenance
from ops.common import application, console, parse_time, read_models
from ops.generator import FORMATS as GENERATED
from ops.generator import Generator, noting_duplicates
from ops.generator import write as write_journeys
from ops.noise import DUPLICATE_SPACE
from replay import registry
from replay.batch import Batch
from replay.formats import FORMATS
from replay.importer import Importer, ImportOptions, ImportReport
from replay.voiding import CorrectionReport, Corrector, diff

batches_cli = typer.Typer(help="The batch registry: impact, void and reinstate.")
SHOWN_REJECTS = 50


def operator(by: str | None) -> str:
    return by or f"cli:{getpass.getuser()}"


@contextmanager
def progress_bar() -> Iterator[Progress]:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        yield bar


def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    source: Annotated[str, typer.Option(help="the upstream system, e.g. NOMIS or DELIUS")],
    file_format: Annotated[
        str, typer.Option("--format", help=f"one of {', '.join(FORMATS)}")
    ] = "jsonl",
    dry_run: Annotated[bool, typer.Option(help="check and report; record nothing")] = False,
    accept_valid: Annotated[
        bool, typer.Option(help="record the valid lines; keep the rejected ones in the batch")
    ] = False,
    by: Annotated[str | None, typer.Option(help="who is loading (default: cli:<login>)")] = None,
) -> None:
    """Load a file as one batch: all or nothing unless --accept-valid."""
    with application() as journeys, progress_bar() as bar:
        task = bar.add_task("reading", total=None)

        def tick(phase: str, done: int, total: int) -> None:
            bar.update(task, description=phase, completed=done, total=total or None)

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
    console.print(f"batch [bold]{report.batch_id}[/bold]: [{colour}]{report.outcome}[/{colour}]")
    if report.note:
        console.print(report.note)
    console.print(
        f"lines {report.lines}, entries recorded {report.entries}, already present "
        f"{report.duplicates}, people registered {report.registered}, people touched "
        f"{report.people}, lines rejected {len(report.rejects)}"
    )
    if report.rejects:
        table = Table("line", "field", "reason", title="rejected lines")
        for reject in report.rejects[:SHOWN_REJECTS]:
            table.add_row(str(reject.line), reject.field, reject.reason)
        console.print(table)
        if len(report.rejects) > SHOWN_REJECTS:
            console.print(
                f"... and {len(report.rejects) - SHOWN_REJECTS} more: "
                "`journey batches show ID --rejects` lists them all"
            )


@batches_cli.command("list")
def list_batches() -> None:
    """Every batch, oldest first."""
    with application() as journeys:
        table = Table("batch", "loaded", "by", "source", "format", "status", "people", "entries")
        for b in registry.batches(journeys):
            table.add_row(
                b.batch_id,
                b.loaded_at.isoformat(timespec="seconds"),
                b.loaded_by,
                b.source,
                b.file_format,
                b.status,
                str(b.counts.people),
                str(b.counts.entries),
            )
        console.print(table)


@batches_cli.command("show")
def show(
    batch_id: Annotated[str, typer.Argument(help="the batch id")],
    people: Annotated[bool, typer.Option(help="list every person touched")] = False,
    rejects: Annotated[bool, typer.Option(help="list every rejected line")] = False,
) -> None:
    """A batch's record and impact: people and entries, effective range, who consulted them."""
    with application() as journeys:
        batch = registry.batch(journeys, batch_id)
        show_batch(batch)
        with read_models(journeys) as db:
            AccessLog(db).ensure()
            found = consulted(db, batch.people, batch.loaded_at)
        table = Table("user", "roles", "people read", "reads", "first", "last")
        for c in found:
            table.add_row(
                c.user,
                c.roles,
                str(len(c.people)),
                str(c.reads),
                c.first.isoformat(timespec="seconds"),
                c.last.isoformat(timespec="seconds"),
            )
        table.title = f"consulted these people since the load ({len(found)} users)"
        console.print(table)
        if people:
            for person in batch.people:
                console.print(person)
        if rejects:
            for r in batch.rejects:
                console.print(f"line {r.line}: {r.field}: {r.reason}")


def show_batch(batch: Batch) -> None:
    c = batch.counts
    rows = [
        ("batch", batch.batch_id),
        ("status", batch.status),
        ("file", f"{batch.file_name} ({batch.file_format}) sha256 {batch.file_hash}"),
        ("source", batch.source),
        ("loaded", f"{batch.loaded_at.isoformat(timespec='seconds')} by {batch.loaded_by}"),
        ("lines", f"{c.lines}, rejected {c.rejected}"),
        ("people touched", f"{c.people} (registered {c.registered})"),
        ("entries", f"{c.entries} recorded, {c.duplicates} already present"),
        (
            "effective range",
            f"{_when(batch.first_occurred)} to {_when(batch.last_occurred)}",
        ),
    ]
    for k in batch.corrections:
        state = "finished " + _when(k.finished_at) if k.finished_at else "not finished"
        rows.append(
            (
                k.kind,
                f"{_when(k.started_at)} by {k.by}: {k.reason} ({state}; "
                f"{k.people} people, {k.entries} entries)",
            )
        )
    table = Table(show_header=False, title=f"batch {batch.batch_id}")
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else "-"


def _correct(
    batch_id: str, kind: str, reason: str | None, dry_run: bool, by: str | None, chunk: int
) -> None:
    with application() as journeys, progress_bar() as bar:
        task = bar.add_task(kind, total=None)

        def tick(phase: str, done: int, total: int) -> None:
            bar.update(task, description=phase, completed=done, total=total)

        corrector = Corrector(journeys, chunk=chunk, progress=tick)
        if dry_run:
            report = corrector.plan(batch_id, kind)
        else:
            if not reason:
                console.print("[red]--reason[/red]: a reason is required")
                raise typer.Exit(2)
            runner = corrector.void if kind == "void" else corrector.reinstate
            report = runner(batch_id, reason=reason, by=operator(by))
    show_correction(report)


def show_correction(report: CorrectionReport) -> None:
    verb = "would change" if report.outcome == "dry run" else "changed"
    console.print(
        f"{report.kind} of batch [bold]{report.batch_id}[/bold]: {report.outcome}; "
        f"{report.people} people, {report.entries} entries"
    )
    if report.note:
        console.print(report.note)
    if report.outcome != "dry run":
        return
    table = Table("person", "identifiers", "field", "now", "after", title=f"people it {verb}")
    for person in report.changed:
        for change in person.changes:
            table.add_row(
                person.person_id, person.identifiers, change.field, change.before, change.after
            )
        for anomaly in person.anomalies:
            table.add_row(person.person_id, person.identifiers, "no longer fits", anomaly, "")
    console.print(table)
    console.print(f"{len(report.changed)} people whose answers would change")


@batches_cli.command()
def void(
    batch_id: Annotated[str, typer.Argument(help="the batch id")],
    reason: Annotated[str | None, typer.Option(help="why (kept on every void)")] = None,
    dry_run: Annotated[bool, typer.Option(help="show who would change, and how")] = False,
    by: Annotated[str | None, typer.Option(help="who is voiding (default: cli:<login>)")] = None,
    chunk: Annotated[int, typer.Option(min=1, max=5000, help="people per transaction")] = 200,
) -> None:
    """Void every entry of a batch, person by person; run again to finish after a crash."""
    _correct(batch_id, "void", reason, dry_run, by, chunk)


@batches_cli.command()
def reinstate(
    batch_id: Annotated[str, typer.Argument(help="the batch id")],
    reason: Annotated[str | None, typer.Option(help="why")] = None,
    dry_run: Annotated[bool, typer.Option(help="show who would change, and how")] = False,
    by: Annotated[str | None, typer.Option(help="who (default: cli:<login>)")] = None,
    chunk: Annotated[int, typer.Option(min=1, max=5000, help="people per transaction")] = 200,
) -> None:
    """Undo a void: the batch's entries count again."""
    _correct(batch_id, "reinstate", reason, dry_run, by, chunk)


def time_diff(
    ref: Annotated[str, typer.Argument(help="NOMS, CRN, PNC, CRO or person id")],
    first: Annotated[str, typer.Argument(help="the earlier instant (ISO date or date-time)")],
    second: Annotated[str, typer.Argument(help="the later instant; default now")] = "",
    knowledge: Annotated[
        bool, typer.Option(help="compare what the system knew at the two moments")
    ] = False,
) -> None:
    """How a person's answer differs between two effective times (or two knowledge points)."""
    one = parse_time(first, "first")
    two = parse_time(second, "second") if second else datetime.now(UTC)
    with application() as journeys:
        person = journeys.person(ref)
        if knowledge:
            before, after = person.state(as_known_at=one), person.state(as_known_at=two)
        else:
            before, after = person.state(as_of=one), person.state(as_of=two)
    axis = "as known at" if knowledge else "as of"
    changes = diff(before, after)
    table = Table("field", f"{axis} {first}", f"{axis} {second or 'now'}")
    for change in changes:
        table.add_row(change.field, change.before, change.after)
    table.title = f"{len(changes)} differences"
    console.print(table)


def _merge_provenance(reason: str, by: str | None) -> Provenance:
    return Provenance(
        recorded_by=operator(by), source="JOURNEY", occurred_at=datetime.now(UTC), reason=reason
    )


def merge(
    kept: Annotated[str, typer.Argument(help="the record to keep (NOMS, CRN, ... or id)")],
    removed: Annotated[str, typer.Argument(help="the record merged into it")],
    reason: Annotated[str, typer.Option(help="why, e.g. the NOMIS merge reference")],
    by: Annotated[str | None, typer.Option(help="who (default: cli:<login>)")] = None,
) -> None:
    """Merge two records of one person: one history; the removed identifiers lead to the kept."""
    with application() as journeys:
        done = journeys.merge(kept, removed, _merge_provenance(reason, by))
        console.print(
            f"merged {removed} into {kept} (person {done.person_id}, version {done.person_version})"
        )


def unmerge(
    kept: Annotated[str, typer.Argument(help="the record that was kept")],
    removed: Annotated[str, typer.Argument(help="the removed record (an identifier or id)")],
    reason: Annotated[str, typer.Option(help="why the merge is reversed")],
    by: Annotated[str | None, typer.Option(help="who (default: cli:<login>)")] = None,
) -> None:
    """Reverse a merge: both records stand apart again, as events."""
    with application() as journeys:
        journeys.unmerge(kept, removed, _merge_provenance(reason, by))
        console.print(f"the merge of {removed} into {kept} is reversed")


def generate_problem(
    file_format: str, people: int, *, noise: bool, duplicates: Path | None
) -> str | None:
    """What is wrong with the generate options, as a message naming the option (None: fine)."""
    if file_format not in GENERATED:
        return f"[red]--format[/red]: must be one of {', '.join(GENERATED)}"
    if duplicates is not None and not noise:
        return "[red]--duplicates-out[/red]: duplicates are made only with --noise"
    if noise and people > DUPLICATE_SPACE:
        # Beyond this, two duplicate records would share a NOMS number.
        return f"[red]--people[/red]: at most {DUPLICATE_SPACE:,} with --noise"
    return None


def generate(
    people: Annotated[int, typer.Option(min=1, help="how many people")] = 20_000,
    years: Annotated[float, typer.Option(min=0.5, max=50, help="years of history")] = 10,
    seed: Annotated[int, typer.Option(help="the same seed gives the same bytes")] = 1,
    file_format: Annotated[str, typer.Option("--format", help="jsonl or nomis")] = "jsonl",
    end: Annotated[str, typer.Option(help="the last day of history (ISO date)")] = "",
    noise: Annotated[
        bool, typer.Option(help="late and backdated records, and people booked twice")
    ] = False,
    duplicates_out: Annotated[
        Path | None, typer.Option(help="with --noise: CSV of (kept, duplicate) NOMS to merge")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="the file to write (default: stdout)")] = None,
) -> None:
    """Realistic, deterministic journeys to load with `journey import`."""
    problem = generate_problem(file_format, people, noise=noise, duplicates=duplicates_out)
    if problem:
        console.print(problem)
        raise typer.Exit(2)
    last = parse_time(end, "--end") if end else datetime.now(UTC)
    assert last is not None
    journeys = Generator(seed=seed, years=years, end=last, noise=noise).people(people)
    with ExitStack() as stack:
        if duplicates_out is not None:
            pairs = stack.enter_context(duplicates_out.open("w", encoding="utf-8"))
            journeys = noting_duplicates(journeys, pairs)
        if out is None:
            written = write_journeys(sys.stdout.buffer, journeys, file_format)
        else:
            handle = stack.enter_context(out.open("wb"))
            written = write_journeys(handle, journeys, file_format)
    if out is not None:
        console.print(f"{written} lines for {people} people written to {out}")
