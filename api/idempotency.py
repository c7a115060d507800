"""Idempotency keys: a retried command with the same key and body gets the first response;
the same key with a different body is refused.

A key is claimed in the database before the command runs (one row per caller and key, the
primary key deciding between racing requests, whichever worker or server they reach), so
exactly one request runs the command. A concurrent request with the same body waits for that
first response; one with another body is refused at once.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from api.problems import ProblemError
from projections.db import ReadDb

TABLE = "idempotency_keys"
# A claimed key's row holds this status until the first request's response is kept.
PENDING = 0
# How long a concurrent request waits for the first one's response before it is told to retry.
WAIT = timedelta(seconds=5)
# A claim older than this was left by a request that died (a killed server, a lost database):
# a retry takes it over. Every command is bounded well within it (pool 3 s, store 2 x 2 s);
# should one still be running, its entry's source_ref (the key) keeps it one record.
LEASE = timedelta(seconds=10)
RETRY_AFTER = "1"
V = TypeVar("V")


@dataclass(frozen=True)
class Stored:
    """A command's answer kept under its key: what was asked (hashed) and what was answered."""

    body_hash: str
    status: int
    response: bytes


@dataclass(frozen=True)
class Claim:
    """A key this request holds: it runs the command, then keeps or releases the key."""

    user: str
    key: str
    stamp: str  # when it was claimed; tells this claim from a later takeover


def body_hash(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def reused() -> ProblemError:
    return ProblemError(
        422,
        "idempotency-key-reused",
        "Idempotency-Key",
        "this key was used with a different request",
    )


class InProgress(ProblemError):
    """The key's first request is still running: answered 409 with `Retry-After`."""

    retry_after = RETRY_AFTER

    def __init__(self) -> None:
        super().__init__(
            409,
            "in-progress",
            "Idempotency-Key",
            "a request with this key is still in progress; send it again shortly for its answer",
        )


class IdempotencyStore:
    """Responses kept per (caller, key), each key claimed by one request at a time."""

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

    def once(
        self,
        user: str,
        key: str | None,
        digest: str,
        status: int,
        answer: Callable[[], tuple[V, bytes]],
    ) -> V | Stored:
        """`answer()` (the response and its JSON) run once per (user, key): a retry, or a
        concurrent twin, gets the kept response; a failure frees the key for a retry."""
        if key is None:
            return answer()[0]
        found = self.claim(user, key, digest)
        if isinstance(found, Stored):
            return found
        try:
            view, body = answer()
        except BaseException:
            self.release(found)
            raise
        self.complete(found, status, body)
        return view

    def claim(self, user: str, key: str, digest: str, wait: timedelta = WAIT) -> Claim | Stored:
        """The key for this request, or the response kept for it. Refused (ProblemError)
        when the key was used with another request, or its first request is still running
        after `wait`."""
        deadline = time.monotonic() + wait.total_seconds()
        pause = 0.01
        while True:
            taken = self.insert(user, key, digest)
            if taken is not None:
                return taken
            found = self.read(user, key)
            if found is None:
                continue  # released between the insert and the read: try again
            row, stamp = found
            if row.body_hash != digest:
                raise reused()
            if row.status != PENDING:
                return row
            if expired(stamp):
                taken = self.take_over(user, key, stamp)
                if taken is not None:
                    return taken
            if time.monotonic() >= deadline:
                raise InProgress
            time.sleep(pause)
            pause = min(pause * 2, 0.2)

    def insert(self, user: str, key: str, digest: str) -> Claim | None:
        stamp = now()
        return self.claimed(
            Claim(user, key, stamp),
            f"INSERT INTO {TABLE} VALUES (%s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (user_name, key) DO NOTHING RETURNING key",
            (user, key, digest, PENDING, b"", stamp),
        )

    def take_over(self, user: str, key: str, stamp: str) -> Claim | None:
        """A dead request's claim, taken by this one unless another retry took it first."""
        fresh = now()
        return self.claimed(
            Claim(user, key, fresh),
            f"UPDATE {TABLE} SET created_at = %s WHERE user_name = %s AND key = %s "
            "AND status = %s AND created_at = %s RETURNING key",
            (fresh, user, key, PENDING, stamp),
        )

    def claimed(self, claim: Claim, sql: str, params: tuple[object, ...]) -> Claim | None:
        """The claim, if the statement (returning the key's row when it wins) won it."""
        with self.db.transaction() as cur:
            cur.execute(sql, params)
            won = cur.fetchone() is not None
        return claim if won else None

    def complete(self, claim: Claim, status: int, response: bytes) -> None:
        """Keep the response for retries; nothing if another request took the claim over."""
        with self.db.transaction() as cur:
            cur.execute(
                f"UPDATE {TABLE} SET status = %s, response = %s WHERE user_name = %s AND "
                "key = %s AND status = %s AND created_at = %s",
                (status, response, claim.user, claim.key, PENDING, claim.stamp),
            )

    def release(self, claim: Claim) -> None:
        """Free the key after a failure, so a retry runs the command again. When the
        database itself failed this may fail too: the claim then lapses after `LEASE`."""
        # The command's own error is the one to report.
        with suppress(Exception), self.db.transaction() as cur:
            cur.execute(
                f"DELETE FROM {TABLE} WHERE user_name = %s AND key = %s AND status = %s "
                "AND created_at = %s",
                (claim.user, claim.key, PENDING, claim.stamp),
            )

    def read(self, user: str, key: str) -> tuple[Stored, str] | None:
        """The key's row and when it was claimed."""
        rows = self.db.query(
            f"SELECT body_hash, status, response, created_at FROM {TABLE} "
            "WHERE user_name = %s AND key = %s",
            (user, key),
        )
        if not rows:
            return None
        digest, status, response, stamp = rows[0]
        return Stored(digest, int(status), bytes(response)), str(stamp)

    def find(self, user: str, key: str) -> Stored | None:
        """A kept response (a key still claimed has none yet)."""
        found = self.read(user, key)
        return found[0] if found is not None and found[0].status != PENDING else None

    def keep(self, user: str, key: str, digest: str, status: int, response: bytes) -> None:
        """Remember a response; a concurrent first use of the same key keeps the earlier one."""
        with self.db.transaction() as cur:
            cur.execute(
                f"INSERT INTO {TABLE} VALUES (%s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (user_name, key) DO NOTHING",
                (user, key, digest, status, response, now()),
            )


def now() -> str:
    return datetime.now(UTC).isoformat()


def expired(stamp: str) -> bool:
    try:
        claimed = datetime.fromisoformat(stamp)
    except ValueError:
        return True
    return datetime.now(UTC) - claimed > LEASE
