"""Who is in each prison: the roll and the population now, and at any effective time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from projections.db import ReadDb
from projections.queries.people import PersonRow, people
from projections.queries.vocabulary import CUSTODY_SQL


def roll(db: ReadDb, prison: str) -> list[PersonRow]:
    """Everyone on a prison's roll now: in, out at court, on temporary absence, in transit out."""
    return people(
        db,
        f"WHERE l.prison = %s AND l.status IN ({CUSTODY_SQL})",
        (prison.strip().upper(),),
        "ORDER BY l.status, p.search_name",
    )


def withheld(db: ReadDb, prison: str) -> int:
    """How many restricted records are on a prison's roll now: left out of its list, counted
    here so the roll says so rather than silently differing."""
    rows = db.query(
        f"SELECT count(*) FROM rm_restricted x JOIN rm_location l ON l.person_id = x.person_id "
        f"WHERE l.prison = %s AND l.status IN ({CUSTODY_SQL})",
        (prison.strip().upper(),),
    )
    return int(rows[0][0])


def population(db: ReadDb) -> dict[str, dict[str, int]]:
    """Counts per prison and status, for everyone in custody now."""
    rows = db.query(
        f"SELECT prison, status, count(*) FROM rm_location WHERE status IN ({CUSTODY_SQL}) "
        "GROUP BY prison, status"
    )
    counts: dict[str, dict[str, int]] = {}
    for prison, status, n in rows:
        counts.setdefault(str(prison), {})[str(status)] = int(n)
    return counts


def population_at(db: ReadDb, as_of: datetime) -> dict[str, int]:
    """How many people were on each prison's roll at an effective time (current knowledge)."""
    rows = db.query(
        "SELECT prison, count(*) FROM rm_stays WHERE start_at <= %s AND "
        "(end_at IS NULL OR end_at > %s) GROUP BY prison ORDER BY prison",
        (as_of, as_of),
    )
    return {str(prison): int(n) for prison, n in rows}


def on_roll_at(db: ReadDb, prison: str, as_of: datetime) -> list[str]:
    """The people on a prison's roll at an effective time, by current knowledge."""
    rows = db.query(
        "SELECT DISTINCT person_id FROM rm_stays WHERE prison = %s AND start_at <= %s "
        "AND (end_at IS NULL OR end_at > %s) ORDER BY person_id",
        (prison.strip().upper(), as_of, as_of),
    )
    return [str(r[0]) for r in rows]


def ever_named(db: ReadDb, prison: str) -> list[str]:
    """Everyone any movement (voided ones too) has linked to a prison: the candidates for a
    roll as the system knew it at an earlier moment."""
    rows = db.query(
        "SELECT person_id FROM rm_agencies_named WHERE agency = %s ORDER BY person_id",
        (prison.strip().upper(),),
    )
    return [str(r[0]) for r in rows]


def first_with_status(
    db: ReadDb, statuses: tuple[str, ...], responsibility: str | None = None, skip: int = 0
) -> PersonRow | None:
    """The person with the lowest NOMS number (after `skip` others) whose status now is one
    of `statuses`."""
    marks = ", ".join(["%s"] * len(statuses))
    where = f"WHERE l.status IN ({marks}) AND p.noms IS NOT NULL"
    params: list[Any] = list(statuses)
    if responsibility:
        where += " AND o.responsibility = %s"
        params.append(responsibility)
    found = people(db, where, tuple(params), f"ORDER BY p.noms LIMIT 1 OFFSET {int(skip)}")
    return found[0] if found else None
