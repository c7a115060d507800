"""Reads the event store for read models: positions, and people's histories up to a position.

It reads the store's own table directly (decoding through the application's mapper), so one
query fetches many people's histories, and a rebuild can stream every history in person order.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, cast
from uuid import UUID

import psycopg
from eventsourcing.persistence import StoredEvent

from domain.person.aggregate import Person
from domain.person.events import PersonEvent
from domain.person.state import PersonState
from domain.service.application import JourneyApp
from domain.service.storage import DatabaseURL

PERSON_TOPICS = "domain.person.%"


class EventSource:
    """The event log, seen from the read side."""

    def __init__(self, app: JourneyApp) -> None:
        self.app = app
        self.url: DatabaseURL = app.settings.database
        table: str = app.recorder.events_table_name  # type: ignore[attr-defined]
        if self.url.kind == "postgres":
            self.table = f"{self.url.schema}.{table}"
            self.position_col = "notification_id"
        elif self.url.kind == "sqlite":
            self.table, self.position_col = table, "rowid"
        else:
            msg = "read models need PostgreSQL or SQLite, not the in-memory store"
            raise ValueError(msg)

    def _connect(self) -> Any:
        if self.url.kind == "postgres":
            return psycopg.connect(self.url.conninfo(), autocommit=True)
        conn = sqlite3.connect(self.url.path, timeout=30, isolation_level=None)
        return conn

    def _sql(self, sql: str) -> str:
        sql = sql.replace("{table}", self.table).replace("{pos}", self.position_col)
        return sql.replace("%s", "?") if self.url.kind == "sqlite" else sql

    def _fetch(self, sql: str, params: Iterable[Any]) -> list[tuple[Any, ...]]:
        conn = self._connect()
        try:
            return list(conn.execute(self._sql(sql), list(params)).fetchall())
        finally:
            conn.close()

    def head(self) -> int:
        """The position of the newest event in the log (0 when empty)."""
        return int(self.app.recorder.max_notification_id() or 0)

    def changes(self, after: int, limit: int) -> list[tuple[int, str, str]]:
        """(position, person id, topic) of events after a position, oldest first."""
        rows = self._fetch(
            "SELECT {pos}, originator_id, topic FROM {table} WHERE {pos} > %s "
            "ORDER BY {pos} LIMIT %s",
            (after, limit),
        )
        return [(int(pos), str(oid), topic) for pos, oid, topic in rows]

    def states(self, person_ids: Iterable[str], upto: int) -> dict[str, PersonState]:
        """Each person's state from their events at or before a position."""
        ids = sorted(set(person_ids))
        if not ids:
            return {}
        params: list[Any]
        if self.url.kind == "postgres":
            where, params = "originator_id = ANY(%s)", [[UUID(i) for i in ids]]
        else:
            where = f"originator_id IN ({', '.join(['%s'] * len(ids))})"
            params = [UUID(i).hex for i in ids]
        rows = self._fetch(
            f"SELECT originator_id, originator_version, topic, state FROM {{table}} "
            f"WHERE {where} AND {{pos}} <= %s AND topic LIKE %s "
            "ORDER BY originator_id, originator_version",
            [*params, upto, PERSON_TOPICS],
        )
        return {s.person_id: s for s in self._fold_rows(rows)}

    def stream_states(
        self, upto: int, after_person: str | None = None, fetch: int = 2000
    ) -> Iterator[PersonState]:
        """Every person's state at a position, in person-id order, from after a given person."""
        start = after_person or ""
        conn = self._connect()
        try:
            if self.url.kind == "postgres":
                start_value: Any = UUID(start) if start else UUID(int=0)
                op = ">" if start else ">="
                with conn.transaction(), conn.cursor(name="journey_stream") as cur:
                    cur.itersize = fetch
                    cur.execute(
                        self._sql(
                            "SELECT originator_id, originator_version, topic, state FROM {table} "
                            f"WHERE originator_id {op} %s AND {{pos}} <= %s AND topic LIKE %s "
                            "ORDER BY originator_id, originator_version"
                        ),
                        [start_value, upto, PERSON_TOPICS],
                    )
                    yield from self._fold_rows(cur)
            else:
                # The SQLite store keeps ids as hex text, so order and compare in that form.
                after = UUID(start).hex if start else ""
                cur = conn.execute(
                    self._sql(
                        "SELECT originator_id, originator_version, topic, state FROM {table} "
                        "WHERE originator_id > %s AND {pos} <= %s AND topic LIKE %s "
                        "ORDER BY originator_id, originator_version"
                    ),
                    [after, upto, PERSON_TOPICS],
                )
                yield from self._fold_rows(cur)
        finally:
            conn.close()

    def _fold_rows(self, rows: Iterable[tuple[Any, ...]]) -> Iterator[PersonState]:
        """Group rows by person (they arrive in id, version order) and derive each state."""
        current: Person | None = None
        current_id: Any = None
        for oid, version, topic, state in rows:
            if oid != current_id:
                if current is not None:
                    yield _state(current)
                current, current_id = None, oid
            event = self._decode(oid, version, topic, state)
            current = cast(Person, event.mutate(current))
        if current is not None:
            yield _state(current)

    def recorded_at(self, position: int) -> datetime | None:
        """When the event at a position was recorded (its library timestamp)."""
        rows = self._fetch(
            "SELECT originator_id, originator_version, topic, state FROM {table} WHERE {pos} = %s",
            [position],
        )
        if not rows:
            return None
        return self._decode(*rows[0]).timestamp

    def _decode(self, oid: Any, version: int, topic: str, state: Any) -> PersonEvent:
        stored = StoredEvent(
            originator_id=oid, originator_version=version, topic=topic, state=bytes(state)
        )
        return cast(PersonEvent, self.app.mapper.to_domain_event(stored))


def _state(person: Person) -> PersonState:
    state = person.state()
    assert state is not None
    return state
