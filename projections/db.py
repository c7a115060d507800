"""A thin database layer for read models: one interface, PostgreSQL and SQLite behind it.

SQL is written once with `%s` placeholders; the SQLite side rewrites them. Dates and times are
stored natively on PostgreSQL and as ISO text (UTC) on SQLite, and come back as Python values.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any, Protocol

import psycopg
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from domain.service.storage import DatabaseURL

# How long a caller waits for a pooled connection before the pool gives up (PoolTimeout,
# an OperationalError): short, so a request during an outage fails fast (503) rather than
# hangs; a healthy pool hands out a connection in well under a millisecond.
POOL_WAIT = 3.0


class Cursor(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any: ...
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any: ...
    def fetchall(self) -> list[tuple[Any, ...]]: ...
    def fetchone(self) -> tuple[Any, ...] | None: ...
    def copy(self, statement: str) -> Any: ...


class ReadDb(ABC):
    """Where read models live."""

    dialect: str

    @abstractmethod
    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Cursor]:
        """One transaction: committed on success, rolled back on any error."""

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.transaction(write=False) as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """One statement, committed when it returns."""
        with self.transaction() as cur:
            cur.execute(sql, params)

    async def aopen(self) -> None:  # noqa: B027  # a database with nothing to open
        """Make ready for `aquery`; called from the event loop that will use it."""

    async def aquery(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """`query` for a caller on the event loop; one autocommitted statement."""
        return await asyncio.to_thread(self.query, sql, params)

    async def aclose(self) -> None:  # noqa: B027
        """Release what `aopen` took."""

    def reachable(self) -> bool:
        """Whether the database answers now."""
        return True

    @abstractmethod
    def close(self) -> None: ...


class PostgresDb(ReadDb):
    dialect = "postgres"

    def __init__(self, url: DatabaseURL, pool_size: int = 4) -> None:
        self.schema, self.url, self.pool_size = url.schema, url, pool_size
        self.pool = ConnectionPool(
            url.conninfo(),
            min_size=1,
            max_size=pool_size,
            open=True,
            timeout=POOL_WAIT,
            kwargs=self.session(),
        )
        self.apool: AsyncConnectionPool | None = None
        self.checking: asyncio.Task[None] | None = None

    def session(self) -> dict[str, Any]:
        return {"options": f"-c search_path={self.schema},public", "autocommit": True}

    async def aopen(self) -> None:
        # Connections of the event loop's own: a query from there needs no worker thread.
        # Half the pool opens at once, so a burst of reads does not wait on new connections.
        self.apool = AsyncConnectionPool(
            self.url.conninfo(),
            min_size=max(1, self.pool_size // 2),
            max_size=self.pool_size,
            open=False,
            timeout=POOL_WAIT,
            kwargs=self.session(),
        )
        await self.apool.open()

    async def aquery(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self.apool is None:
            return await super().aquery(sql, params)
        # As `recovering`, but the check runs as its own task.
        try:
            async with self.apool.connection() as conn:
                cursor = await conn.execute(sql, params)
                return await cursor.fetchall()
        except psycopg.OperationalError as exc:
            if lost(exc) and (self.checking is None or self.checking.done()):
                self.checking = asyncio.create_task(self.apool.check())
            raise

    async def aclose(self) -> None:
        if self.apool is not None:
            await self.apool.close()
            self.apool = None

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Cursor]:
        with (
            self.recovering(),
            self.pool.connection() as conn,
            conn.transaction(),
            conn.cursor() as cur,
        ):
            yield cur

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        # One statement on an autocommit connection: a single round trip, no BEGIN/COMMIT.
        with self.recovering(), self.pool.connection() as conn:
            return conn.execute(sql, params).fetchall()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with self.recovering(), self.pool.connection() as conn:
            conn.execute(sql, params)

    @contextmanager
    def recovering(self) -> Iterator[None]:
        """On a connection failure, test the pool's idle connections and replace the broken
        ones: after a restart or a network cut they are all broken, and each would otherwise
        fail one more request before the pool noticed."""
        try:
            yield
        except psycopg.OperationalError as exc:
            if lost(exc):
                self.pool.check()
            raise

    def reachable(self) -> bool:
        # A new connection, not a pooled one: pooled connections may be stale either way.
        try:
            with psycopg.connect(self.url.conninfo(), connect_timeout=2, **self.session()) as c:
                c.execute("SELECT 1")
        except psycopg.Error:
            return False
        return True

    def close(self) -> None:
        self.pool.close()


def lost(exc: psycopg.OperationalError) -> bool:
    """A failure of the connection itself (no server error code, a connection exception, or
    the server shutting down), rather than of one statement (a lock, a cancel, a deadlock)."""
    return exc.sqlstate is None or exc.sqlstate.startswith(("08", "57P"))


class _SqliteCursor:
    """Rewrites placeholders and converts dates, so callers write one SQL for both stores."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._cursor.execute(sql.replace("%s", "?"), [to_sqlite(v) for v in params])

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any:
        converted = [[to_sqlite(v) for v in row] for row in rows]
        return self._cursor.executemany(sql.replace("%s", "?"), converted)

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._cursor.fetchall()

    def fetchone(self) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = self._cursor.fetchone()
        return row

    def copy(self, statement: str) -> Any:
        msg = "COPY is a PostgreSQL statement"
        raise NotImplementedError(msg)


class SqliteDb(ReadDb):
    dialect = "sqlite"

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Cursor]:
        conn = self._connection()
        cursor = conn.cursor()
        cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield _SqliteCursor(cursor)
        except BaseException:
            conn.rollback()
            raise
        else:
            conn.commit()
        finally:
            cursor.close()

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()


def to_sqlite(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def open_read_db(url: DatabaseURL, pool_size: int = 4) -> ReadDb:
    """The read-model database for a store URL: the same database as the events."""
    if url.kind == "postgres":
        return PostgresDb(url, pool_size)
    if url.kind == "sqlite":
        return SqliteDb(url.path)
    msg = "read models need PostgreSQL or SQLite, not the in-memory store"
    raise ValueError(msg)


__all__ = ["Cursor", "PostgresDb", "ReadDb", "SqliteDb", "open_read_db", "psycopg"]
