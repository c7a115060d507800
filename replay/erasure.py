"""Erasing a person (DPA 2018 s.47), as a recorded act.

A dry run lists what will go and gives a confirmation token; the real run, given the token
(so nothing is erased that was not reviewed, and nothing changed since), does in one
transaction: shreds the stored events of the person, of records merged into them and of the
identifier claims they hold (positions and versions stay); destroys their data keys (every
copy of their events, backups included, is then unreadable); deletes their read-model and
search rows; pseudonymises them elsewhere (`Cover`s: the access log, kept API responses); and
appends a destruction-log entry with no personal data. A base record (internal id, date, rule)
stays when the rule says so.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

import orjson

from domain.claims import claim_id
from domain.erasure import SHREDDED_TOPIC, ErasureRule, check_reason, check_rule
from domain.errors import InvalidValue
from domain.identifiers import claim_key
from domain.service.application import JourneyApp
from domain.service.datakeys import DESTRUCTIONS, KEYS, PREFIX
from domain.service.keyed_mapper import PersonKeyMapper
from projections.db import Cursor, ReadDb
from projections.schema import BY_NAME, META


class Cover(Protocol):
    """Somewhere else a person is named: counted in a dry run, cleared in the real run."""

    name: str

    def count(self, cur: Cursor, person_ids: Sequence[str]) -> int: ...

    def clear(self, cur: Cursor, person_ids: Sequence[str], pseudonym: str) -> int: ...


@dataclass(frozen=True)
class Target:
    """Whose data goes: the person, records merged into them, the claims they hold."""

    person_id: UUID
    merged: tuple[UUID, ...]
    claims: tuple[UUID, ...]
    personal: frozenset[str]  # names and identifiers, which a reason must not repeat
    versions: tuple[int, ...]

    @property
    def people(self) -> tuple[UUID, ...]:
        return (self.person_id, *self.merged)


@dataclass(frozen=True)
class ErasurePlan:
    """What the real run will destroy; `token` confirms it."""

    person_id: str
    rule: ErasureRule
    merged: tuple[str, ...]
    events: int
    claims: int
    rows: dict[str, int]
    covered: dict[str, int]
    token: str

    def counts(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "identifier_claims": self.claims,
            "merged_records": len(self.merged),
            "read_model_rows": self.rows,
            **self.covered,
        }


@dataclass(frozen=True)
class Destruction:
    """One destruction-log entry: who, when, which rule, what was destroyed; no personal data."""

    id: int
    at: datetime
    user: str
    rule: str
    reason: str
    base_record: bool
    person_ids: tuple[str, ...]
    key_ids: tuple[str, ...]
    destroyed: dict[str, Any] = field(default_factory=dict)

    @property
    def pseudonym(self) -> str:
        return f"erased:{self.id}"


class Erasure:
    """Plans and carries out erasures on one store (events, keys and read models together)."""

    def __init__(self, app: JourneyApp, db: ReadDb, covers: Sequence[Cover] = ()) -> None:
        self.app, self.db, self.covers = app, db, tuple(covers)
        url = app.settings.database
        if url.kind == "memory":
            raise InvalidValue("JOURNEY_DATABASE_URL", "erasure needs SQLite or PostgreSQL")
        self.postgres = url.kind == "postgres"
        events: str = app.recorder.events_table_name  # type: ignore[attr-defined]
        qualify = (lambda t: f"{url.schema}.{t}") if self.postgres else (lambda t: t)
        self.events, self.keys, self.log = qualify(events), qualify(KEYS), qualify(DESTRUCTIONS)
        assert isinstance(app.mapper, PersonKeyMapper)
        self.mapper = app.mapper

    def stored(self, uid: UUID) -> Any:
        """An id as the event table stores it: a uuid on PostgreSQL, hex text on SQLite."""
        return uid if self.postgres else uid.hex

    # ---- what goes ----

    def target(self, ref: str) -> Target:
        person = self.app.person(ref)
        merged = [self.app.person(UUID(m)) for m in person.merges()]
        personal: set[str] = set()
        claims: list[UUID] = []
        for record in (person, *merged):
            state = record.state(checked=False)
            assert state is not None
            personal |= {v for v in (state.given_name, state.family_name) if v}
            for kind, values in state.identifiers.items():
                for value in values:
                    personal.add(value)
                    if self.app.holder(kind, value) in {person.id, *(m.id for m in merged)}:
                        claims.append(claim_id(claim_key(kind, value)))
        return Target(
            person.id,
            tuple(m.id for m in merged),
            tuple(dict.fromkeys(claims)),
            frozenset(personal),
            tuple(r.version for r in (person, *merged)),
        )

    def plan(self, ref: str, rule_code: str) -> ErasurePlan:
        """The dry run: what the real run will destroy, and the token that confirms it."""
        return self.plan_for(self.target(ref), check_rule(rule_code))

    def plan_for(self, target: Target, rule: ErasureRule) -> ErasurePlan:
        ids = [str(p) for p in target.people]
        with self.db.transaction(write=False) as cur:
            events = self.count_events(cur, target)
            rows = {t: self.count(cur, t, ids) for t in self.tables(cur)}
            covered = {c.name: c.count(cur, ids) for c in self.covers}
        rows = {physical.rsplit("_g", 1)[0]: n for physical, n in rows.items()}
        # Consultations go on being logged after a dry run: the token leaves them out.
        token = confirmation(rule, target, events, rows)
        merged = tuple(str(m) for m in target.merged)
        return ErasurePlan(ids[0], rule, merged, events, len(target.claims), rows, covered, token)

    def count_events(self, cur: Cursor, target: Target) -> int:
        ids = [self.stored(i) for i in (*target.people, *target.claims)]
        where, params = self.in_clause("originator_id", ids)
        cur.execute(f"SELECT count(*) FROM {self.events} WHERE {where}", params)
        row = cur.fetchone()
        return int(row[0]) if row else 0

    def tables(self, cur: Cursor) -> list[str]:
        """Every physical read-model table, of every generation (a rebuild's too)."""
        cur.execute(f"SELECT name, generation FROM {META}")
        return [
            table.physical(int(gen))
            for name, gen in cur.fetchall()
            if name in BY_NAME
            for table in BY_NAME[name].tables
        ]

    def count(self, cur: Cursor, table: str, ids: Sequence[str]) -> int:
        where, params = self.in_clause("person_id", ids)
        cur.execute(f"SELECT count(*) FROM {table} WHERE {where}", params)
        row = cur.fetchone()
        return int(row[0]) if row else 0

    def in_clause(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        if self.postgres:
            return f"{column} = ANY(%s)", [list(values)]
        return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)

    # ---- the real run ----

    def erase(self, ref: str, rule_code: str, reason: str, user: str, token: str) -> Destruction:
        """Erase, if `token` is the dry run's for the record as it stands now."""
        target = self.target(ref)
        plan = self.plan_for(target, check_rule(rule_code))
        check_reason(reason, set(target.personal))
        if token.strip() != plan.token:
            raise InvalidValue(
                "confirm", "does not match a dry run of this record as it stands: review again"
            )
        keys = self.mapper.cipher.store.by_people(list(target.people))
        entry = Destruction(
            0,
            datetime.now(UTC),
            user,
            plan.rule.code,
            reason.strip(),
            plan.rule.keeps_base_record,
            tuple(str(p) for p in target.people),
            tuple(k.key_id.hex() for k in keys),
            plan.counts(),
        )
        with self.db.transaction() as cur:
            self.lock(cur)
            entry = self.append(cur, entry)
            shredded = self.shred(cur, target, {k.person_id: k.key_id for k in keys})
            self.destroy(cur, entry)
            if shredded != plan.events:
                raise InvalidValue("confirm", "the record changed during the erasure: try again")
        self.after(entry)
        return entry

    def lock(self, cur: Cursor) -> None:
        if self.postgres:
            # The lock every append takes: no event of the person is written meanwhile.
            cur.execute(f"LOCK TABLE {self.events} IN EXCLUSIVE MODE")
        else:
            cur.execute("PRAGMA secure_delete = ON")  # deleted rows leave zeros, not data

    def append(self, cur: Cursor, entry: Destruction, *, keep_id: bool = False) -> Destruction:
        """The entry written to the destruction log, with the id the log gives it (or, for an
        entry carried from another store, its own)."""
        columns = "at, user_name, rule, reason, base_record, person_ids, key_ids, destroyed"
        values = [
            entry.at,
            entry.user,
            entry.rule,
            entry.reason,
            int(entry.base_record),
            ",".join(entry.person_ids),
            ",".join(entry.key_ids),
            orjson.dumps(entry.destroyed).decode(),
        ]
        if keep_id:
            columns, values = f"id, {columns}", [entry.id, *values]
        marks = ", ".join(["%s"] * len(values))
        cur.execute(f"INSERT INTO {self.log} ({columns}) VALUES ({marks}) RETURNING id", values)
        row = cur.fetchone()
        assert row is not None
        return Destruction(**{**entry.__dict__, "id": int(row[0])})

    def shred(self, cur: Cursor, target: Target, keys: dict[UUID, bytes]) -> int:
        """Each stored row of the target replaced by its key's prefix under the shredded
        topic: what the event was, and what it said, are gone; its position stays."""
        main = keys.get(target.person_id, b"\0" * 16)
        owners = [(p, keys.get(p, main)) for p in target.people]
        owners += [(c, main) for c in target.claims]
        done = 0
        for oid, key_id in owners:
            done += cur.execute(
                f"UPDATE {self.events} SET topic = %s, state = %s WHERE originator_id = %s",
                [SHREDDED_TOPIC, PREFIX + key_id, self.stored(oid)],
            ).rowcount
        return done

    def destroy(self, cur: Cursor, entry: Destruction) -> None:
        """Keys destroyed (a tombstone kept for a base record), rows deleted, covers cleared."""
        people = [self.stored_key(p) for p in entry.person_ids]
        where, params = self.in_clause("person_id", people)
        if entry.base_record:
            cur.execute(
                f"UPDATE {self.keys} SET material = NULL, erased_at = %s, rule = %s WHERE {where}",
                [entry.at, entry.rule, *params],
            )
        else:
            cur.execute(f"DELETE FROM {self.keys} WHERE {where}", params)
        ids = list(entry.person_ids)
        for table in self.tables(cur):
            where, params = self.in_clause("person_id", ids)
            cur.execute(f"DELETE FROM {table} WHERE {where}", params)
        for cover in self.covers:
            cover.clear(cur, ids, entry.pseudonym)

    def stored_key(self, person_id: str) -> Any:
        return UUID(person_id) if self.postgres else person_id

    def after(self, entry: Destruction) -> None:
        """This process forgets the keys at once; on SQLite the write-ahead log, which still
        holds the pages as they were, is checkpointed and emptied."""
        self.mapper.cipher.forget(bytes.fromhex(k) for k in entry.key_ids)
        if not self.postgres:
            import sqlite3

            with sqlite3.connect(self.app.settings.database.path, timeout=30) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.close()


def confirmation(
    rule: ErasureRule,
    target: Target,
    events: int,
    rows: dict[str, int],
) -> str:
    """A short token naming exactly this erasure of the record as it stands."""
    text = orjson.dumps(
        [rule.code, [str(p) for p in target.people], target.versions, events, rows],
        option=orjson.OPT_SORT_KEYS,
    )
    return hashlib.sha256(text).hexdigest()[:12]
