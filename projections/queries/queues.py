"""The work queues: cases waiting on a handover or an area transfer, released people no
probation unit holds, long transits, and releases coming up."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from projections.db import ReadDb
from projections.queries.people import PersonRow, people
from projections.queries.vocabulary import (
    CUSTODY_SQL,
    HOSPITAL_SQL,
    RELEASE_DATES,
    RELEASED_SQL,
    TRANSIT_SQL,
)


def _waiting_since(
    db: ReadDb,
    column: str,
    cutoff: timedelta,
    now: datetime | None,
    *,
    detail: str,
    where: str = "",
) -> list[PersonRow]:
    """The people whose `column` (a time) is at least `cutoff` before `now`, oldest first."""
    since = (now or datetime.now(UTC)) - cutoff
    return people(db, f"WHERE {where}{column} <= %s", (since,), f"ORDER BY {column}", detail)


def pending_handovers(
    db: ReadDb, older_than: timedelta, now: datetime | None = None
) -> list[PersonRow]:
    """Handovers requested at least `older_than` ago and not yet answered."""
    return _waiting_since(db, "o.handover_requested_at", older_than, now, detail="o.handover_to")


def pending_area_transfers(
    db: ReadDb, older_than: timedelta, now: datetime | None = None
) -> list[PersonRow]:
    """Area transfers requested at least `older_than` ago and not yet answered."""
    return _waiting_since(db, "o.transfer_requested_at", older_than, now, detail="o.transfer_pdu")


def long_transits(
    db: ReadDb, longer_than: timedelta = timedelta(hours=24), now: datetime | None = None
) -> list[PersonRow]:
    """People in transit between prisons for longer than `longer_than`."""
    where = f"l.status = {TRANSIT_SQL} AND "
    return _waiting_since(db, "l.since", longer_than, now, detail="l.destination", where=where)


def released_without_owner(db: ReadDb) -> list[PersonRow]:
    """Released from custody with no probation unit holding the case."""
    return people(
        db,
        f"WHERE l.status = {RELEASED_SQL} AND l.agency_kind <> {HOSPITAL_SQL} AND o.pdu IS NULL",
        (),
        "ORDER BY l.since",
    )


def upcoming_releases(
    db: ReadDb, days: int, today: date | None = None, prison: str | None = None
) -> list[PersonRow]:
    """People in custody whose earliest release date falls in the next `days` days."""
    start = today or datetime.now(UTC).date()
    end = start + timedelta(days=days)
    marks = ", ".join(["%s"] * len(RELEASE_DATES))
    where = (
        f"JOIN (SELECT person_id, min(value) AS release_on FROM rm_key_dates "
        f"WHERE code IN ({marks}) AND value >= %s GROUP BY person_id) k "
        f"ON k.person_id = p.person_id WHERE l.status IN ({CUSTODY_SQL}) "
        "AND k.release_on <= %s"
    )
    params: list[Any] = [*RELEASE_DATES, start, end]
    if prison:
        where += " AND l.prison = %s"
        params.append(prison.strip().upper())
    return people(db, where, tuple(params), "ORDER BY k.release_on, l.prison", "k.release_on")
