"""`journey people ...`: one person's record under data protection law (DPA 2018 Part 3).

Subject access, restriction and erasure of a single person, each a recorded act, each in the
access log under the operator's name.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ops.common import JsonOption, application, console, print_json, read_models
from ops.import_cli import ByOption, PersonRef, operator

if TYPE_CHECKING:
    from api.subject_access import Report
    from domain.service.protection_commands import Protective

cli = typer.Typer(
    help="One person's record: subject access, restriction and erasure.", no_args_is_help=True
)

Reason = Annotated[str, typer.Option(help="why (required; kept in the record and the log)")]


def act(kind: type[Protective], ref: str, reason: str, by: str | None, done: str) -> None:
    """Record the act, log it, and bring the read models up to it (so lists change now)."""
    from api.access_log import AccessLog
    from api.protection import protect
    from projections.runner import Runner

    who = operator(by)
    with application() as app, read_models(app) as db:
        log = AccessLog(db)
        log.ensure()
        rid = f"cli-{uuid.uuid4()}"
        result = protect(
            app, log, kind, ref, user=who, roles="cli", rid=rid, reason=reason, source="CLI"
        )
        Runner(app, db).catch_up()
    console.print(f"{done}: {result.person_id} (entry {result.entry}), logged as {who}")


def protective(command: str, kind: str, done: str, doc: str) -> None:
    """`journey people COMMAND`: record the protective act `kind` (imported when run)."""

    def run(ref: PersonRef, reason: Reason, by: ByOption = None) -> None:
        from domain.service import protection_commands

        act(getattr(protection_commands, kind), ref, reason, by, done)

    run.__name__ = command.replace("-", "_")
    run.__doc__ = doc
    cli.command(command)(run)


protective(
    "restrict",
    "Restrict",
    "restricted",
    "Restrict processing (accuracy contested): hidden from lists, read only by auditors.",
)
protective(
    "lift-restriction",
    "LiftRestriction",
    "restriction lifted",
    "Lift the restriction of processing.",
)
protective(
    "hold",
    "HoldRetention",
    "held",
    "Hold the record from retention review (kept whatever the rules say).",
)
protective(
    "release-holds",
    "ReleaseHolds",
    "holds released",
    "Release the record's retention holds: the rules decide again.",
)


@cli.command("report")
def report(
    ref: PersonRef,
    purpose: Annotated[
        str, typer.Option(help="why (logged)", show_default=True)
    ] = "subject access request",
    html: Annotated[
        Path | None, typer.Option(help="also write the printable page to this file")
    ] = None,
    by: ByOption = None,
    as_json: JsonOption = False,
) -> None:
    """A person's full record for a subject access request: identity, state, every entry with
    provenance and corrections, merges, restriction, holds and who consulted them."""
    from api.access_log import AccessLog
    from api.pages.subject_access import printable
    from api.subject_access import report as made

    who = operator(by)
    with application() as app, read_models(app) as db:
        log = AccessLog(db)
        log.ensure()
        rid = f"cli-{uuid.uuid4()}"
        found = made(app, log, ref, user=who, roles="cli", rid=rid, purpose=purpose)
    if html is not None:
        html.write_text(printable(found), encoding="utf-8")
    if as_json:
        print_json(found.model_dump(mode="json"))
        return
    summary(found, html)


def summary(found: Report, html: Path | None) -> None:
    person = found.person
    console.print(
        f"{person.given_name or ''} {person.family_name or ''} ({found.person_id}): "
        f"{len(found.timeline)} entries ({found.voided} voided), "
        f"{len(found.consulted)} consultations logged, "
        f"{'restricted' if found.restricted else 'not restricted'}, "
        f"{len(found.retention_holds)} retention holds"
    )
    if html is not None:
        console.print(f"printable page written to {html}")
