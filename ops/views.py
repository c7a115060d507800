"""How the command line shows a person's state: a table for people, a document for scripts."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain.person.vocabulary import CUSTODY
from ops.common import print_table, table

if TYPE_CHECKING:
    from domain.person.state import PersonState


def show_state(state: PersonState) -> None:
    loc, own = state.location, state.ownership
    shown = table("field", "value", wrap=("value",), title=state.name, header=False)
    ids = ", ".join(f"{k} {v}" for k, vs in state.identifiers.items() for v in vs)
    rows = [
        ("identifiers", ids),
        ("status", loc.status.value),
        ("where", where(state)),
        ("since", loc.since.isoformat(timespec="seconds") if loc.since else "-"),
        ("responsibility", own.responsibility.value if own.responsibility else "-"),
        ("owner", state.owner or "-"),
        ("POM / COM", f"{own.pom or '-'} / {own.com or '-'}"),
        ("key dates", ", ".join(f"{k} {v}" for k, v in sorted(state.key_dates.items())) or "-"),
    ]
    for name, value in rows:
        shown.add_row(name, value)
    print_table(shown)


def where(state: PersonState) -> str:
    """The place, with the prison held from and the destination while away or moving."""
    loc = state.location
    place = f"{loc.agency or '-'} ({loc.agency_kind or '-'})"
    if loc.cell:
        place += f" cell {loc.cell}"
    if loc.prison and loc.prison != loc.agency and loc.status in CUSTODY:
        place += f", from {loc.prison}"  # at court, on temporary absence or moving
    if loc.destination:
        place += f", to {loc.destination}"
    return place


def state_document(
    state: PersonState, as_of: datetime | None, as_known_at: datetime | None
) -> dict[str, Any]:
    """The person's state under the keys the HTTP API's person answer uses."""
    loc, own = state.location, state.ownership
    return {
        "person_id": state.person_id,
        "version": state.version,
        "name": state.name,
        "given_name": state.given_name,
        "family_name": state.family_name,
        "date_of_birth": state.date_of_birth,
        "sex": state.sex,
        "identifiers": {kind: list(values) for kind, values in state.identifiers.items()},
        "location": {k: v for k, v in asdict(loc).items() if k != "entry"},
        "ownership": {
            "responsibility": own.responsibility,
            "owner": state.owner,
            **asdict(own),
        },
        "key_dates": dict(sorted(state.key_dates.items())),
        "as_of": as_of,
        "as_known_at": as_known_at,
        "anomalies": list(state.anomalies),
    }
