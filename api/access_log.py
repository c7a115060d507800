"""The access log: who consulted or was sent which person's data, when, why and for whom.

Append-only (the database refuses updates and deletes), written and committed before any
response carrying the data is sent, and writable through no route.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from projections.db import ReadDb
from projections.verify import normal

TABLE = "access_log"


@dataclass(frozen=True)
class Access:
    """One disclosure of one person's data (or of a page with no person, like a roll count)."""

    user: str
    roles: str
    action: str
    request_id: str
    person_id: str | None = None
    purpose: str | None = None
    recipient: str | None = None
    detail: str | None = None
    at: datetime | None = None
    id: int | None = None


def ddl(dialect: str) -> list[str]:
    if dialect == "postgres":
        return [
            f"CREATE TABLE IF NOT EXISTS {TABLE} (id BIGSERIAL PRIMARY KEY, at TIMESTAMPTZ NOT "
            "NULL, user_name TEXT NOT NULL, roles TEXT NOT NULL, action TEXT NOT NULL, "
            "person_id TEXT, purpose TEXT, recipient TEXT, request_id TEXT NOT NULL, detail TEXT)",
            f"CREATE INDEX IF NOT EXISTS {TABLE}_person ON {TABLE} (person_id, at)",
            f"CREATE INDEX IF NOT EXISTS {TABLE}_user ON {TABLE} (user_name, at)",
            f"CREATE INDEX IF NOT EXISTS {TABLE}_at ON {TABLE} (at)",
            "CREATE OR REPLACE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql "
            "AS $$ BEGIN RAISE EXCEPTION 'the access log is append-only'; END $$",
            f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}",
            f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION access_log_append_only()",
            f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}",
            f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION access_log_append_only()",
        ]
    return [
        f"CREATE TABLE IF NOT EXISTS {TABLE} (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT "
        "NULL, user_name TEXT NOT NULL, roles TEXT NOT NULL, action TEXT NOT NULL, person_id "
        "TEXT, purpose TEXT, recipient TEXT, request_id TEXT NOT NULL, detail TEXT)",
        f"CREATE INDEX IF NOT EXISTS {TABLE}_person ON {TABLE} (person_id, at)",
        f"CREATE INDEX IF NOT EXISTS {TABLE}_user ON {TABLE} (user_name, at)",
        f"CREATE INDEX IF NOT EXISTS {TABLE}_at ON {TABLE} (at)",
        f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE} "
        "BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END",
        f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE} "
        "BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END",
    ]


COLUMNS = "user_name, roles, action, person_id, purpose, recipient, request_id, detail, at"
ROW = ", ".join(["%s"] * 9)


class AccessLog:
    """Records disclosures; auditors query them by person, user and time."""

    def __init__(self, db: ReadDb) -> None:
        self.db = db

    def ensure(self) -> None:
        with self.db.transaction() as cur:
            if self.db.dialect == "postgres":
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (7_310_222,))
            for statement in ddl(self.db.dialect):
                cur.execute(statement)

    def record(self, entries: list[Access]) -> None:
        """Write and commit every entry, or raise: the caller must then withhold the data."""
        now = datetime.now(UTC)
        rows = [
            (
                e.user,
                e.roles,
                e.action,
                e.person_id,
                e.purpose,
                e.recipient,
                e.request_id,
                e.detail,
                e.at or now,
            )
            for e in entries
        ]
        # Chunks of one multi-row statement each, in one transaction; a single row (the common
        # case) is one autocommitted statement: one round trip on PostgreSQL.
        if len(rows) == 1:
            self.db.execute(f"INSERT INTO {TABLE} ({COLUMNS}) VALUES ({ROW})", rows[0])
            return
        with self.db.transaction() as cur:
            for start in range(0, len(rows), 500):
                chunk = rows[start : start + 500]
                cur.execute(
                    f"INSERT INTO {TABLE} ({COLUMNS}) VALUES "
                    + ", ".join([f"({ROW})"] * len(chunk)),
                    [value for row in chunk for value in row],
                )

    async def read_logged(
        self, select: str, params: Sequence[Any], entry: Access
    ) -> tuple[Any, ...] | None:
        """Run a query for at most one row whose first column is a person id, and log the
        disclosure of that person (`entry`, its person id filled in) with it: on PostgreSQL
        one autocommitted statement from the event loop, so the row never comes back without
        its committed log entry; elsewhere the read, then the entry. Raises if it cannot log."""
        entry = replace(entry, at=entry.at or datetime.now(UTC))
        if self.db.dialect != "postgres":
            return await asyncio.to_thread(self.read_then_log, select, params, entry)
        logged = (
            f"WITH found AS ({select}), logged AS (INSERT INTO {TABLE} ({COLUMNS}) "
            "SELECT %s, %s, %s, found.person_id, %s, %s, %s, %s, %s FROM found RETURNING 1) "
            "SELECT found.* FROM found, logged"
        )
        e = entry
        values = (e.user, e.roles, e.action, e.purpose, e.recipient, e.request_id, e.detail, e.at)
        rows = await self.db.aquery(logged, [*params, *values])
        return rows[0] if rows else None

    def read_then_log(
        self, select: str, params: Sequence[Any], entry: Access
    ) -> tuple[Any, ...] | None:
        rows = self.db.query(select, params)
        if not rows:
            return None
        self.record([replace(entry, person_id=str(rows[0][0]))])
        return rows[0]

    def query(
        self,
        *,
        person_id: str | None = None,
        user: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        after_id: int = 0,
        limit: int = 100,
    ) -> list[Access]:
        """Entries matching every filter given, oldest first, after an id (for paging)."""
        clauses: list[str] = ["id > %s"]
        params: list[Any] = [after_id]
        for column, value in (("person_id", person_id), ("user_name", user)):
            if value is not None:
                clauses.append(f"{column} = %s")
                params.append(value)
        if since is not None:
            clauses.append("at >= %s")
            params.append(since)
        if until is not None:
            clauses.append("at < %s")
            params.append(until)
        rows = self.db.query(
            f"SELECT id, {COLUMNS} FROM {TABLE} WHERE {' AND '.join(clauses)} "
            f"ORDER BY id LIMIT {int(limit)}",
            params,
        )
        return [_access(row) for row in rows]


def _access(row: tuple[Any, ...]) -> Access:
    id_, user, roles, action, person, purpose, recipient, request_id, detail, at = row
    moment = datetime.fromisoformat(normal(at, "ts"))
    return Access(
        user, roles, action, request_id, person, purpose, recipient, detail, moment, int(id_)
    )
