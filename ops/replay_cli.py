"""`journey diff`, `journey merge` and `journey unmerge`: time travel and identity
corrections. Loads are in `import_cli`, the batch registry in `batches_cli`, the generator in
`generate_cli`."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from ops.common import JsonOption, application, console, parse_time, print_json, print_table, table
from ops.generate_cli import generate_problem
from ops.import_cli import ByOption, operator

if TYPE_CHECKING:
    from domain.provenance import Provenance


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
    by: ByOption = None,
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
    by: ByOption = None,
) -> None:
    """Reverse a merge: both records stand apart again, as events."""
    with application() as journeys:
        journeys.unmerge(kept, removed, _merge_provenance(reason, by))
        console.print(f"the merge of {removed} into {kept} is reversed")


__all__ = ["generate_problem", "merge", "time_diff", "unmerge"]
