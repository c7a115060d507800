"""Key rotation: rewrap every person's data key under the current application key, and
rewrite each stored event still under the application key.

Events under a person's data key are not touched (only the data key is rewrapped). A row
written before per-person keys is moved under its person's data key (a batch record, which
belongs to no one person, under the current application key). The meaning of every event is
unchanged, so the log, its positions and the read models stay exactly as they were. Rows are
rewritten in small transactions in key order; rows already done are skipped, so a run that
stops part way is simply run again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import Environment

from domain.erasure import SHREDDED_TOPIC
from domain.errors import InvalidValue
from domain.service.application import JourneyApp, cipher_env
from domain.service.datakeys import KEYS, key_id_of
from domain.service.keyed_mapper import owner
from domain.service.keyring import KeyringCipher
from domain.service.settings import Settings

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Rotation:
    """What a re-encryption run did: rows read and rewritten, data keys rewrapped."""

    rows: int
    rewritten: int
    keys: int = 0


def keyring(settings: Settings) -> KeyringCipher:
    if not settings.cipher_key:
        raise InvalidValue("JOURNEY_CIPHER_KEY", "set the new key to re-encrypt under it")
    return KeyringCipher(Environment(env=cipher_env(settings)))


def reencrypt(app: JourneyApp, *, batch: int = 500, progress: Progress | None = None) -> Rotation:
    """Rewrap the data keys, then rewrite every row still under the application key that is
    not yet where it belongs (its person's data key, or the current application key)."""
    ring = keyring(app.settings)
    table = events_table(app)
    keys = rewrap(app, ring, batch)
    rows = rewritten = 0
    after: tuple[Any, int] | None = None
    with connection(app.settings) as db:
        while True:
            found = db.select(table, after, batch)
            if not found:
                return Rotation(rows, rewritten, keys)
            changed = [
                (new, row[0], row[1], bytes(row[3]))
                for row in found
                if (new := moved(app, ring, row)) is not None
            ]
            db.update(table, changed)
            rows, rewritten = rows + len(found), rewritten + len(changed)
            after = (found[-1][0], found[-1][1])
            if progress is not None:
                progress(rows, rewritten)


def moved(app: JourneyApp, ring: KeyringCipher, row: tuple[Any, ...]) -> bytes | None:
    """The row's new ciphertext, or None when it is already where it belongs."""
    oid, version, topic, state = row[0], row[1], row[2], bytes(row[3])
    if key_id_of(state) is not None or topic == SHREDDED_TOPIC:
        return None  # under a data key (rewrapped above), or shredded
    stored = StoredEvent(
        originator_id=oid if isinstance(oid, UUID) else UUID(str(oid)),
        originator_version=version,
        topic=topic,
        state=state,
    )
    event = app.mapper.to_domain_event(stored)
    if owner(event) is None and ring.is_current(state):
        return None
    return app.mapper.to_stored_event(event).state


def rewrap(app: JourneyApp, ring: KeyringCipher, batch: int) -> int:
    """Every live data key wrapped again under the current key; returns how many changed."""
    done = 0
    with connection(app.settings) as db:
        for key_id, material in db.conn.execute(
            f"SELECT key_id, material FROM {keys_table(app)} WHERE material IS NOT NULL"
        ).fetchall():
            if ring.is_current(bytes(material)):
                continue
            fresh = ring.encrypt(ring.decrypt(bytes(material)))
            db.rewrap(keys_table(app), fresh, bytes(key_id), bytes(material))
            done += 1
    return done


def events_table(app: JourneyApp) -> str:
    table: str = app.recorder.events_table_name  # type: ignore[attr-defined]
    url = app.settings.database
    if url.kind == "memory":
        raise InvalidValue("JOURNEY_DATABASE_URL", "the in-memory store keeps nothing at rest")
    return f"{url.schema}.{table}" if url.kind == "postgres" else table


def keys_table(app: JourneyApp) -> str:
    url = app.settings.database
    return f"{url.schema}.{KEYS}" if url.kind == "postgres" else KEYS


class Rows:
    """Keyset pages of stored events, and compare-and-set updates of their ciphertext."""

    def __init__(self, conn: Any, mark: str) -> None:
        self.conn, self.mark = conn, mark

    def select(
        self, table: str, after: tuple[Any, int] | None, limit: int
    ) -> list[tuple[Any, ...]]:
        m = self.mark
        where = "" if after is None else f"WHERE (originator_id, originator_version) > ({m}, {m}) "
        sql = (
            f"SELECT originator_id, originator_version, topic, state FROM {table} {where}"
            f"ORDER BY originator_id, originator_version LIMIT {m}"
        )
        return list(self.conn.execute(sql, (*(after or ()), limit)).fetchall())

    def update(self, table: str, changed: list[tuple[bytes, Any, int, bytes]]) -> None:
        # One transaction per page: a page is rewritten whole or not at all. The old ciphertext
        # is part of the condition, so a row is never overwritten from a stale read.
        m = self.mark
        sql = (
            f"UPDATE {table} SET state = {m} WHERE originator_id = {m} "
            f"AND originator_version = {m} AND state = {m}"
        )
        with self.transaction():
            for params in changed:
                self.conn.execute(sql, params)

    def rewrap(self, table: str, material: bytes, key_id: bytes, old: bytes) -> None:
        m = self.mark
        sql = f"UPDATE {table} SET material = {m} WHERE key_id = {m} AND material = {m}"
        with self.transaction():
            self.conn.execute(sql, (material, key_id, old))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if isinstance(self.conn, sqlite3.Connection):
            with self.conn:
                yield
            return
        with self.conn.transaction():
            yield


@contextmanager
def connection(settings: Settings) -> Iterator[Rows]:
    url = settings.database
    if url.kind == "postgres":
        with psycopg.connect(url.conninfo(), autocommit=True) as pg:
            yield Rows(pg, "%s")
        return
    lite = sqlite3.connect(url.path, timeout=30)
    try:
        yield Rows(lite, "?")
    finally:
        lite.close()
