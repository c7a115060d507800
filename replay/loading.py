"""Loading many people at once, by identifier or id, for loads and corrections."""

from __future__ import annotations

from collections.abc import Iterable

from domain.person.aggregate import Person
from domain.service.application import JourneyApp
from projections.source import EventSource


class PeopleLoader:
    """People's aggregates in bulk: one query for many on PostgreSQL and SQLite."""

    def __init__(self, app: JourneyApp) -> None:
        self.app = app
        self.source = EventSource(app) if app.settings.database.kind != "memory" else None

    def by_ids(self, person_ids: Iterable[str]) -> dict[str, Person]:
        ids = list(person_ids)
        if self.source is not None:
            return self.source.people(ids)
        return {i: self.app.person(i) for i in ids}

    def by_keys(self, keys: Iterable[str]) -> dict[str, Person]:
        """People by identifier key ("NOMS:A1234BC"); keys no one holds are left out."""
        holders: dict[str, str] = {}
        for key in keys:
            kind, value = key.split(":", 1)
            holder = self.app.holder(kind, value)
            if holder is not None:
                holders[key] = str(holder)
        people = self.by_ids(set(holders.values()))
        return {key: people[pid] for key, pid in holders.items() if pid in people}
