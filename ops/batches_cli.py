"""`journey batches ...`: the batch registry, a batch's impact, and voiding and reinstating."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ops.common import (
    JsonOption,
    application,
    console,
    fail,
    print_json,
    print_outcome,
    print_refusals,
    print_table,
    read_models,
    table,
)
from ops.import_cli import ByOption, operator, progress_bar

if TYPE_CHECKING:
    from api.access_log import AccessLog
    from api.impact import Consultation
    from replay.batch import Batch
    from replay.voiding import CorrectionReport

batches_cli = typer.Typer(help="The batch registry: impact, void and reinstate.")


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
        "refusals": list(batch.refusals),
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
    print_refusals(batch.refusals)
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
    from api.disclosure import lines_detail

    lines = [asdict(r) for r in batch.rejects]
    if purpose is None:
        return [{**line, "reason": WITHHELD, "text": ""} for line in lines]
    if lines:
        detail = lines_detail(batch.batch_id, [line["line"] for line in lines])
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
    with application() as journeys, progress_bar(kind) as tick:
        corrector = Corrector(journeys, chunk=chunk, progress=tick)
        if dry_run:
            report = corrector.plan(batch_id, kind)
        else:
            runner = corrector.void if kind == "void" else corrector.reinstate
            report = runner(batch_id, reason=reason or "", by=operator(by))
    show_correction(report)


def show_correction(report: CorrectionReport) -> None:
    verb = "would change" if report.outcome == "dry run" else "changed"
    print_outcome(
        f"{report.kind} of batch [bold]{report.batch_id}[/bold]: {report.outcome}; "
        f"{report.people} people, {report.entries} entries",
        report.note,
    )
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
    by: ByOption = None,
    chunk: Annotated[int, typer.Option(min=1, max=5000, help="people per transaction")] = 200,
) -> None:
    """Undo a void: the batch's entries count again."""
    _correct(batch_id, "reinstate", reason, dry_run, by, chunk)
