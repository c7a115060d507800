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
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.cipher import AESCipher
from eventsourcing.persistence import Cipher
from eventsourcing.utils import Environment

from domain.erasure import Tombstone
from domain.service.storage import DatabaseURL

KEYS = "journey_data_keys"
DESTRUCTIONS = "journey_destruction_log"
PREFIX = b"\x00pk1"
ID_END = len(PREFIX) + 16
POLL = 1.0  # seconds between looks for keys destroyed by another process


def key_id_of(state: bytes) -> bytes | None:
    """The data key id a stored row names in clear, if it is under a data key."""
    return state[len(PREFIX) : ID_END] if state[: len(PREFIX)] == PREFIX else None


def aes(raw: bytes) -> AESCipher:
    from base64 import b64encode

    return AESCipher(Environment(env={AESCipher.CIPHER_KEY: b64encode(raw).decode()}))


@dataclass(frozen=True)
class DataKey:
    key_id: bytes
    person_id: UUID
    material: bytes | None  # None once destroyed
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
    def destroyed_since(self, after: int) -> tuple[int, list[bytes]]:
        """Key ids destroyed by erasures logged after an entry, and the newest entry's id."""

    def row(self, key_id: Any, person: Any, material: Any, at: Any, rule: Any) -> DataKey:
        tomb = Tombstone(date.fromisoformat(str(at)[:10]), str(rule)) if at else None
        mat = self.unwrap(bytes(material)) if material is not None else None
        return DataKey(bytes(key_id), UUID(str(person)), mat, tomb)


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
        found = [self.keys[self.people[p]] for p in person_ids if p in self.people]
        return [self.row(k.key_id, k.person_id, k.material, None, None) for k in found]

    def by_id(self, key_id: bytes) -> DataKey | None:
        key = self.keys.get(key_id)
        if key is None or key.material is None:
            return key
        return self.row(key.key_id, key.person_id, key.material, None, None)

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
                rows = c.execute(self.sql(sql), [ids]).fetchall()
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
    ]


class DataKeyCipher(Cipher):
    """Encrypts a person's event state under their data key, and decrypts any stored row:
    under a data key (named by its prefix) or, without one, under the application cipher.
    Whose key encrypts is set per thread by the mapper (`owner`); no owner, the app's."""

    def __init__(self, store: KeyStore, app_cipher: Cipher | None) -> None:
        # Built from a key store, not the library's environment.
        self.store, self.app_cipher = store, app_cipher
        self.owner = threading.local()
        self.by_person: dict[UUID, tuple[bytes, AESCipher]] = {}
        self.by_key: dict[bytes, AESCipher | Tombstone | None] = {}
        self.seen, self.polled = 0, 0.0
        self.lock = threading.Lock()

    def prepare_keys(self, person_ids: Iterable[UUID]) -> None:
        """Make sure each person has a key, creating the missing ones in one statement and
        caching them all: call once before encoding a bulk load's events."""
        self.forget_destroyed()
        missing = [p for p in dict.fromkeys(person_ids) if p not in self.by_person]
        if not missing:
            return
        found = self._cache(self.store.by_people(missing))
        new = [p for p in missing if p not in found]
        if new:
            self.store.create(new)
            self._cache(self.store.by_people(new))

    def _cache(self, keys: list[DataKey]) -> set[UUID]:
        with self.lock:
            for key in keys:
                if key.material is None:
                    self.by_key[key.key_id] = key.tombstone
                    continue
                cipher = aes(key.material)
                self.by_person[key.person_id] = (key.key_id, cipher)
                self.by_key[key.key_id] = cipher
        return {k.person_id for k in keys}

    def encrypt(self, plaintext: bytes) -> bytes:
        person = getattr(self.owner, "person", None)
        if person is None:
            return self.app_cipher.encrypt(plaintext) if self.app_cipher else plaintext
        return self.encrypt_for(person, plaintext)

    def encrypt_for(self, person_id: UUID, plaintext: bytes) -> bytes:
        if person_id not in self.by_person:
            self.prepare_keys([person_id])
        found = self.by_person.get(person_id)
        if found is None:
            tomb = next((k.tombstone for k in self.store.by_people([person_id])), None)
            raise (tomb or Tombstone(date.today(), "unknown")).error()
        key_id, cipher = found
        return PREFIX + key_id + cipher.encrypt(plaintext)

    def decrypt(self, state: bytes) -> bytes:
        key_id = key_id_of(state)
        cipher = self.cipher(key_id) if key_id is not None else None
        if cipher is None:  # old rows, batches: the application key (or none)
            return self.app_cipher.decrypt(state) if self.app_cipher else state
        if isinstance(cipher, Tombstone):
            raise cipher.error()
        return cipher.decrypt(state[ID_END:])

    def tombstone(self, state: bytes) -> Tombstone | None:
        """The base record of the erased person whose key a row names, if so."""
        key_id = key_id_of(state)
        try:
            found = self.cipher(key_id) if key_id is not None else None
        except ValueError:  # a key the keyring cannot unwrap: `decrypt` says so
            return None
        return found if isinstance(found, Tombstone) else None

    def cipher(self, key_id: bytes) -> AESCipher | Tombstone | None:
        """The key's cipher, its tombstone once destroyed, or None for an unknown id (a row
        under the application key whose ciphertext happens to begin like a prefix)."""
        self.forget_destroyed()
        if key_id not in self.by_key:
            key = self.store.by_id(key_id)
            if key is None:
                return None
            self._cache([key])
        return self.by_key.get(key_id)

    def forget_destroyed(self) -> None:
        """Drop keys another process destroyed: looked for at most once a second."""
        now = time.monotonic()
        if now - self.polled < POLL:
            return
        self.polled = now
        self.seen, destroyed = self.store.destroyed_since(self.seen)
        if destroyed:
            self.forget(destroyed)

    def forget(self, key_ids: Iterable[bytes]) -> None:
        gone = set(key_ids)
        with self.lock:
            for key_id in gone:
                self.by_key.pop(key_id, None)
            for person, (key_id, _) in list(self.by_person.items()):
                if key_id in gone:
                    del self.by_person[person]
