"""Where the API layer names a person outside the read models, cleared by an erasure: the
access log (the person's id pseudonymised, every entry kept) and kept idempotent responses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from api import access_log, idempotency
from projections.db import Cursor, ReadDb
from replay.erasure import Destruction, ErasurePlan


def in_clause(column: str, values: Sequence[str]) -> tuple[str, list[Any]]:
    # `Cursor` hides the dialect: each placeholder is rewritten for SQLite where needed.
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


class AccessLogCover:
    """Entries about the person keep who, when and why; their id becomes a pseudonym."""

    name = "access_log_entries"

    def count(self, cur: Cursor, person_ids: Sequence[str]) -> int:
        where, params = in_clause("person_id", person_ids)
        cur.execute(f"SELECT count(*) FROM {access_log.TABLE} WHERE {where}", params)
        row = cur.fetchone()
        return int(row[0]) if row else 0

    def clear(self, cur: Cursor, person_ids: Sequence[str], pseudonym: str) -> int:
        where, params = in_clause("person_id", person_ids)
        result = cur.execute(
            f"UPDATE {access_log.TABLE} SET person_id = %s WHERE {where}", [pseudonym, *params]
        )
        return int(result.rowcount)


class IdempotencyCover:
    """Responses kept for retried commands that name the person: dropped (a retry with the
    same key is then answered afresh, and refused, as the record is gone)."""

    name = "kept_responses"

    def match(self, cur: Cursor, person_ids: Sequence[str]) -> tuple[str, list[Any]]:
        clauses = " OR ".join(["instr(CAST(response AS TEXT), %s) > 0"] * len(person_ids))
        if getattr(cur, "connection", None) is not None:  # psycopg: bytea search
            clauses = " OR ".join(["position(%s::bytea in response) > 0"] * len(person_ids))
            return clauses, [p.encode() for p in person_ids]
        return clauses, list(person_ids)

    def count(self, cur: Cursor, person_ids: Sequence[str]) -> int:
        where, params = self.match(cur, person_ids)
        cur.execute(f"SELECT count(*) FROM {idempotency.TABLE} WHERE {where}", params)
        row = cur.fetchone()
        return int(row[0]) if row else 0

    def clear(self, cur: Cursor, person_ids: Sequence[str], pseudonym: str) -> int:
        where, params = self.match(cur, person_ids)
        return int(cur.execute(f"DELETE FROM {idempotency.TABLE} WHERE {where}", params).rowcount)


def covers(db: ReadDb) -> tuple[AccessLogCover, IdempotencyCover]:
    """The covers, their tables made ready (a store used only from the command line may not
    have them yet)."""
    access_log.AccessLog(db).ensure()
    idempotency.IdempotencyStore(db).ensure()
    return AccessLogCover(), IdempotencyCover()


def log_plan(db: ReadDb, user: str, roles: str, request_id: str, plan: ErasurePlan) -> None:
    """A dry run discloses what is held on the person: logged like any consultation (and
    pseudonymised with the rest if the erasure follows)."""
    detail = f"rule {plan.rule.code}; {plan.events} events"
    access_log.AccessLog(db).record(
        [access_log.Access(user, roles, access_log.ERASURE_PLAN, request_id, plan.person_id,
                           detail=detail)]
    )  # fmt: skip


def log_erasure(db: ReadDb, user: str, roles: str, request_id: str, entry: Destruction) -> None:
    """The erasure itself, in the access log (s.62 names erasure), by its pseudonym."""
    detail = f"rule {entry.rule}; destruction log entry {entry.id}"
    access_log.AccessLog(db).record(
        [access_log.Access(user, roles, access_log.ERASURE, request_id, entry.pseudonym,
                           detail=detail)]
    )  # fmt: skip
