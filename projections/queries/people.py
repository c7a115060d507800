"""A line about a person (who, where, who holds the case), the one query shape every list of
people is read with, and finding a person by identifier."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.identifiers import detect
from projections.db import ReadDb
from projections.verify import normal


@dataclass(frozen=True)
class PersonRow:
    """One line about a person: who, where, who holds the case."""

    person_id: str
    given_name: str | None
    family_name: str | None
    date_of_birth: str | None
    noms: str | None
    crn: str | None
    pnc: str | None
    cro: str | None
    status: str
    agency: str | None
    prison: str | None
    cell: str | None
    since: str | None
    responsibility: str | None
    owner: str | None
    pdu: str | None
    com: str | None
    detail: str | None = None


PERSON_COLUMNS = (
    "p.person_id, p.given_name, p.family_name, p.date_of_birth, p.noms, p.crn, p.pnc, p.cro, "
    "l.status, l.agency, l.prison, l.cell, l.since, o.responsibility, o.owner, o.pdu, o.com"
)
# How each column's value reads: dates and times, the rest text.
PERSON_KINDS = tuple(
    {"date_of_birth": "date", "since": "ts"}.get(column.split(".")[1], "text")
    for column in PERSON_COLUMNS.split(", ")
)
# Restricted records are absent from every list read through this join (DPA 2018 s.47(2)).
VISIBLE_PEOPLE = (
    "(SELECT * FROM rm_people WHERE NOT EXISTS "
    "(SELECT 1 FROM rm_restricted x WHERE x.person_id = rm_people.person_id))"
)
PERSON_JOIN = (
    f"FROM {VISIBLE_PEOPLE} p JOIN rm_location l ON l.person_id = p.person_id "
    "JOIN rm_ownership o ON o.person_id = p.person_id"
)


def people(
    db: ReadDb, where: str, params: tuple[Any, ...], extra: str = "", detail: str = "NULL"
) -> list[PersonRow]:
    """The people a `where` clause (over `p`, `l` and `o`) selects, with a `detail` column."""
    sql = f"SELECT {PERSON_COLUMNS}, {detail} {PERSON_JOIN} {where} {extra}"
    return [person_row(row) for row in db.query(sql, params)]


def person_row(row: tuple[Any, ...]) -> PersonRow:
    """A row of `PERSON_COLUMNS` and a detail column as a `PersonRow`."""
    values = [normal(v, kind) for v, kind in zip(row, PERSON_KINDS, strict=False)]
    detail = row[len(PERSON_KINDS)]
    values.append(None if detail is None else str(normal(detail, "text")))
    return PersonRow(*values)


def find(db: ReadDb, identifier: str) -> str | None:
    """The person holding an identifier in any accepted form."""
    kind, value = detect(identifier)
    rows = db.query(
        "SELECT person_id FROM rm_identifiers WHERE kind = %s AND value = %s", (kind.value, value)
    )
    return str(rows[0][0]) if rows else None


def restricted(db: ReadDb, person_id: str) -> bool:
    """Whether processing of the person's record is restricted."""
    rows = db.query("SELECT 1 FROM rm_restricted WHERE person_id = %s", (person_id,))
    return bool(rows)


def restricted_among(db: ReadDb, person_ids: list[str]) -> set[str]:
    """Which of these people's records are restricted."""
    found: set[str] = set()
    for start in range(0, len(person_ids), 500):
        chunk = person_ids[start : start + 500]
        marks = ", ".join(["%s"] * len(chunk))
        rows = db.query(f"SELECT person_id FROM rm_restricted WHERE person_id IN ({marks})", chunk)
        found.update(str(r[0]) for r in rows)
    return found
