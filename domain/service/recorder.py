"""The PostgreSQL event recorder: saves in one round trip, and a short retry, so a command fails
fast (503) while the database is out of reach instead of after the library's own ten attempts.

A save is one statement: a function of the store's own (created with its table) takes the
table's `EXCLUSIVE` lock, as the library's pipeline does, so notification ids become visible
in commit order; NOTIFYs the listeners; inserts the rows; and, the connection being in
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
import time
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Composed, Identifier, Literal

from domain.erasure import SHREDDED_TOPIC
from domain.service.arrays import Byteas, Int8s, Texts, Uuids, ready
from domain.service.group_commit import grouped, plain
from domain.service.kept import Guard, StaleKept

WAIT = 0.2  # seconds before the second attempt
# How long one attempt waits for a pooled connection, in seconds (POSTGRES_CONNECT_TIMEOUT).
POOL_WAIT = 2
STALE = "JK001"  # the SQLSTATE of a save refused because a kept aggregate changed


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
                "topics text[], states bytea[], kept uuid[], kept_versions bigint[]) "
                "RETURNS SETOF bigint LANGUAGE plpgsql AS $f$ "
                "BEGIN LOCK TABLE {table} IN EXCLUSIVE MODE; "
                # Kept aggregates must still be as they were read: newest row, not shredded.
                "IF EXISTS (SELECT FROM unnest(kept, kept_versions) AS k(id, version) "
                "WHERE NOT EXISTS (SELECT FROM (SELECT originator_version, topic FROM {table} "
                "WHERE originator_id = k.id ORDER BY originator_version DESC LIMIT 1) AS h "
                "WHERE h.originator_version = k.version AND h.topic <> {shredded})) "
                "THEN RAISE EXCEPTION 'a kept aggregate changed in the store' "
                "USING ERRCODE = {stale}; END IF; "
                "NOTIFY {channel}; "
                "RETURN QUERY INSERT INTO {table} "
                "(originator_id, originator_version, topic, state) "
                "SELECT * FROM unnest(ids, versions, topics, states) "
                "RETURNING notification_id; END $f$"
            ).format(
                name=name,
                table=Identifier(schema, table),
                channel=Identifier(self.channel_name),
                shredded=Literal(SHREDDED_TOPIC),
                stale=Literal(STALE),
            )
        )
        self.append_statement = SQL("SELECT {0}(%b, %b, %b, %b, %b, %b)").format(name)
        self._append_sql: bytes | None = None  # the statement's text, made once
        self._reads: dict[tuple[bool, bool, bool, bool], bytes] = {}

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
        guard = guard or {}
        params = (
            Uuids(e.originator_id for e in stored_events),
            Int8s(e.originator_version for e in stored_events),
            Texts(e.topic for e in stored_events),
            Byteas(e.state for e in stored_events),
            Uuids(guard),
            Int8s(guard.values()),
        )
        with (
            self.datastore.get_connection() as conn,
            ready(conn).cursor(binary=True, row_factory=tuple_row) as curs,
        ):
            assert conn.autocommit  # the statement is its own transaction, lock and all
            if self._append_sql is None:
                self._append_sql = self.append_statement.as_bytes(conn)
            try:
                curs.execute(self._append_sql, params, prepare=True)
            except psycopg.Error as error:
                if error.sqlstate == STALE:
                    raise StaleKept(str(error)) from None
                raise
            return [row[0] for row in curs.fetchall()]

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
    insert_events = grouped(_short(append))
    select_events = _short(read)
    select_notifications = _short(PostgresApplicationRecorder.select_notifications)
    max_notification_id = _short(PostgresApplicationRecorder.max_notification_id)


TOPIC = f"{__name__}:{FailFastRecorder.__name__}"


def append_function(table: str) -> str:
    """The name of a store's save function: its table's, so two stores in a schema keep apart."""
    return f"{table}_append"[: PostgresApplicationRecorder.MAX_IDENTIFIER_LEN]
