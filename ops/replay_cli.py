"""`journey import`, `journey batches ...` and `journey diff`: loads, recovery, time travel."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ops.common import (
    JsonOption,
    application,
    console,
    errors,
    fail,
    parse_time,
    print_json,
    print_table,
    read_models,
    table,
)

if TYPE_CHECKING:
    from rich.progress import Progress

    from api.access_log import AccessLog
    from api.impact import Consultation
    from domain.provenance import Provenance
    from replay.batch import Batch
    from replay.importer import ImportReport
    from replay.voiding import CorrectionReport

batches_cli = typer.Typer(help="The batch registry: impact, void and reinstate.")
SHOWN_REJECTS = 50
IMPORT_FORMATS = "jsonl, nomis, allocations, or auto (the one the file looks like)"


def operator(by: str | None) -> str:
    return by or f"cli:{getpass.getuser()}"


@contextmanager
def progress_bar() -> Iterator[Progress]:
    """A transient progress bar on stderr: stdout keeps only the command's answer."""
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
        yield bar


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
    console.print(
        f"batch [bold]{report.batch_id}[/bold]: [{colour}]{report.outcome}[/{colour}] "
        f"(read as {report.file_format})",
        soft_wrap=True,
    )
    if report.note:
        console.print(report.note)
    console.print(
        f"lines {report.lines}, entries recorded {report.entries}, already present "
        f"{report.duplicates}, people registered {report.registered}, people touched "
        f"{report.people}, lines rejected {report.rejected}"
    )
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


def batch_summary(batch: Batch) -> dict[str, Any]:
    """A batch's record under stable keys, for `--json`."""
    return {
        "batch_id": batch.batch_id,
        "status": batch.status,
        "source": batch.source,
        "file_format": batch.file_format,
        "file_name": batch.file_name,
        "file_hash": batch.file_hash,
        "loaded_at": batch.loaded_at,
        "loaded_by": batch.loaded_by,
        "counts": asdict(batch.counts),
        "first_occurred": batch.first_occurred,
        "last_occurred": batch.last_occurred,
    }


@batches_cli.command("list")
def list_batches(json: JsonOption = False) -> None:
    """Every batch, oldest first."""
    from replay import registry

    with application() as journeys:
        found = registry.batches(journeys)
    if json:
        print_json({"batches": [batch_summary(b) for b in found]})
        return
    shown = table("batch", "loaded", "by", "source", "format", "status", "people", "entries")
    for b in found:
        shown.add_row(
            b.batch_id,
            b.loaded_at.isoformat(timespec="seconds"),
            b.loaded_by,
            b.source,
            b.file_format,
            b.status,
            str(b.counts.people),
            str(b.counts.entries),
        )
    print_table(shown)


@batches_cli.command("show")
def show(
    batch_id: Annotated[str, typer.Argument(help="the batch id")],
    people: Annotated[bool, typer.Option(help="list every person touched")] = False,
    rejects: Annotated[bool, typer.Option(help="list every rejected line")] = False,
    purpose: Annotated[
        str | None,
        typer.Option(help="why the rejected lines' text is needed (shown in full, logged)"),
    ] = None,
    by: Annotated[str | None, typer.Option(help="who is looking (default: cli:<login>)")] = None,
    json: JsonOption = False,
) -> None:
    """A batch's record and impact: people and entries, effective range, who consulted them.
    Rejected lines show their number and field; their text and reason, which may name a
    person and where they were, only with --purpose, logged as a disclosure."""
    from api.access_log import AccessLog
    from api.impact import consulted
    from replay import registry

    if purpose is not None and not purpose.strip():
        fail("--purpose", "must say why, not be blank", 2)
    with application() as journeys:
        batch = registry.batch(journeys, batch_id)
        with read_models(journeys) as db:
            log = AccessLog(db)
            log.ensure()
            found = consulted(db, batch.people, batch.loaded_at)
            lines = shown_rejects(log, batch, purpose, operator(by)) if rejects else []
    if json:
        document = batch_summary(batch) | {
            "outcome": batch.outcome,
            "accept_valid": batch.accept_valid,
            "corrections": [asdict(k) for k in batch.corrections],
            "consulted": [consultation(c) for c in found],
        }
        if people:
            document["people"] = list(batch.people)
        if rejects:
            document["rejects"] = lines
        print_json(document)
        return
    show_batch(batch)
    show_consulted(found)
    if people:
        for person in batch.people:
            console.print(person)
    for r in lines:
        text = f" [{r['text']}]" if r["text"] else ""
        console.print(f"line {r['line']}: {r['field']}: {r['reason']}{text}", soft_wrap=True)


WITHHELD = "withheld: it may name the person; give --purpose to see it (logged)"


def shown_rejects(
    log: AccessLog, batch: Batch, purpose: str | None, user: str
) -> list[dict[str, Any]]:
    """The batch's rejected lines: masked, or in full with one access-log row written first."""
    from uuid import uuid4

    from api.access_log import Access

    lines = [asdict(r) for r in batch.rejects]
    if purpose is None:
        return [{**line, "reason": WITHHELD, "text": ""} for line in lines]
    if lines:
        numbers = ", ".join(str(line["line"]) for line in lines[:50])
        more = f" and {len(lines) - 50} more" if len(lines) > 50 else ""
        detail = f"{batch.batch_id} lines {numbers}{more}"
        access = Access(user, "cli", "batch.rejects", str(uuid4()), None, purpose, None, detail)
        log.record([access])
    return lines


def consultation(c: Consultation) -> dict[str, Any]:
    return {
        "user": c.user,
        "roles": c.roles,
        "people": sorted(c.people),
        "reads": c.reads,
        "first": c.first,
        "last": c.last,
    }


def show_consulted(found: list[Consultation]) -> None:
    shown = table(
        "user",
        "roles",
        "people read",
        "reads",
        "first",
        "last",
        title=f"consulted these people since the load ({len(found)} users)",
    )
    for c in found:
        shown.add_row(
            c.user,
            c.roles,
            str(len(c.people)),
            str(c.reads),
            c.first.isoformat(timespec="seconds"),
            c.last.isoformat(timespec="seconds"),
        )
    print_table(shown)


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
    shown = table("field", "value", wrap=("value",), title=f"batch {batch.batch_id}", header=False)
    for name, value in rows:
        shown.add_row(name, value)
    print_table(shown)


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else "-"


def _correct(
    batch_id: str, kind: str, reason: str | None, dry_run: bool, by: str | None, chunk: int
) -> None:
    from replay.voiding import Corrector

    if not dry_run and not reason:
        fail("--reason", "a reason is required", 2)
    with application() as journeys, progress_bar() as bar:
        task = bar.add_task(kind, total=None)

        def tick(phase: str, done: int, total: int) -> None:
            bar.update(task, description=phase, completed=done, total=total)

        corrector = Corrector(journeys, chunk=chunk, progress=tick)
        if dry_run:
            report = corrector.plan(batch_id, kind)
        else:
            runner = corrector.void if kind == "void" else corrector.reinstate
            report = runner(batch_id, reason=reason or "", by=operator(by))
    show_correction(report)


def show_correction(report: CorrectionReport) -> None:
    verb = "would change" if report.outcome == "dry run" else "changed"
    console.print(
        f"{report.kind} of batch [bold]{report.batch_id}[/bold]: {report.outcome}; "
        f"{report.people} people, {report.entries} entries",
        soft_wrap=True,
    )
    if report.note:
        console.print(report.note)
    if report.outcome != "dry run":
        return
    shown = table(
        "person",
        "identifiers",
        "field",
        "now",
        "after",
        wrap=("identifiers", "now", "after"),
        title=f"people it {verb}",
    )
    for person in report.changed:
        for change in person.changes:
            shown.add_row(
                person.person_id, person.identifiers, change.field, change.before, change.after
            )
        for anomaly in person.anomalies:
            shown.add_row(person.person_id, person.identifiers, "no longer fits", anomaly, "")
    print_table(shown)
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
    json: JsonOption = False,
) -> None:
    """How a person's answer differs between two effective times (or two knowledge points)."""
    from replay.voiding import diff

    one = parse_time(first, "first")
    two = parse_time(second, "second") if second else datetime.now(UTC)
    with application() as journeys:
        person = journeys.person(ref)
        if knowledge:
            before, after = person.state(as_known_at=one), person.state(as_known_at=two)
        else:
            before, after = person.state(as_of=one), person.state(as_of=two)
    changes = diff(before, after)
    if json:
        print_json(
            {
                "ref": ref,
                "axis": "as_known_at" if knowledge else "as_of",
                "first": one,
                "second": two,
                "changes": [asdict(change) for change in changes],
            }
        )
        return
    axis = "as known at" if knowledge else "as of"
    shown = table(
        "field",
        f"{axis} {first}",
        f"{axis} {second or 'now'}",
        wrap=(f"{axis} {first}", f"{axis} {second or 'now'}"),
        title=f"{len(changes)} differences",
    )
    for change in changes:
        shown.add_row(change.field, change.before, change.after)
    print_table(shown)


def _merge_provenance(reason: str, by: str | None) -> Provenance:
    from domain.provenance import Provenance

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
    from ops.generator import FORMATS as GENERATED
    from ops.noise import DUPLICATE_SPACE

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
    from ops.generator import Generator, noting_duplicates
    from ops.generator import write as write_journeys

    problem = generate_problem(file_format, people, noise=noise, duplicates=duplicates_out)
    if problem:
        errors.print(problem)
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
