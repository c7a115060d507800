"""`journey retention review`: who is due for review for erasure under the retention rules on
a date (default today, UTC), with the rule, in one pass over the read models. Nothing is
erased here; `journey people erase` is the next step, one reviewed person at a time."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

import typer

from ops.common import JsonOption, application, console, print_json, print_table, read_models, table
from ops.import_cli import ByOption, operator

cli = typer.Typer(help="Retention: who is due for erasure under the rules.", no_args_is_help=True)


@cli.command("review")
def review(
    as_of: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="the review date (default: today, UTC)"),
    ] = None,
    limit: Annotated[int, typer.Option(min=0, help="due people listed (0: all)")] = 0,
    by: ByOption = None,
    as_json: JsonOption = False,
) -> None:
    """List who is due on a date, with the rule, and why the others are kept."""
    from api.access_log import Access, AccessLog
    from projections.retention import review as reviewed

    on = (as_of or datetime.now(UTC)).date()
    with application() as app, read_models(app) as db:
        found = reviewed(db, on)
        log = AccessLog(db)
        log.ensure()
        rid, who = f"cli-{uuid.uuid4()}", operator(by)
        ids: list[str | None] = [d.person_id for d in found.due] or [None]
        log.record(
            [Access(who, "cli", "retention.review", rid, p, detail=f"as_of={on}") for p in ids]
        )
    due = found.due[:limit] if limit else found.due
    if as_json:
        print_json({"as_of": on, "people": found.people, "candidates": found.candidates,
                    "outcomes": found.outcomes, "due": due})  # fmt: skip
        return
    shown = table("NOMS", "name", "status", "sentence expiry", "due since", "rule",
                  title=f"due for review on {on.isoformat()}")  # fmt: skip
    for d in due:
        name = f"{d.family_name or ''}, {d.given_name or ''}"
        shown.add_row(d.noms or d.person_id, name, d.status, d.sentence_end.isoformat(),
                      d.due_on.isoformat(), d.rule)  # fmt: skip
    print_table(shown)
    kept = ", ".join(f"{k} {n}" for k, n in sorted(found.outcomes.items()) if k != "due")
    console.print(
        f"{len(found.due)} due of {found.people} people on {on.isoformat()} "
        f"(as_of {'given' if as_of else 'defaulted to today'}); past their sentence expiry "
        f"but not due: {kept or 'none'}"
    )
