"""Loading many people at once, by identifier or id, for loads and corrections."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from uuid import UUID

from domain.person.aggregate import Person
from domain.service.application import JourneyApp
from projections.source import EventSource


class PeopleLoader:
    """People's aggregates in bulk: one query for many on PostgreSQL and SQLite."""

    def __init__(self, app: JourneyApp) -> None:
        self.app = app
        self.source = EventSource(app) if app.settings.database.kind != "memory" else None

    def kept(self) -> AbstractContextManager[None]:
        """One connection for this thread's lookups until the block ends (`EventSource.kept`)."""
        return self.source.kept() if self.source is not None else nullcontext()

    def by_ids(self, person_ids: Iterable[str]) -> dict[str, Person]:
        ids = list(person_ids)
        if self.source is not None:
            return self.source.people(ids)
        return {i: self.app.person(i) for i in ids}

    def holders(self, keys: Iterable[str]) -> dict[str, UUID]:
        """Who holds each identifier key ("NOMS:A1234BC"), in one query on PostgreSQL and
        SQLite; keys no one holds are left out."""
        wanted = set(keys)
        if self.source is not None:
            return self.source.holders(wanted)
        found: dict[str, UUID] = {}
        for key in wanted:
            kind, value = key.split(":", 1)
            holder = self.app.holder(kind, value)
            if holder is not None:
                found[key] = holder
        return found

    def by_keys(
        self, keys: Iterable[str], holders: Mapping[str, UUID] | None = None
    ) -> dict[str, Person]:
        """People by identifier key; keys no one holds are left out. `holders`, when given, is
        a fresh answer of `holders` covering these keys."""
        wanted = list(keys)
        known = self.holders(wanted) if holders is None else holders
        held = {key: str(known[key]) for key in wanted if key in known}
        people = self.by_ids(set(held.values()))
        return {key: people[pid] for key, pid in held.items() if pid in people}
