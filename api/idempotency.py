"""Idempotency keys: a retried command with the same key and body gets the first response;
the same key with a different body is refused."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from projections.db import ReadDb

TABLE = "idempotency_keys"


@dataclass(frozen=True)
class Stored:
    body_hash: str
    status: int
    response: bytes


def body_hash(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


class IdempotencyStore:
    """Responses kept per (caller, key)."""

    def __init__(self, db: ReadDb) -> None:
        self.db = db

    def ensure(self) -> None:
        blob = "BYTEA" if self.db.dialect == "postgres" else "BLOB"
        with self.db.transaction() as cur:
            if self.db.dialect == "postgres":
                # Concurrent CREATE TABLE IF NOT EXISTS can still collide in the catalogue.
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (7_310_223,))
            cur.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (user_name TEXT NOT NULL, key TEXT "
                f"NOT NULL, body_hash TEXT NOT NULL, status INTEGER NOT NULL, response "
                f"{blob} NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (user_name, key))"
            )

    def find(self, user: str, key: str) -> Stored | None:
        rows = self.db.query(
            f"SELECT body_hash, status, response FROM {TABLE} WHERE user_name = %s AND key = %s",
            (user, key),
        )
        return Stored(rows[0][0], int(rows[0][1]), bytes(rows[0][2])) if rows else None

    def keep(self, user: str, key: str, digest: str, status: int, response: bytes) -> None:
        """Remember a response; a concurrent first use of the same key keeps the earlier one."""
        with self.db.transaction() as cur:
            cur.execute(
                f"INSERT INTO {TABLE} VALUES (%s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (user_name, key) DO NOTHING",
                (user, key, digest, status, response, datetime.now(UTC).isoformat()),
            )
