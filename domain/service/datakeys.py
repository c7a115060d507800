"""Per-person data keys (crypto-shredding): each person's events are encrypted with a key of
their own, so destroying that key erases every copy of their events, backups included.

Keys live in a table beside the event log, wrapped by the application keyring when a key is
configured (unwrapped in development, where they are still destroyable). A stored row under a
data key starts with `PREFIX` and the key's id in clear; rows without it were written before
per-person keys, or belong to no person (batches), and are under the application key.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Cipher

from domain.erasure import Tombstone
from domain.service.storage import DatabaseURL

KEYS = "journey_data_keys"
DESTRUCTIONS = "journey_destruction_log"
PREFIX = b"\x00pk1"
ID_END = len(PREFIX) + 16


def key_id_of(state: bytes) -> bytes | None:
    """The data key id a stored row names in clear, if it is under a data key."""
    return state[len(PREFIX) : ID_END] if state[: len(PREFIX)] == PREFIX else None


@dataclass(frozen=True)
class DataKey:
    key_id: bytes
    person_id: UUID
    material: bytes | None  # as stored (wrapped when a key is configured); None once destroyed
    tombstone: Tombstone | None = None


class KeyStore(ABC):
    """The table of data keys, and the destruction log that says which were destroyed."""

    def __init__(self, wrapper: Cipher | None) -> None:
        self.wrapper = wrapper

    def wrap(self, raw: bytes) -> bytes:
        return self.wrapper.encrypt(raw) if self.wrapper else raw

    def unwrap(self, stored: bytes) -> bytes:
        return self.wrapper.decrypt(stored) if self.wrapper else stored

    @abstractmethod
    def create(self, person_ids: Sequence[UUID]) -> None:
        """A key for each person who has none, in one statement."""

    @abstractmethod
    def by_people(self, person_ids: Sequence[UUID]) -> list[DataKey]: ...

    @abstractmethod
    def by_id(self, key_id: bytes) -> DataKey | None: ...

    @abstractmethod
    def following(self, key_id: bytes, limit: int) -> list[DataKey]:
        """The key and those of the people after its person, in person order: read ahead for
        a reader going through the log person by person (a rebuild, a verify)."""

    @abstractmethod
    def destroyed_since(self, after: int) -> tuple[int, list[bytes]]:
        """Key ids destroyed by erasures logged after an entry, and the newest entry's id."""

    def row(self, key_id: Any, person: Any, material: Any, at: Any, rule: Any) -> DataKey:
        tomb = Tombstone(date.fromisoformat(str(at)[:10]), str(rule)) if at else None
        mat = bytes(material) if material is not None else None
        who = person if type(person) is UUID else UUID(str(person))  # text on SQLite
        return DataKey(bytes(key_id), who, mat, tomb)


class MemoryKeys(KeyStore):
    """Keys of the in-memory store (tests): destroyed by `destroy`."""

    def __init__(self, wrapper: Cipher | None) -> None:
        super().__init__(wrapper)
        self.keys: dict[bytes, DataKey] = {}
        self.people: dict[UUID, bytes] = {}
        self.destroyed: list[bytes] = []

    def create(self, person_ids: Sequence[UUID]) -> None:
        for person in person_ids:
            if person not in self.people:
                key = DataKey(os.urandom(16), person, self.wrap(os.urandom(32)))
                self.keys[key.key_id], self.people[person] = key, key.key_id

    def by_people(self, person_ids: Sequence[UUID]) -> list[DataKey]:
        return [self.keys[self.people[p]] for p in person_ids if p in self.people]

    def by_id(self, key_id: bytes) -> DataKey | None:
        return self.keys.get(key_id)

    def following(self, key_id: bytes, limit: int) -> list[DataKey]:
        found = self.keys.get(key_id)
        return [found] if found else []

    def destroy(self, person_id: UUID, tombstone: Tombstone) -> None:
        key_id = self.people[person_id]
        self.keys[key_id] = DataKey(key_id, person_id, None, tombstone)
        self.destroyed.append(key_id)

    def destroyed_since(self, after: int) -> tuple[int, list[bytes]]:
        return len(self.destroyed), self.destroyed[after:]


class SqlKeys(KeyStore):
    """Keys in a PostgreSQL schema or a SQLite file, beside the event log."""

    def __init__(self, url: DatabaseURL, wrapper: Cipher | None) -> None:
        super().__init__(wrapper)
        self.url, self.lock, self.conn = url, threading.Lock(), None
        self.postgres = url.kind == "postgres"
        self.keys = f"{url.schema}.{KEYS}" if self.postgres else KEYS
        self.log = f"{url.schema}.{DESTRUCTIONS}" if self.postgres else DESTRUCTIONS

    def _open(self) -> Any:
        if self.postgres:
            import psycopg

            return psycopg.connect(
                self.url.conninfo(), autocommit=True, options=self.url.session_options()
            )
        return sqlite3.connect(
            self.url.path, timeout=30, isolation_level=None, check_same_thread=False
        )

    @contextmanager
    def cursor(self) -> Iterator[Any]:
        with self.lock:
            if self.conn is None:
                self.conn = self._open()
            try:
                yield self.conn
            except Exception:
                self.close()
                raise

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def sql(self, text: str) -> str:
        text = text.replace("{keys}", self.keys).replace("{log}", self.log)
        return text if self.postgres else text.replace("%s", "?")

    def ensure(self) -> None:
        """The key table and the destruction log (idempotent)."""
        with self.cursor() as c:
            for statement in ddl("postgres" if self.postgres else "sqlite"):
                c.execute(self.sql(statement))

    def create(self, person_ids: Sequence[UUID]) -> None:
        rows = [(os.urandom(16), self.stored(p), self.wrap(os.urandom(32))) for p in person_ids]
        if not rows:
            return
        with self.cursor() as c:
            if self.postgres:
                c.execute(
                    self.sql(
                        "INSERT INTO {keys} (key_id, person_id, material) SELECT * FROM "
                        "unnest(%s::bytea[], %s::uuid[], %s::bytea[]) "
                        "ON CONFLICT (person_id) DO NOTHING"
                    ),
                    [list(column) for column in zip(*rows, strict=True)],
                )
                return
            c.executemany(
                self.sql(
                    "INSERT OR IGNORE INTO {keys} (key_id, person_id, material) VALUES (%s, %s, %s)"
                ),
                rows,
            )

    def stored(self, person: UUID) -> Any:
        return person if self.postgres else str(person)

    COLUMNS = "key_id, person_id, material, erased_at, rule"

    def by_people(self, person_ids: Sequence[UUID]) -> list[DataKey]:
        ids = [self.stored(p) for p in person_ids]
        with self.cursor() as c:
            if self.postgres:
                sql = f"SELECT {self.COLUMNS} FROM {{keys}} WHERE person_id = ANY(%s)"
                # Planned afresh each time: sessions that kept a plan were seen scanning the
                # whole table for each lookup, on a server that was not analysing it.
                rows = c.execute(self.sql(sql), [ids], prepare=False).fetchall()
            else:
                rows = []
                for start in range(0, len(ids), 500):
                    chunk = ids[start : start + 500]
                    marks = ", ".join(["?"] * len(chunk))
                    sql = f"SELECT {self.COLUMNS} FROM {{keys}} WHERE person_id IN ({marks})"
                    rows += c.execute(self.sql(sql), chunk).fetchall()
        return [self.row(*r) for r in rows]

    def by_id(self, key_id: bytes) -> DataKey | None:
        with self.cursor() as c:
            found = c.execute(
                self.sql(f"SELECT {self.COLUMNS} FROM {{keys}} WHERE key_id = %s"), [key_id]
            ).fetchone()
        return self.row(*found) if found else None

    def following(self, key_id: bytes, limit: int) -> list[DataKey]:
        sql = (
            f"SELECT {self.COLUMNS} FROM {{keys}} WHERE person_id >= (SELECT person_id FROM "
            "{keys} WHERE key_id = %s) ORDER BY person_id LIMIT %s"
        )
        with self.cursor() as c:
            rows = c.execute(self.sql(sql), [key_id, limit]).fetchall()
        return [self.row(*r) for r in rows]

    def destroyed_since(self, after: int) -> tuple[int, list[bytes]]:
        with self.cursor() as c:
            rows = c.execute(
                self.sql("SELECT id, key_ids FROM {log} WHERE id > %s ORDER BY id"), [after]
            ).fetchall()
        ids = [bytes.fromhex(k) for _, keys in rows for k in str(keys).split(",") if k]
        return (int(rows[-1][0]) if rows else after), ids


def ddl(dialect: str) -> list[str]:
    blob, ts = ("BYTEA", "TIMESTAMPTZ") if dialect == "postgres" else ("BLOB", "TEXT")
    uuid = "UUID" if dialect == "postgres" else "TEXT"
    serial = "BIGSERIAL PRIMARY KEY" if dialect == "postgres" else "INTEGER PRIMARY KEY"
    return [
        f"CREATE TABLE IF NOT EXISTS {{keys}} (key_id {blob} PRIMARY KEY, person_id {uuid} "
        f"NOT NULL UNIQUE, material {blob}, erased_at {ts}, rule TEXT)",
        # Who, when, which rule, what was destroyed (counts, internal ids and key ids): no
        # personal data. Never updated or deleted.
        f"CREATE TABLE IF NOT EXISTS {{log}} (id {serial}, at {ts} NOT NULL, "
        "user_name TEXT NOT NULL, rule TEXT NOT NULL, reason TEXT NOT NULL, "
        "base_record INTEGER NOT NULL, person_ids TEXT NOT NULL, key_ids TEXT NOT NULL, "
        "destroyed TEXT NOT NULL)",
        *append_only(dialect),
    ]


def append_only(dialect: str) -> list[str]:
    """The destruction log refuses updates and deletes, as the access log does."""
    refusal = "'the destruction log is append-only'"
    if dialect == "postgres":
        return [
            "CREATE OR REPLACE FUNCTION {log}_append_only() RETURNS trigger LANGUAGE plpgsql "
            f"AS $$ BEGIN RAISE EXCEPTION {refusal}; END $$",
            "DROP TRIGGER IF EXISTS append_only ON {log}",
            "CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON {log} "
            "FOR EACH ROW EXECUTE FUNCTION {log}_append_only()",
            "DROP TRIGGER IF EXISTS no_truncate ON {log}",
            "CREATE TRIGGER no_truncate BEFORE TRUNCATE ON {log} "
            "FOR EACH STATEMENT EXECUTE FUNCTION {log}_append_only()",
        ]
    return [
        f"CREATE TRIGGER IF NOT EXISTS {DESTRUCTIONS}_no_{change} BEFORE {change.upper()} ON "
        f"{{log}} BEGIN SELECT RAISE(ABORT, {refusal}); END"
        for change in ("update", "delete")
    ]
