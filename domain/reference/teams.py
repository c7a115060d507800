"""The probation team register: each Delius team code with its local delivery unit (district),
PDU (borough) and region (provider), as the probation estate register holds them
(`teams.csv`; where it came from is in PROVENANCE.md)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from domain.reference import _find, _flag, _key, _rows, _unique


@dataclass(frozen=True)
class Team:
    """A Delius team: its code and name, its local delivery unit, PDU and region codes, and
    whether the register still lists it."""

    code: str
    name: str
    ldu_code: str
    ldu_name: str
    pdu_code: str
    region_code: str
    active: bool


def team(code: str, field: str = "team") -> Team:
    """The team with this Delius code, active or not."""
    return _find(_teams(), code, field, "team code")


def known_team(code: str | None) -> Team | None:
    """The team with this code, or None when the register holds none."""
    return _teams().get(_key(code or ""))


def teams() -> tuple[Team, ...]:
    return tuple(_teams().values())


@cache
def _teams() -> dict[str, Team]:
    return _unique("teams.csv", ((r["code"], _team(r)) for r in _rows("teams.csv")))


def _team(row: dict[str, str]) -> Team:
    active = _flag(row["active"], f"teams.csv {row['code']} active")
    return Team(
        row["code"],
        row["name"],
        row["ldu_code"],
        row["ldu_name"],
        row["pdu_code"],
        row["region_code"],
        active,
    )
