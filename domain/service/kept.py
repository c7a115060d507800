"""People kept in memory between commands, so a command need not re-read and re-fold a whole
history. A kept person is reused only while the newest stored row of the person and of the
claim that named them are as they were read: anything changed since (a new entry, a merge's
redirect, an erasure's shredding) sends the command back to the store. On PostgreSQL the save
itself checks this, under the table's lock, and refuses with `StaleKept` (no query before the
command); a command that ends without saving (refused, or a repeat) asks the store then. On
SQLite one query asks before the command.

A kept person is taken out while a command works on it and put back only once its save has
succeeded (or it was left unchanged), so a refused or conflicting command never leaves a
half-changed person behind, and two commands in one process never share one.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from functools import cache
from typing import Any, NamedTuple
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.utils import TopicError, resolve_topic

from domain.claims import IdentifierClaim, claim_id
from domain.errors import DomainError
from domain.identifiers import claim_key, detect
from domain.person.aggregate import Person
from domain.person.events import PersonEvent
from domain.service.caches import bounded

SIZE = 10_000  # people kept per process (about 8 KiB each for ten entries); least recent dropped
Head = tuple[int, str]  # the newest stored row of an aggregate: version and topic
Guard = dict[UUID, int]  # kept aggregates and the versions they were read at


class StaleKept(IntegrityError):
    """A kept person (or the claim that named them) changed in the store since it was read:
    the command is worked again on the person as stored."""

    def __init__(
        self,
        message: str,
        changed: Iterable[UUID] = (),
        since: dict[UUID, list[StoredEvent]] | None = None,
    ) -> None:
        super().__init__(message)
        self.changed = tuple(changed)  # which kept aggregates changed, where the store says
        # Where the save said, each changed aggregate's rows stored since it was read.
        self.since = since


class Taken(NamedTuple):
    """A person to work a command on; the guard the save checks (None: the person is as
    stored); and for a kept person, the spare: the kept copy as stored, untouched."""

    person: Person
    guard: Guard | None = None
    spare: Person | None = None


class Kept:
    """People and the claims that named them, each with the store's head they were read at."""

    def __init__(self, recorder: Any, repository: Any = None, size: int = SIZE) -> None:
        self.heads = heads_query(recorder)
        self.guarded = bool(getattr(recorder, "guards_saves", False))  # the save checks
        self.repository, self.size = repository, size
        self.people: OrderedDict[UUID, Person] = OrderedDict()
        self.claims: dict[str, UUID] = {}  # identifier reference -> claim id
        self.claim_heads: dict[UUID, tuple[int, UUID]] = {}  # claim -> version, person
        self.lock = threading.Lock()
        self.caught_up = 0  # kept people brought up to date rather than read afresh
        self.read_since = 0  # catch-ups that read what was stored since (the save did not say)

    def take(self, ref: str | UUID, load: Callable[[str | UUID], Person]) -> Taken:
        """The person a reference names: loaded afresh, or kept and still current. A kept
        person comes with a guard (what must be unchanged) for the save to check, where the
        store's saves check guards, and a copy to work on (the kept one, as stored, is the
        spare: see `catch_up`); otherwise it is checked here first, and the guard is None.
        Where saves check guards, a person not kept is read straight by the id their claim
        named when last read, the claim guarded (a merge's redirect refuses the save)."""
        if self.heads is None:
            return Taken(load(ref))
        person_id, claim = self._named(ref)
        with self.lock:
            person = self.people.pop(person_id, None) if person_id else None
        if person is None or person_id is None:
            if claim is not None and person_id is not None and self.guarded:
                # The claim as last read names the person: the save checks it still does.
                return Taken(load(person_id), {claim[0]: claim[1]})
            return Taken(self._loaded(ref, load))
        guard = {person_id: person.version} | ({claim[0]: claim[1]} if claim else {})
        if self.guarded:
            return Taken(person.copied(), guard, person)
        return Taken(person) if self.current(guard) else Taken(self._loaded(ref, load))

    def catch_up(
        self,
        spare: Person,
        changed: Iterable[UUID],
        since: dict[UUID, list[StoredEvent]] | None = None,
    ) -> bool:
        """A kept person whose save found them changed in the store, brought up to date with
        only what was stored since (another worker's entries: the rows the refusing save
        returned, `since`, or else one short query) and kept again. False, and nothing kept,
        when anything else changed (the claim that named them: a merge's redirect) or what
        was stored is not the person's next events (an erasure's shredding, a key destroyed):
        the command then reads the person afresh."""
        if self.repository is None or set(changed) != {spare.id}:
            return False
        try:
            event_store = self.repository.event_store
            rows = None if since is None else since.get(spare.id)
            if rows is None:
                self.read_since += 1
                later = list(event_store.get(spare.id, gt=spare.version))
            else:
                later = [event_store.mapper.to_domain_event(row) for row in rows]
            if not later or not all(isinstance(e, PersonEvent) for e in later):
                return False
            spare.catch_up(later)
        except Exception:
            return False  # the fresh read raises whatever it is, for the command to answer
        self.caught_up += 1
        self.keep(spare)
        return True

    def current(self, guard: Guard) -> bool:
        """Whether the guarded aggregates are still as they were read (one query)."""
        assert self.heads is not None
        found = self.heads(list(guard))
        return all(self._current(found.get(aid), version) for aid, version in guard.items())

    def forget(self, guard: Iterable[UUID]) -> None:
        """Drop kept aggregates found changed (all a guard names, or those the store said):
        the next taking reads them afresh."""
        with self.lock:
            for aid in guard:
                self.claim_heads.pop(aid, None)
                self.people.pop(aid, None)

    def keep(self, person: Person) -> None:
        """Put back a person whose changes are all saved."""
        if self.heads is None:
            return
        with self.lock:
            self.people[person.id] = person
            self.people.move_to_end(person.id)
            while len(self.people) > self.size:
                self.people.popitem(last=False)

    def _named(self, ref: str | UUID) -> tuple[UUID | None, tuple[UUID, int] | None]:
        """The person a reference names as last seen, and the claim (id, version) it went by."""
        uid = as_uuid(ref)
        if uid is not None:
            return uid, None
        cid = self.claims.get(str(ref))
        if cid is None:
            try:
                kind, value = detect(str(ref))
                cid = claim_id(claim_key(kind, value))
            except DomainError:
                return None, None  # the store's load says what is wrong with it
            with self.lock:
                bounded(self.claims, str(ref), cid, 2 * self.size)
        seen = self.claim_heads.get(cid)
        if seen is None:
            return None, None
        return seen[1], (cid, seen[0])

    @staticmethod
    def _current(head: Head | None, version: int) -> bool:
        """Nothing stored since, and the newest row still an event (not shredded)."""
        return head is not None and head[0] == version and is_event(head[1])

    def _loaded(self, ref: str | UUID, load: Callable[[str | UUID], Person]) -> Person:
        """Loaded from the store, by way of the claim a reference names (read here, so its
        version is known for next time: no more queries than the plain load)."""
        cid = None if as_uuid(ref) is not None else self.claims.get(str(ref))
        if cid is None or self.repository is None:
            return load(ref)
        with reading_ahead(self.repository.event_store.recorder):  # claim and person at once
            return self._claimed(ref, cid, load)

    def _claimed(self, ref: str | UUID, cid: UUID, load: Callable[[str | UUID], Person]) -> Person:
        try:
            claim = self.repository.get(cid, projector_func=_fold)
        except AggregateNotFoundError:
            return load(ref)  # the plain load says who is not found, and how
        if not isinstance(claim, IdentifierClaim):
            return load(ref)
        person = load(claim.person_id)
        with self.lock:
            bounded(self.claim_heads, cid, (claim.version, claim.person_id), 2 * self.size)
        return person


def reading_ahead(recorder: Any) -> AbstractContextManager[None]:
    """Reads within the block bring a claim's person with the claim, where the recorder can
    (see `FailFastRecorder.reading_ahead`)."""
    ahead = getattr(recorder, "reading_ahead", None)
    return ahead() if ahead is not None else nullcontext()


def _fold(aggregate: Any, events: Iterable[Any]) -> Any:
    for event in events:  # as the application folds, without the library's protocol checks
        aggregate = event.mutate(aggregate)
    return aggregate


@cache
def is_event(topic: str) -> bool:
    """A topic of an aggregate's own event (a shredded row's topic is not)."""
    try:
        found = resolve_topic(topic)
    except TopicError:
        return False
    return isinstance(found, type) and issubclass(found, Aggregate.Event)


def as_uuid(ref: str | UUID) -> UUID | None:
    if isinstance(ref, UUID):
        return ref
    try:
        return UUID(ref)
    except (ValueError, AttributeError, TypeError):
        return None


def heads_query(recorder: Any) -> Callable[[Sequence[UUID]], dict[UUID, Head]] | None:
    """One query for the newest stored row of each aggregate; None for the in-memory store,
    where loading is as cheap as asking."""
    datastore = getattr(recorder, "datastore", None)
    table = getattr(recorder, "events_table_name", None)
    if datastore is None or table is None:
        return None
    if hasattr(datastore, "schema"):  # PostgreSQL's, not SQLite's
        return _postgres_heads(datastore, table)
    return _sqlite_heads(datastore, table)


def _postgres_heads(datastore: Any, table: str) -> Callable[[Sequence[UUID]], dict[UUID, Head]]:
    from psycopg.sql import SQL, Identifier

    statement = SQL(
        "SELECT DISTINCT ON (originator_id) originator_id, originator_version, topic "
        "FROM {0}.{1} WHERE originator_id = ANY(%s) "
        "ORDER BY originator_id, originator_version DESC"
    ).format(Identifier(datastore.schema), Identifier(table))

    def heads(ids: Sequence[UUID]) -> dict[UUID, Head]:
        with datastore.get_connection() as conn, conn.cursor() as curs:
            # Planned afresh: a kept generic plan for `= ANY` may scan the whole log.
            curs.execute(statement, (list(ids),), prepare=False)
            rows = curs.fetchall()
        return {row["originator_id"]: (row["originator_version"], row["topic"]) for row in rows}

    return heads


def _sqlite_heads(datastore: Any, table: str) -> Callable[[Sequence[UUID]], dict[UUID, Head]]:
    def heads(ids: Sequence[UUID]) -> dict[UUID, Head]:
        marks = ", ".join("?" * len(ids))
        # SQLite gives the other columns of the row holding the max().
        statement = (
            f"SELECT originator_id, max(originator_version), topic FROM {table} "
            f"WHERE originator_id IN ({marks}) GROUP BY originator_id"
        )
        with datastore.transaction(commit=False) as curs:
            curs.execute(statement, [str(i) for i in ids])
            rows = curs.fetchall()
        return {UUID(row[0]): (row[1], row[2]) for row in rows}

    return heads
