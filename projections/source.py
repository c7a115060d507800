"""Reads the event store for read models: positions, and people's histories up to a position.

It reads the store's own table directly (decoding through the application's mapper), so one
query fetches many people's histories, and a rebuild can stream every history in person order.
"""

from __future__ import annotations

import contextlib
import queue
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import tuple_row
from psycopg.types.string import ByteaBinaryLoader

from domain.claims import claim_id
from domain.person.aggregate import Person
from domain.person.events import PersonEvent
from domain.person.state import PersonState
from domain.service.application import JourneyApp, replay_events
from domain.service.collector import fewer_collections
from domain.service.decoding import Decoder
from domain.service.storage import DatabaseURL

PERSON_TOPICS = "domain.person.%"
# Young objects between cyclic collections while reading in bulk: every event decoded is a
# few new containers, so at the default (700) a collection runs every few dozen events.
BULK_GC_THRESHOLD = 50_000


def bulk_reading() -> AbstractContextManager[None]:
    """The collector run less often while bulk reads or rebuilds allocate."""
    return fewer_collections(BULK_GC_THRESHOLD)


class EventSource:
    """The event log, seen from the read side."""

    def __init__(self, app: JourneyApp) -> None:
        self.app = app
        self.decoder = Decoder(app.mapper)
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
        # The thread of a `kept` block while one runs, and its connection once opened.
        self._kept: tuple[int, list[Any]] | None = None

    @contextlib.contextmanager
    def kept(self) -> Iterator[None]:
        """One connection kept for this thread's queries until the block ends, rather than
        one opened for each: a load asks two short queries of every chunk of people, a
        follower of the log two every step, and on PostgreSQL opening a connection cost as
        much as both. Opened at the first query, and opened again after one that broke it (a
        follower outlives an outage)."""
        if self.url.kind != "postgres" or self._kept is not None:
            yield
            return
        held: list[Any] = []
        self._kept = (threading.get_ident(), held)
        try:
            yield
        finally:
            self._kept = None
            for conn in held:
                conn.close()

    def _kept_connection(self) -> Any:
        """This thread's kept connection (opened now if none is open), or None outside a
        `kept` block of this thread."""
        kept = self._kept
        if kept is None or kept[0] != threading.get_ident():
            return None
        held = kept[1]
        if held and (held[0].closed or held[0].broken):
            held.pop().close()
        if not held:
            held.append(self._connect())
        return held[0]

    def _pool(self) -> Any:
        """The application's pool of PostgreSQL connections, if it has one: borrowing costs
        nothing, where opening a connection costs about 4 ms."""
        datastore = getattr(self.app.recorder, "datastore", None)
        return datastore if self.url.kind == "postgres" and hasattr(datastore, "pool") else None

    def _connect(self) -> Any:
        if self.url.kind == "postgres":
            return psycopg.connect(self.url.conninfo(), autocommit=True)
        conn = sqlite3.connect(self.url.path, timeout=30, isolation_level=None)
        return conn

    def _sql(self, sql: str) -> str:
        sql = sql.replace("{table}", self.table).replace("{pos}", self.position_col)
        return sql.replace("%s", "?") if self.url.kind == "sqlite" else sql

    def _fetch(
        self, sql: str, params: Iterable[Any], *, raw_ids: bool = False
    ) -> list[tuple[Any, ...]]:
        """The rows of one query; with `raw_ids`, PostgreSQL's ids come as their 16 bytes (for
        `_uuid`), to be grouped by a comparison in C and made a UUID once per person."""
        kept = self._kept_connection()
        if kept is not None:
            return self._rows(kept, sql, params, raw_ids=raw_ids)
        pooled = self._pool()
        if pooled is not None:  # a query now and then (a feed page): the store's own pool
            with pooled.get_connection() as conn:
                return self._rows(conn, sql, params, raw_ids=raw_ids)
        conn = self._connect()
        try:
            return self._rows(conn, sql, params, raw_ids=raw_ids)
        finally:
            conn.close()

    def _rows(
        self, conn: Any, sql: str, params: Iterable[Any], *, raw_ids: bool
    ) -> list[tuple[Any, ...]]:
        if self.url.kind == "postgres":  # binary: no hex to undo for each row's state
            with conn.cursor(binary=True, row_factory=tuple_row) as cur:
                if raw_ids:
                    cur.adapters.register_loader("uuid", ByteaBinaryLoader)
                return list(cur.execute(self._sql(sql), list(params)).fetchall())
        return list(conn.execute(self._sql(sql), list(params)).fetchall())

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

    def events_after(self, after: int, limit: int) -> list[tuple[int, PersonEvent]]:
        """People's events after a position, oldest first, with their positions."""
        rows = self._fetch(
            "SELECT {pos}, originator_id, originator_version, topic, state FROM {table} "
            "WHERE {pos} > %s AND topic LIKE %s ORDER BY {pos} LIMIT %s",
            (after, PERSON_TOPICS, limit),
        )
        self.decoder.forget()
        return [
            (int(pos), self._decode(oid, v, topic, state)) for pos, oid, v, topic, state in rows
        ]

    def states(self, person_ids: Iterable[str], upto: int) -> dict[str, PersonState]:
        """Each person's state from their events at or before a position."""
        rows = self._person_rows(person_ids, upto)
        return {s.person_id: s for s in self._fold_rows(rows)}

    def _person_rows(self, person_ids: Iterable[str], upto: int | None) -> list[tuple[Any, ...]]:
        """The people's events in history order, at or before a position if one is given."""
        ids = sorted(set(person_ids))
        if not ids:
            return []
        where, params = self._id_filter(ids)
        cut = " AND {pos} <= %s" if upto is not None else ""
        return self._fetch(
            f"SELECT originator_id, originator_version, topic, state FROM {{table}} "
            f"WHERE {where}{cut} AND topic LIKE %s ORDER BY originator_id, originator_version",
            [*params, *([upto] if upto is not None else []), PERSON_TOPICS],
            raw_ids=True,
        )

    def people(self, person_ids: Iterable[str]) -> dict[str, Person]:
        """Each person's aggregate at the head of the log, in one query (ids not found are left
        out); a bulk path for loads and corrections that touch many people."""
        return self.people_of(self.people_rows(person_ids))

    def people_rows(self, person_ids: Iterable[str]) -> list[tuple[Any, ...]]:
        """The stored rows `people` reads, their data keys cached as well: for a caller that
        reads ahead (in a thread of its own) while it works."""
        ids = list(person_ids)
        keys = self.decoder.keys
        if keys is not None:  # ids not found have no key: none is made for them
            keys.load_keys(UUID(i) for i in ids)
        return self._person_rows(ids, None)

    def people_of(self, rows: list[tuple[Any, ...]]) -> dict[str, Person]:
        """The aggregates in the rows `people_rows` read."""
        with bulk_reading():
            return self._people(rows)

    def _people(self, rows: list[tuple[Any, ...]]) -> dict[str, Person]:
        self.decoder.forget()  # their keys cached as `people_rows` read them
        found: dict[str, Person] = {}
        history: list[PersonEvent] = []
        current_id: Any = None
        person_id: UUID | None = None
        for oid, version, topic, state in rows:
            if oid != current_id:
                if history:
                    person = Person.from_history(history)
                    found[str(person.id)] = person
                history, current_id, person_id = [], oid, _uuid(oid)
            history.append(self._decode(person_id, version, topic, state))
        if history:
            person = Person.from_history(history)
            found[str(person.id)] = person
        return found

    def holders(self, keys: Iterable[str]) -> dict[str, UUID]:
        """The person holding each identifier key ("NOMS:A1234BC"), from every claim's events
        in one query; keys no one holds are left out."""
        by_claim = {claim_id(key): key for key in set(keys)}
        if not by_claim:
            return {}
        where, params = self._uuid_filter(sorted(by_claim))
        rows = self._fetch(
            f"SELECT originator_id, originator_version, topic, state FROM {{table}} "
            f"WHERE {where} ORDER BY originator_id, originator_version",
            params,
        )
        histories: dict[UUID, list[Any]] = {}
        self.decoder.forget()
        for oid, version, topic, state in rows:
            claim = oid if isinstance(oid, UUID) else UUID(oid)
            histories.setdefault(claim, []).append(self.decoder(oid, version, topic, state))
        return {
            by_claim[claim]: replay_events(None, events).person_id
            for claim, events in histories.items()
        }

    def stream_states(
        self,
        upto: int,
        after_person: str | None = None,
        *,
        include_start: bool = False,
        before: str = "",
        fetch: int = 2000,
    ) -> Iterator[PersonState]:
        """Every person's state at a position, in person-id order: those after `after_person`
        (or from it, with `include_start`) and before `before`, when given."""
        postgres = self.url.kind == "postgres"

        def stored(person: str) -> Any:
            # PostgreSQL compares uuids; the SQLite store keeps ids as hex text.
            return UUID(person) if postgres else UUID(person).hex

        clauses, params = ["{pos} <= %s", "topic LIKE %s"], [upto, PERSON_TOPICS]
        if after_person:
            clauses.append(f"originator_id {'>=' if include_start else '>'} %s")
            params.append(stored(after_person))
        if before:
            clauses.append("originator_id < %s")
            params.append(stored(before))
        sql = self._sql(
            "SELECT originator_id, originator_version, topic, state FROM {table} "
            f"WHERE {' AND '.join(clauses)} ORDER BY originator_id, originator_version"
        )
        conn = self._connect()
        try:
            if postgres:
                with Prefetch(conn, sql, params, fetch) as rows:
                    yield from self._fold_rows(rows)
            else:
                yield from self._fold_rows(conn.execute(sql, params))
        finally:
            conn.close()

    def _fold_rows(self, rows: Iterable[tuple[Any, ...]]) -> Iterator[PersonState]:
        """Group rows by person (they arrive in id, version order) and derive each state."""
        history: list[PersonEvent] = []
        current_id: Any = None
        decode = self.decoder
        decode.forget()
        person: UUID | None = None
        for oid, version, topic, state in rows:
            if oid != current_id:
                if history:
                    yield _state(Person.from_history(history))
                history, current_id, person = [], oid, _uuid(oid)
            history.append(decode(person, version, topic, state))
        if history:
            yield _state(Person.from_history(history))

    def _id_filter(self, ids: list[str]) -> tuple[str, list[Any]]:
        return self._uuid_filter([UUID(i) for i in ids])

    def _uuid_filter(self, ids: list[UUID]) -> tuple[str, list[Any]]:
        # PostgreSQL compares uuids; the SQLite store keeps ids as hex text.
        if self.url.kind == "postgres":
            return "originator_id = ANY(%s)", [ids]
        return f"originator_id IN ({', '.join(['%s'] * len(ids))})", [i.hex for i in ids]

    def recorded_at(self, position: int) -> datetime | None:
        """When the event at a position was recorded (its library timestamp)."""
        rows = self._fetch(
            "SELECT originator_id, originator_version, topic, state FROM {table} WHERE {pos} = %s",
            [position],
        )
        if not rows:
            return None
        self.decoder.forget()
        return self._decode(*rows[0]).timestamp

    def _decode(self, oid: Any, version: int, topic: str, state: Any) -> PersonEvent:
        return self.decoder(oid, version, topic, state)


class Prefetch:
    """The rows of one query through a server-side cursor, the next batch fetched in a thread
    while the caller works on these: the server finds rows while the caller decodes."""

    def __init__(self, conn: Any, sql: str, params: list[Any], fetch: int) -> None:
        self.conn, self.sql, self.params, self.fetch = conn, sql, params, fetch
        self.batches: queue.Queue[list[Any] | BaseException | None] = queue.Queue(maxsize=2)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._produce, name="stream-fetch", daemon=True)

    def __enter__(self) -> Iterator[tuple[Any, ...]]:
        self.thread.start()
        return self._rows()

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        while self.thread.is_alive():  # a full queue holds the thread: make room
            with contextlib.suppress(queue.Empty):
                self.batches.get(timeout=0.05)
        self.thread.join()

    def _rows(self) -> Iterator[tuple[Any, ...]]:
        while True:
            batch = self.batches.get()
            if batch is None:
                return
            if isinstance(batch, BaseException):
                raise batch
            yield from batch

    def _produce(self) -> None:
        try:
            with (
                self.conn.transaction(),
                self.conn.cursor(name="journey_stream", binary=True) as cur,
            ):
                # Ids as their 16 bytes: compared in C, one UUID made per person, not per row.
                cur.adapters.register_loader("uuid", ByteaBinaryLoader)
                cur.execute(self.sql, self.params)
                while not self.stop.is_set():
                    batch = cur.fetchmany(self.fetch)
                    self._put(batch or None)
                    if not batch:
                        return
        except BaseException as exc:  # the caller raises it, in its own thread
            self._put(exc)

    def _put(self, item: list[Any] | BaseException | None) -> None:
        while not self.stop.is_set():
            with contextlib.suppress(queue.Full):
                self.batches.put(item, timeout=0.05)
                return


def _uuid(oid: Any) -> UUID:
    """A stored person id as a UUID: as it came, from its 16 bytes, or from its text."""
    if isinstance(oid, UUID):
        return oid
    return UUID(bytes=oid) if type(oid) is bytes else UUID(oid)


def _state(person: Person) -> PersonState:
    state = person.state(checked=False)
    assert state is not None
    return state
