"""The access log: who consulted or was sent which person's data, when, why and for whom.

Append-only (the database refuses updates and deletes), written and committed before any
response carrying the data is sent, and writable through no route.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from api.batching import Batcher
from projections import queries
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


# The one change the log allows: an erased person's id replaced by the destruction-log entry's
# pseudonym ("erased:12"), everything else as it was (DPA 2018 s.47 and s.62 together).
PSEUDONYMISING = (
    "NEW.person_id LIKE 'erased:%' AND OLD.person_id NOT LIKE 'erased:%' AND NEW.id = OLD.id "
    "AND NEW.at = OLD.at AND NEW.user_name = OLD.user_name AND NEW.action = OLD.action "
    "AND NEW.request_id = OLD.request_id"
)
# The access-log action of an erasure, and of its dry run.
ERASURE, ERASURE_PLAN = "person.erasure", "person.erasure-plan"


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
            f"AS $$ BEGIN IF TG_OP = 'UPDATE' THEN IF {PSEUDONYMISING} THEN RETURN NEW; END IF; "
            "END IF; RAISE EXCEPTION 'the access log is append-only'; END $$",
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
        f"DROP TRIGGER IF EXISTS {TABLE}_no_update",
        f"CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE} WHEN NOT "
        f"({PSEUDONYMISING}) BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END",
        f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE} "
        "BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END",
    ]


@dataclass(frozen=True)
class Lookup:
    """A where-is by identifier: `kind` and `value` as `identifier_key` gives them, `region`
    the only region whose cases the caller may see (None for any), and the entry to log."""

    kind: str
    value: str
    region: str | None
    entry: Access


COLUMNS = "user_name, roles, action, person_id, purpose, recipient, request_id, detail, at"
ROW = ", ".join(["%s"] * 9)


class AccessLog:
    """Records disclosures; auditors query them by person, user and time."""

    def __init__(self, db: ReadDb) -> None:
        self.db = db
        self.lookups = Batcher(self.read_logged_batch)

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

    async def read_logged(self, lookup: Lookup) -> tuple[Any, ...] | None:
        """The read models' record of the person a lookup names, with the disclosure logged:
        the row comes back only once its entry is committed, and None (nothing logged) when
        no one visible to the caller holds the identifier. On PostgreSQL, from the event loop,
        together with concurrent lookups in one statement; elsewhere in a worker thread.
        Raises if it cannot log."""
        if self.db.dialect != "postgres":
            return await asyncio.to_thread(self.read_then_log, lookup)
        return await self.lookups.submit(lookup)

    async def read_logged_batch(self, lookups: list[Lookup]) -> list[tuple[Any, ...] | None]:
        """Every lookup's record, read and logged in one autocommitted statement (PostgreSQL),
        so no row comes back without its committed entry; one result per lookup, in order."""
        now = datetime.now(UTC)
        params: list[Any] = []
        for n, lookup in enumerate(lookups):
            e = lookup.entry
            params += [n, lookup.kind, lookup.value, lookup.region]
            params += [e.user, e.roles, e.action, e.purpose, e.recipient, e.request_id, e.detail]
            params.append(e.at or now)
        rows = await self.db.aquery(batch_sql(len(lookups)), params)
        found = {int(row[0]): row[1:] for row in rows}
        return [found.get(n) for n in range(len(lookups))]

    def read_then_log(self, lookup: Lookup, source: ReadDb | None = None) -> tuple[Any, ...] | None:
        """The record read from `source` (a replica; by default the log's own database),
        then its disclosure committed to the log before it is returned."""
        clause, params = queries.BY_IDENTIFIER, [lookup.kind, lookup.value]
        if lookup.region is not None:
            clause, params = f"({clause}) AND o.region = %s", [*params, lookup.region]
        read = source or self.db
        rows = read.query(queries.person_record_sql(read.dialect, clause), params)
        if not rows:
            return None
        self.record([replace(lookup.entry, person_id=str(rows[0][0]))])
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


# One lookup's parameters in the batch statement: n, kind, value, region, then the entry's.
LOOKUP = (
    "(%s::int, %s::text, %s::text, %s::text, %s::text, %s::text, %s::text, %s::text, "
    "%s::text, %s::text, %s::text, %s::timestamptz)"
)


@lru_cache(maxsize=Batcher.MAX_ITEMS)
def batch_sql(size: int) -> str:
    """Reads the records of `size` lookups and logs each disclosure, in one statement. Every
    part of a statement is done or none is, so its rows never outlive a failed log write."""
    found = queries.person_records_sql("postgres", "req")
    return (
        "WITH req (n, kind, value, region, user_name, roles, action, purpose, recipient, "
        "request_id, detail, at) AS (VALUES " + ", ".join([LOOKUP] * size) + "), "
        f"found AS ({found}), "
        f"logged AS (INSERT INTO {TABLE} ({COLUMNS}) SELECT r.user_name, r.roles, r.action, "
        "f.person_id, r.purpose, r.recipient, r.request_id, r.detail, r.at "
        "FROM found f JOIN req r ON r.n = f.n) "
        "SELECT * FROM found"
    )


def _access(row: tuple[Any, ...]) -> Access:
    id_, user, roles, action, person, purpose, recipient, request_id, detail, at = row
    moment = datetime.fromisoformat(normal(at, "ts"))
    return Access(
        user, roles, action, request_id, person, purpose, recipient, detail, moment, int(id_)
    )
