"""Who consulted a set of people since a moment: for incident reports after a bad load."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from api.access_log import TABLE
from projections.db import ReadDb
from projections.verify import normal


@dataclass
class Consultation:
    """One user's reads of the people concerned."""

    user: str
    roles: str
    first: datetime
    last: datetime
    reads: int = 0
    people: set[str] = field(default_factory=set)


def consulted(db: ReadDb, person_ids: list[str], since: datetime) -> list[Consultation]:
    """Every user who read any of the people at or after `since`, most reads first."""
    found: dict[tuple[str, str], Consultation] = {}
    for start in range(0, len(person_ids), 500):
        chunk = person_ids[start : start + 500]
        rows = db.query(
            f"SELECT user_name, roles, person_id, count(*), min(at), max(at) FROM {TABLE} "
            f"WHERE person_id IN ({', '.join(['%s'] * len(chunk))}) AND at >= %s "
            "GROUP BY user_name, roles, person_id",
            [*chunk, since],
        )
        for user, roles, person, reads, first, last in rows:
            first_at = datetime.fromisoformat(normal(first, "ts"))
            last_at = datetime.fromisoformat(normal(last, "ts"))
            entry = found.setdefault((user, roles), Consultation(user, roles, first_at, last_at))
            entry.reads += int(reads)
            entry.people.add(person)
            entry.first, entry.last = min(entry.first, first_at), max(entry.last, last_at)
    return sorted(found.values(), key=lambda c: (-c.reads, c.user))
