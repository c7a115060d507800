"""How the command line shows a person's state."""

from __future__ import annotations

from rich.table import Table

from domain.person.state import PersonState
from ops.common import console


def show_state(state: PersonState) -> None:
    loc, own = state.location, state.ownership
    table = Table(show_header=False, title=state.name)
    ids = ", ".join(f"{k} {v}" for k, vs in state.identifiers.items() for v in vs)
    rows = [
        ("identifiers", ids),
        ("status", loc.status.value),
        ("where", f"{loc.agency or '-'} ({loc.agency_kind or '-'}) cell {loc.cell or '-'}"),
        ("since", loc.since.isoformat() if loc.since else "-"),
        ("responsibility", own.responsibility.value if own.responsibility else "-"),
        ("owner", state.owner or "-"),
        ("POM / COM", f"{own.pom or '-'} / {own.com or '-'}"),
        ("key dates", ", ".join(f"{k} {v}" for k, v in sorted(state.key_dates.items())) or "-"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)
