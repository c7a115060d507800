"""`journey people erase REF --rule R --reason TEXT`: erase one person's record (DPA 2018 s.47).

Without `--confirm`, a dry run: what will go, and the token that confirms it. With the token,
the real run; the token changes if the record changes, so only what was reviewed is erased.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated

import typer

from ops.common import JsonOption, application, console, print_json, print_table, read_models, table
from ops.import_cli import ByOption, PersonRef, operator

if TYPE_CHECKING:
    from replay.erasure import Destruction, ErasurePlan


def erase(
    ref: PersonRef,
    rule: Annotated[str, typer.Option(help="the erasure rule, e.g. NO-LONGER-NEEDED")],
    reason: Annotated[str, typer.Option(help="why (must not name the person)")] = "",
    confirm: Annotated[
        str | None, typer.Option(help="the token a dry run printed: erase for real")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="only list what would go")] = False,
    by: ByOption = None,
    as_json: JsonOption = False,
) -> None:
    """Erase a person's record: a dry run lists what goes; --confirm TOKEN erases it."""
    from api.erasure_cover import covers, log_erasure, log_plan
    from replay.erasure import Erasure

    who, request_id = operator(by), f"cli-{uuid.uuid4()}"
    with application() as app, read_models(app) as db:
        erasure = Erasure(app, db, covers(db))
        if dry_run or confirm is None:
            plan = erasure.plan(ref, rule)
            log_plan(db, who, "cli", request_id, plan)
            show_plan(plan, as_json)
            return
        entry = erasure.erase(ref, rule, reason, who, confirm)
        log_erasure(db, who, "cli", request_id, entry)
        show_entry(entry, as_json)


def show_plan(plan: ErasurePlan, as_json: bool) -> None:
    if as_json:
        print_json({"person_id": plan.person_id, "rule": plan.rule.code, "token": plan.token,
                    "merged": list(plan.merged), **plan.counts()})  # fmt: skip
        return
    shown = table(
        "what", "count", title=f"dry run: erasing {plan.person_id} under {plan.rule.code}"
    )
    shown.add_row("events (shredded)", str(plan.events))
    shown.add_row("identifier claims (shredded)", str(plan.claims))
    shown.add_row("merged records", str(len(plan.merged)))
    for name, rows in plan.rows.items():
        shown.add_row(f"rows in {name}", str(rows))
    for name, rows in plan.covered.items():
        shown.add_row(name.replace("_", " "), str(rows))
    print_table(shown)
    base = (
        "a base record (id, date, rule) stays"
        if plan.rule.keeps_base_record
        else "no base record stays"
    )
    console.print(f"{base}. To erase: --confirm {plan.token} --reason TEXT")


def show_entry(entry: Destruction, as_json: bool) -> None:
    if as_json:
        print_json({"destruction_log_entry": entry.id, "at": entry.at, "rule": entry.rule,
                    "base_record": entry.base_record, "destroyed": entry.destroyed})  # fmt: skip
        return
    console.print(
        f"erased on {entry.at.date().isoformat()} under rule {entry.rule}: destruction log entry "
        f"{entry.id}, {entry.destroyed['events']} events shredded"
    )
