"""Key rotation: rewrite each stored event's ciphertext under the current key.

The plaintext of every event is unchanged (no event is altered, only how it is stored), so the
log, its positions and the read models stay exactly as they were. Rows are rewritten in small
transactions in key order; rows already under the current key are skipped, so a run that stops
part way is simply run again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from eventsourcing.utils import Environment

from domain.errors import InvalidValue
from domain.service.application import JourneyApp, cipher_env
from domain.service.keyring import KeyringCipher
from domain.service.settings import Settings

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Rotation:
    """What a re-encryption run did."""

    rows: int
    rewritten: int


def keyring(settings: Settings) -> KeyringCipher:
    if not settings.cipher_key:
        raise InvalidValue("JOURNEY_CIPHER_KEY", "set the new key to re-encrypt under it")
    return KeyringCipher(Environment(env=cipher_env(settings)))


def reencrypt(app: JourneyApp, *, batch: int = 500, progress: Progress | None = None) -> Rotation:
    """Rewrite every row not yet under the current key; old keys decrypt, the current encrypts."""
    ring = keyring(app.settings)
    table = events_table(app)
    rows = rewritten = 0
    after: tuple[Any, int] | None = None
    with connection(app.settings) as db:
        while True:
            found = db.select(table, after, batch)
            if not found:
                return Rotation(rows, rewritten)
            changed = [
                (ring.encrypt(ring.decrypt(bytes(state))), oid, version, bytes(state))
                for oid, version, state in found
                if not ring.is_current(bytes(state))
            ]
            db.update(table, changed)
            rows, rewritten = rows + len(found), rewritten + len(changed)
            after = (found[-1][0], found[-1][1])
            if progress is not None:
                progress(rows, rewritten)


def events_table(app: JourneyApp) -> str:
    table: str = app.recorder.events_table_name  # type: ignore[attr-defined]
    url = app.settings.database
    if url.kind == "memory":
        raise InvalidValue("JOURNEY_DATABASE_URL", "the in-memory store keeps nothing at rest")
    return f"{url.schema}.{table}" if url.kind == "postgres" else table


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
            f"SELECT originator_id, originator_version, state FROM {table} {where}"
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
