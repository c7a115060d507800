"""Reference data: prisons, courts, other agencies, probation regions and PDUs (their teams are
in `teams.py`), NOMIS movement codes.

The CSV files beside this module are read once, on first use, as package resources; where
they came from is in PROVENANCE.md. Lookups strip and upper-case the code they are given.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TypeVar

from domain.errors import InvalidValue, UnknownCode

__all__ = [
    "Agency",
    "Court",
    "MovementReason",
    "Prison",
    "ProbationUnit",
    "agency",
    "court",
    "courts",
    "is_court",
    "is_pdu",
    "is_prison",
    "movement_reason",
    "movement_reasons",
    "movement_type",
    "pdu",
    "pdus",
    "prison",
    "prisons",
    "region",
    "regions",
]

_FLAGS = {"true": True, "false": False, "Y": True, "N": False}
_SHOWN = 20  # longest code quoted back in a reason

_T = TypeVar("_T")


@dataclass(frozen=True)
class Prison:
    """A prison in the register: its agency code, name, and whether open, male, female and
    contracted out."""

    code: str
    name: str
    active: bool
    male: bool
    female: bool
    contracted: bool


@dataclass(frozen=True)
class Court:
    code: str
    name: str
    type: str
    active: bool


@dataclass(frozen=True)
class Agency:
    """Any place a movement names, with its kind: prison, court, hospital, immigration,
    outside, transit, or other (a well-formed code in no register)."""

    code: str
    name: str | None
    kind: str


@dataclass(frozen=True)
class ProbationUnit:
    level: str
    code: str
    name: str
    parent_code: str | None
    parent_name: str | None


@dataclass(frozen=True)
class MovementReason:
    movement_type: str
    code: str
    description: str
    active: bool


# ---- lookups ----


def prison(code: str, field: str = "prison") -> Prison:
    """The prison with this agency code, active or not."""
    return _find(_prisons(), code, field, "prison code")


def is_prison(code: str) -> bool:
    return _key(code) in _prisons()


def court(code: str, field: str = "court") -> Court:
    """The court with this agency code."""
    return _find(_courts(), code, field, "court code")


def is_court(code: str) -> bool:
    return _key(code) in _courts()


def agency(code: str) -> Agency:
    """The agency a code names: a prison, a court, an agency of the register, or another."""
    key = _key(code)
    if key in _prisons():
        return Agency(key, _prisons()[key].name, "prison")
    if key in _courts():
        return Agency(key, _courts()[key].name, "court")
    return _agencies().get(key) or Agency(key, None, "other")


def region(code: str, field: str = "region") -> ProbationUnit:
    """A probation region (N03, N07, N50-N59) or NA, National."""
    return _find(_units("region"), code, field, "probation region code")


def pdu(code: str, field: str = "pdu") -> ProbationUnit:
    """A Probation Delivery Unit; its parent_code is its region."""
    return _find(_units("pdu"), code, field, "PDU code")


def is_pdu(code: str) -> bool:
    return _key(code) in _units("pdu")


def movement_type(code: str, field: str = "movement_type") -> str:
    """The description of a NOMIS movement type (ADM, CRT, REL, TAP, TRN, ...)."""
    return _find(_movement_types(), code, field, "movement type")


def movement_reason(movement_type: str, code: str, field: str = "reason") -> MovementReason:
    """The reason with this code for this movement type, e.g. ("REL", "CR")."""
    kind, key = _key(movement_type), _key(code)
    if not kind:
        raise InvalidValue("movement_type", "movement type is required")
    if not key:
        raise InvalidValue(field, "movement reason is required")
    found = _movement_reasons().get((kind, key))
    if found is None:
        raise UnknownCode(
            field, f"unknown movement reason '{_shown(key)}' for movement type '{_shown(kind)}'"
        )
    return found


# ---- whole tables ----


def prisons() -> tuple[Prison, ...]:
    return tuple(_prisons().values())


def courts() -> tuple[Court, ...]:
    return tuple(_courts().values())


def regions() -> tuple[ProbationUnit, ...]:
    return tuple(_units("region").values())


def pdus() -> tuple[ProbationUnit, ...]:
    return tuple(_units("pdu").values())


def movement_reasons() -> tuple[MovementReason, ...]:
    """Every MOVE_RSN row; the few the source gives no movement type have movement_type ""."""
    return tuple(_movement_reasons().values())


# ---- loading ----


def _key(code: str) -> str:
    return code.strip().upper() if isinstance(code, str) else ""


def _shown(key: str) -> str:
    return key if len(key) <= _SHOWN else key[:_SHOWN] + "..."


def _find(table: dict[str, _T], code: str, field: str, what: str) -> _T:
    key = _key(code)
    if not key:
        raise InvalidValue(field, f"{what} is required")
    found = table.get(key)
    if found is None:
        raise UnknownCode(field, f"unknown {what} '{_shown(key)}'")
    return found


def _rows(name: str) -> list[dict[str, str]]:
    resource = resources.files(__name__).joinpath(name)
    with resource.open("rb") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
        return list(csv.DictReader(text))


def _flag(value: str, name: str) -> bool:
    if value not in _FLAGS:
        raise ValueError(f"{name}: {value!r} is not a true/false flag")
    return _FLAGS[value]


def _unique(name: str, pairs: Iterable[tuple[str, _T]]) -> dict[str, _T]:
    table: dict[str, _T] = {}
    for key, value in pairs:
        if key in table:
            raise ValueError(f"{name}: code {key!r} appears twice")
        table[key] = value
    return table


@cache
def _prisons() -> dict[str, Prison]:
    return _unique("prisons.csv", ((r["code"], _prison(r)) for r in _rows("prisons.csv")))


def _prison(row: dict[str, str]) -> Prison:
    def flag(column: str) -> bool:
        return _flag(row[column], f"prisons.csv {row['code']} {column}")

    return Prison(
        row["code"], row["name"], flag("active"), flag("male"), flag("female"), flag("contracted")
    )


@cache
def _courts() -> dict[str, Court]:
    return _unique("courts.csv", ((r["code"], _court(r)) for r in _rows("courts.csv")))


def _court(row: dict[str, str]) -> Court:
    active = _flag(row["active"], f"courts.csv {row['code']} active")
    return Court(row["code"], row["name"], row["type"], active)


@cache
def _agencies() -> dict[str, Agency]:
    rows = _rows("agencies.csv")
    return _unique(
        "agencies.csv", ((r["code"], Agency(r["code"], r["name"], r["kind"])) for r in rows)
    )


@cache
def _units(level: str) -> dict[str, ProbationUnit]:
    rows = [r for r in _rows("probation.csv") if r["level"] == level]
    return _unique(f"probation.csv {level}", ((r["code"], _unit(r)) for r in rows))


def _unit(row: dict[str, str]) -> ProbationUnit:
    return ProbationUnit(
        row["level"],
        row["code"],
        row["name"],
        row["parent_code"] or None,
        row["parent_name"] or None,
    )


@cache
def _movement_types() -> dict[str, str]:
    rows = [r for r in _rows("movement_reasons.csv") if r["domain"] == "MOVE_TYPE"]
    return _unique("movement_reasons.csv MOVE_TYPE", ((r["code"], r["description"]) for r in rows))


@cache
def _movement_reasons() -> dict[tuple[str, str], MovementReason]:
    table: dict[tuple[str, str], MovementReason] = {}
    for r in _rows("movement_reasons.csv"):
        if r["domain"] != "MOVE_RSN":
            continue
        key = (r["movement_type"], r["code"])
        if key in table:
            raise ValueError(f"movement_reasons.csv: reason {key!r} appears twice")
        active = _flag(r["active"], f"movement_reasons.csv {key}")
        table[key] = MovementReason(r["movement_type"], r["code"], r["description"], active)
    return table
