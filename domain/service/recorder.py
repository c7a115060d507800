"""The PostgreSQL event recorder: saves in one round trip, and a short retry, so a command fails
fast (503) while the database is out of reach instead of after the library's own ten attempts.

A save is one statement: a function of the store's own (created with its table) takes the
table's `EXCLUSIVE` lock, as the library's pipeline does, so notification ids become visible
in commit order; leaves out any save whose kept aggregates changed since they were read
(answering which); NOTIFYs the listeners; inserts the rows; and, the connection being in
autocommit, commits as the statement ends. The library's pipeline sends the same work as
five statements, a sync and a commit. (The library's own database function is not used: it
skips the lock.)

The library retries each read and write ten times, each attempt waiting up to the pool's
timeout for a connection: about fifty seconds before a caller hears anything during an outage.
Here a failed attempt tests the pool's idle connections, dropping those that died with the
server (a restart, a network cut), and tries once more: that rides over a dead connection,
and fails within two pool timeouts when the database is really gone.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Composed, Identifier, Literal

from domain.erasure import SHREDDED_TOPIC
from domain.service.arrays import Byteas, Int8s, Texts, Uuids, ready
from domain.service.group_commit import Saving, grouped, plain
from domain.service.kept import Guard, StaleKept
from domain.service.key_reading import KeyReading

WAIT = 0.2  # seconds before the second attempt
FEW_GUARDS = 4  # kept aggregates a save checks one by one; more, in one statement
# How long one attempt waits for a pooled connection, in seconds (POSTGRES_CONNECT_TIMEOUT).
POOL_WAIT = 2


def _short(method: Any) -> Any:
    """The library's method without its retry wrapper, tried at most twice instead."""
    inner = getattr(method, "__wrapped__", method)  # the library's, without its retries

    @functools.wraps(inner)
    def attempt(self: PostgresApplicationRecorder, *args: Any, **kwargs: Any) -> Any:
        try:
            return inner(self, *args, **kwargs)
        except (InterfaceError, OperationalError):
            self.datastore.pool.check()
            time.sleep(WAIT)
            return inner(self, *args, **kwargs)

    return attempt


class FailFastRecorder(PostgresApplicationRecorder):
    """The application recorder, saving in one statement, its retried reads and writes given
    one retry each."""

    guards_saves = True  # a save checks the kept aggregates it names (see `Kept`)

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        schema, table = datastore.schema, self.events_table_name
        name = Identifier(schema, append_function(table))
        self.sql_create_statements.append(
            SQL(
                "CREATE OR REPLACE FUNCTION {name}(ids uuid[], versions bigint[], "
                "topics text[], states bytea[], saves bigint[], kept uuid[], "
                "kept_versions bigint[], kept_saves bigint[]) "
                "RETURNS TABLE(place bigint, row_id uuid, row_version bigint, row_topic text, "
                "row_state bytea) LANGUAGE plpgsql AS $f$ "
                "DECLARE stale bigint[] := ARRAY[]::bigint[]; "
                "dropped bigint[] := ARRAY[]::bigint[]; newest bigint; newest_topic text; "
                "BEGIN LOCK TABLE {table} IN EXCLUSIVE MODE; "
                # Kept aggregates changed since read (newest row not as read, or shredded),
                # each answered as minus its place among them; their saves are left out.
                # A command's few are looked up one by one, a cached plan each (a guarded
                # one-row save cost the server 0.23-0.25 ms so, 0.29-0.34 through the
                # statement below); a group's many in that one statement.
                "IF cardinality(kept) BETWEEN 1 AND {few} THEN "
                "FOR i IN 1..cardinality(kept) LOOP "
                "SELECT h.originator_version, h.topic INTO newest, newest_topic FROM {table} h "
                "WHERE h.originator_id = kept[i] ORDER BY h.originator_version DESC LIMIT 1; "
                "IF newest IS DISTINCT FROM kept_versions[i] OR newest_topic = {shredded} THEN "
                "stale := stale || i::bigint; dropped := dropped || kept_saves[i]; END IF; "
                "END LOOP; "
                "ELSIF cardinality(kept) > {few} THEN "
                "SELECT coalesce(array_agg(k.n), ARRAY[]::bigint[]), "
                "coalesce(array_agg(kept_saves[k.n]), ARRAY[]::bigint[]) INTO stale, dropped "
                "FROM unnest(kept, kept_versions) WITH ORDINALITY AS k(id, version, n) "
                "WHERE NOT EXISTS (SELECT FROM (SELECT originator_version, topic FROM {table} "
                "WHERE originator_id = k.id ORDER BY originator_version DESC LIMIT 1) AS h "
                "WHERE h.originator_version = k.version AND h.topic <> {shredded}); END IF; "
                "IF cardinality(stale) > 0 THEN "
                "RETURN QUERY SELECT -s, NULL::uuid, NULL::bigint, NULL::text, NULL::bytea "
                "FROM unnest(stale) AS s; "
                # With each, the rows stored since it was read, complete under the lock:
                # its caller catches up with them rather than reading them again.
                "RETURN QUERY SELECT -k.n, e.originator_id, e.originator_version, e.topic, "
                "e.state FROM unnest(kept, kept_versions) WITH ORDINALITY AS k(id, version, n) "
                "JOIN {table} e ON e.originator_id = k.id AND e.originator_version > k.version "
                "WHERE k.n = ANY(stale) ORDER BY k.n, e.originator_version; END IF; "
                # Listeners are told when anything is written (a condition without a query
                # when nothing was left out).
                "IF cardinality(dropped) = 0 THEN NOTIFY {channel}; "
                "ELSIF EXISTS (SELECT FROM unnest(saves) AS s WHERE s <> ALL(dropped)) "
                "THEN NOTIFY {channel}; END IF; "
                "RETURN QUERY INSERT INTO {table} AS t "
                "(originator_id, originator_version, topic, state) "
                "SELECT e.id, e.version, e.topic, e.state "
                "FROM unnest(ids, versions, topics, states, saves) "
                "AS e(id, version, topic, state, save) WHERE e.save <> ALL(dropped) "
                "RETURNING t.notification_id, NULL::uuid, NULL::bigint, NULL::text, "
                "NULL::bytea; END $f$"
            ).format(
                name=name,
                table=Identifier(schema, table),
                channel=Identifier(self.channel_name),
                shredded=Literal(SHREDDED_TOPIC),
                few=Literal(FEW_GUARDS),
            )
        )
        arguments = SQL(", ").join([SQL("%b")] * 8)
        self.append_statement = SQL("SELECT * FROM {0}({1})").format(name, arguments)
        self._append_sql: bytes | None = None  # the statement's text, made once
        self._reads: dict[tuple[bool, bool, bool, bool], bytes] = {}
        # Data keys read with the rows that need them (see `with_keys`).
        self.keys: KeyReading | None = None
        self._keyed: dict[bool, bytes] = {}
        self.ahead = threading.local()  # rows read ahead in this thread (see `reading_ahead`)

    def append(
        self, stored_events: Sequence[StoredEvent], guard: Guard | None = None, **kwargs: Any
    ) -> Sequence[int] | None:
        """Stored events saved in one round trip, refused with `StaleKept` if an aggregate the
        guard names has changed since it was read (those with other arguments, such as a
        tracking record, by the library's pipeline)."""
        if not plain(kwargs) or not stored_events:
            assert not guard, "a guarded save has no other arguments"
            return PostgresApplicationRecorder.insert_events.__wrapped__(  # type: ignore[no-any-return]
                self, stored_events, **kwargs
            )
        [outcome] = self.append_saves([(stored_events, guard or {})])
        if isinstance(outcome, StaleKept):
            raise outcome
        return outcome

    def append_saves(self, saves: Sequence[Saving]) -> list[list[int] | StaleKept]:
        """Several saves in one transaction, each with its own outcome: its notification ids,
        or `StaleKept` when an aggregate its guard names has changed (that save alone is left
        out). Any other refusal, such as a version already taken, refuses them all."""
        params = (
            Uuids(e.originator_id for events, _ in saves for e in events),
            Int8s(e.originator_version for events, _ in saves for e in events),
            Texts(e.topic for events, _ in saves for e in events),
            Byteas(e.state for events, _ in saves for e in events),
            Int8s(n for n, (events, _) in enumerate(saves) for _e in events),
            Uuids(aid for _, guard in saves for aid in guard),
            Int8s(version for _, guard in saves for version in guard.values()),
            Int8s(n for n, (_, guard) in enumerate(saves) for _g in guard),
        )
        with (
            self.datastore.get_connection() as conn,
            ready(conn).cursor(binary=True, row_factory=tuple_row) as curs,
        ):
            assert conn.autocommit  # the statement is its own transaction, lock and all
            if self._append_sql is None:
                self._append_sql = self.append_statement.as_bytes(conn)
            curs.execute(self._append_sql, params, prepare=True)
            return outcomes(saves, curs.fetchall())

    def read(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        """An aggregate's stored events, as the library selects them, by a statement made
        once for each shape of request (the library composes it anew for every read)."""
        shape = (gt is not None, lte is not None, desc, limit is not None)
        if shape == (False, False, False, False) and self.keys is not None:
            found = self._read_keyed(originator_id)
            if found is not None:
                return found
        else:
            self.ahead.rows = None  # rows read ahead serve only the read that comes next
        params = [originator_id, *(v for v in (gt, lte, limit) if v is not None)]
        with (
            self.datastore.get_connection() as conn,
            conn.cursor(binary=True, row_factory=tuple_row) as curs,
        ):
            sql = self._reads.get(shape)
            if sql is None:
                sql = self._reads[shape] = self._read_statement(*shape).as_bytes(conn)
            curs.execute(sql, params, prepare=True)
            return [StoredEvent(*row) for row in curs.fetchall()]

    def with_keys(self, keys: KeyReading) -> None:
        """Read an aggregate's data key with its rows when it is not cached: an identifier
        claim's rows (under its holder's key) and a person met for the first time would
        otherwise each wait for a second round trip, to fetch the key alone."""
        self.keys = keys

    @contextmanager
    def reading_ahead(self) -> Iterator[None]:
        """Within the block, this thread's read of a claim also brings the rows of the person
        whose key it is under (its holder), for the read of that person that follows: a
        command or query naming a person by an identifier reads both in one round trip.
        Rows read ahead are used only within the block, and only by the next read."""
        was = getattr(self.ahead, "on", False)
        self.ahead.on, self.ahead.rows = True, None
        try:
            yield
        finally:
            self.ahead.on, self.ahead.rows = was, None

    def _read_keyed(self, originator_id: UUID | str) -> Sequence[StoredEvent] | None:
        """A whole read by way of the key statement; None for a plain read instead."""
        assert self.keys is not None
        oid = originator_id if isinstance(originator_id, UUID) else UUID(originator_id)
        ahead = getattr(self.ahead, "on", False)
        held = getattr(self.ahead, "rows", None)
        self.ahead.rows = None
        if held is not None and held[0] == oid:
            rows: Sequence[StoredEvent] = held[1]
            return rows  # read with the claim just before, in the same statement
        if self.keys.known(oid):  # the key is cached: nothing to bring
            return None
        with (
            self.datastore.get_connection() as conn,
            conn.cursor(binary=True, row_factory=tuple_row) as curs,
        ):
            sql = self._keyed.get(ahead)
            if sql is None:
                sql = self._keyed[ahead] = self._keyed_statement(ahead).as_bytes(conn)
            curs.execute(sql, [oid, oid, oid] if ahead else [oid, oid], prepare=True)
            found = curs.fetchall()
        own, others, keys = [], [], []
        for row in found:
            if row[0] is None:
                keys.append(row[4:9])
            elif row[0] == oid:
                own.append(StoredEvent(*row[:4]))
            else:
                others.append(StoredEvent(*row[:4]))
        if keys:
            self.keys.found(keys)
        if ahead and others:
            self.ahead.rows = (others[0].originator_id, others)
        return own

    def _keyed_statement(self, ahead: bool) -> Composed:
        """The aggregate's rows, then the data key its newest row is under (named in clear
        by the row's prefix), then (reading ahead) the rows of that key's person, if another
        aggregate's; each part in order."""
        assert self.keys is not None
        prefix = self.keys.prefix
        table = Identifier(self.datastore.schema, self.events_table_name)
        nothing = SQL("NULL::bytea, NULL::uuid, NULL::bytea, NULL::timestamptz, NULL::text")
        others = SQL(
            " UNION ALL SELECT e.originator_id, e.originator_version, e.topic, e.state, "
            "{nothing}, 2 FROM {table} e JOIN k ON e.originator_id = k.person_id "
            "WHERE k.person_id <> %s"
        ).format(nothing=nothing, table=table)
        return SQL(
            "WITH k AS (SELECT key_id, person_id, material, erased_at, rule FROM {keys} "
            "WHERE key_id = (SELECT substring(state FROM {start} FOR {length}) FROM {table} "
            "WHERE originator_id = %s AND substring(state FROM 1 FOR {start_less}) = {prefix} "
            "ORDER BY originator_version DESC LIMIT 1)) "
            "SELECT originator_id, originator_version, topic, state, {nothing}, 0 AS part "
            "FROM {table} WHERE originator_id = %s "
            "UNION ALL SELECT NULL, NULL, NULL, NULL, key_id, person_id, material, erased_at, "
            "rule, 1 FROM k{others} ORDER BY part, originator_version"
        ).format(
            keys=Identifier(self.datastore.schema, self.keys.table),
            table=table,
            start=Literal(len(prefix) + 1),
            length=Literal(self.keys.id_length),
            start_less=Literal(len(prefix)),
            prefix=Literal(prefix),
            nothing=nothing,
            others=others if ahead else SQL(""),
        )

    def _read_statement(self, gt: bool, lte: bool, desc: bool, limit: bool) -> Composed:
        return SQL(
            "SELECT originator_id, originator_version, topic, state FROM {table} "
            "WHERE originator_id = %s{gt}{lte} ORDER BY originator_version {order}{limit}"
        ).format(
            table=Identifier(self.datastore.schema, self.events_table_name),
            gt=SQL(" AND originator_version > %s" if gt else ""),
            lte=SQL(" AND originator_version <= %s" if lte else ""),
            order=SQL("DESC" if desc else "ASC"),
            limit=SQL(" LIMIT %s" if limit else ""),
        )

    # Concurrent saves in one process share a transaction (see group_commit).
    insert_events = grouped(_short(append), _short(append_saves))
    select_events = _short(read)
    select_notifications = _short(PostgresApplicationRecorder.select_notifications)
    max_notification_id = _short(PostgresApplicationRecorder.max_notification_id)


TOPIC = f"{__name__}:{FailFastRecorder.__name__}"


def outcomes(
    saves: Sequence[Saving], found: Sequence[tuple[Any, ...]]
) -> list[list[int] | StaleKept]:
    """Each save's outcome from the rows the save function returned: the kept aggregates found
    changed (each as minus its place among all the guards' aggregates, from 1, then the rows
    stored since it was read, under the same place), then the ids of the other saves' rows."""
    if not found or found[0][0] >= 0:  # nothing stale (the stale come first): the usual case
        ids = iter(row[0] for row in found)
        return [[next(ids) for _ in events] for events, _ in saves]
    guarded = [(n, aid) for n, (_, guard) in enumerate(saves) for aid in guard]
    changed: dict[int, dict[UUID, list[StoredEvent]]] = {}
    for row in found:
        if row[0] >= 0:
            break
        n, aid = guarded[-row[0] - 1]
        since = changed.setdefault(n, {}).setdefault(aid, [])
        if row[1] is not None:
            since.append(StoredEvent(*row[1:]))
    ids = iter(row[0] for row in found if row[0] >= 0)
    return [
        StaleKept("a kept aggregate changed in the store", changed[n], changed[n])
        if n in changed
        else [next(ids) for _ in events]
        for n, (events, _) in enumerate(saves)
    ]


def append_function(table: str) -> str:
    """The name of a store's save function: its table's, so two stores in a schema keep apart."""
    return f"{table}_save"[: PostgresApplicationRecorder.MAX_IDENTIFIER_LEN]
