"""Saving many aggregates' new events at the speed of the database: on PostgreSQL one COPY into
the event store's own table, on SQLite the library's batched insert.

Each write keeps the library's guarantees: events pass through the application's mapper (its
transcoder and cipher, whatever they are), rows go in in the order given under the same
`LOCK TABLE ... IN EXCLUSIVE MODE` the library takes, so notification ids become visible in
commit order and a reader tailing by position never skips one, and the listeners hear the same
NOTIFY. A row whose (aggregate, version) is already taken fails the whole write with the
library's IntegrityError, exactly as a stale `save` does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from domain.person.events import PersonEvent
from domain.service.application import JourneyApp
from domain.service.keyed_mapper import PersonKeyMapper, owner

COLUMNS = ("originator_id", "originator_version", "topic", "state")
TYPES = ["uuid", "int8", "text", "bytea"]
# An event transcoded but not yet stamped with when it is recorded, nor encrypted:
# (originator id, version, topic, whose data key seals it or None, its state less `timestamp`).
Prepared = tuple[UUID, int, str, UUID | None, bytes]


class BulkWriter:
    """Writes the pending events of many aggregates in one transaction."""

    def __init__(self, app: JourneyApp) -> None:
        self.app = app
        self.copying = app.settings.database.kind == "postgres"

    def pending(self, aggregates: Iterable[Any]) -> list[Any]:
        """The aggregates' pending events, collected: they are no longer pending."""
        return [event for each in aggregates for event in each.collect_events()]

    def encode(self, events: Sequence[Any]) -> list[StoredEvent]:
        """Domain events as the application's mapper stores them."""
        prepare = getattr(self.app.mapper, "prepare_keys", None)
        if prepare is not None:
            # Per-person data keys: the missing ones made in one statement, not one each.
            prepare({event.originator_id for event in events if isinstance(event, PersonEvent)})
        to_stored = self.app.mapper.to_stored_event
        return [to_stored(event) for event in events]

    def stored(self, events: Sequence[Any]) -> list[StoredEvent]:
        """Events of no person (a batch's record) as the mapper stores them: no data key to
        prepare."""
        to_stored = self.app.mapper.to_stored_event
        return [to_stored(event) for event in events]

    def prepare(self, events: Sequence[Any]) -> list[Prepared]:
        """Events transcoded as the mapper does, less their recording time: a load checks its
        people well before it writes them, and stamps and seals them then (`sealed`)."""
        encode = self.app.mapper.transcoder.encode
        found: list[Prepared] = []
        for event in events:
            state = dict(vars(event))
            originator_id = state.pop("originator_id")
            version = state.pop("originator_version")
            del state["timestamp"]
            class_version = getattr(type(event), "class_version", 1)
            if class_version > 1:
                state["class_version"] = class_version
            found.append(
                (originator_id, version, get_topic(type(event)), owner(event), encode(state))
            )
        return found

    def sealed(self, prepared: Sequence[Prepared], moment: datetime) -> list[StoredEvent]:
        """Prepared events as the mapper stores them, recorded at `moment`: the timestamp is
        transcoded once and joined to each state, which is then compressed and encrypted by
        the mapper's own compressor and cipher (under its owner's data key)."""
        mapper = self.app.mapper
        stamp = mapper.transcoder.encode({"timestamp": moment})
        if not (stamp.startswith(b"{") and stamp.endswith(b"}")):
            msg = "the transcoder does not write an event's state as a JSON object"
            raise TypeError(msg)
        head = stamp[:-1] + b","
        keyed = mapper if isinstance(mapper, PersonKeyMapper) else None
        if keyed is not None:
            keyed.prepare_keys(owners(prepared))
        compressor, cipher = mapper.compressor, mapper.cipher
        rows = []
        for originator_id, version, topic, who, body in prepared:
            state = head + body[1:] if body != b"{}" else stamp
            if compressor:
                state = compressor.compress(state)
            if keyed is not None and who is not None:
                state = keyed.cipher.encrypt_for(who, state)
            elif cipher:
                state = cipher.encrypt(state)
            rows.append(StoredEvent(originator_id, version, topic, state))
        return rows

    def save(self, *aggregates: Any, flushed: bool = True) -> None:
        """`app.save(*aggregates)`, written in bulk (for `flushed`, see `write`)."""
        self.write(self.encode(self.pending(aggregates)), flushed=flushed)

    def write(self, rows: Sequence[StoredEvent], *, flushed: bool = True) -> None:
        """Stored events written in the order given, all or none. Not `flushed`: on
        PostgreSQL the commit does not wait for its log to reach the disk; only for rows
        that a later write, which does wait, makes count (a commit waits for all the log
        before its own, so once that later write is durable, these are too)."""
        if not rows:
            return
        if not self.copying:
            self.app.recorder.insert_events(rows)
            return
        copy_rows(self.app.recorder, rows, flushed=flushed)


def owners(prepared: Sequence[Prepared]) -> set[UUID]:
    """The people whose keys seal these events. A person's events come together and name
    them by one id object, so each run of them is counted once (hashing a UUID is a Python
    call, and was a quarter of sealing a chunk)."""
    found: set[UUID] = set()
    last: UUID | None = None
    for _, _, _, who, _ in prepared:
        if who is not None and who is not last:
            found.add(who)
            last = who
    return found


def copy_rows(recorder: Any, rows: Sequence[StoredEvent], *, flushed: bool = True) -> None:
    """COPY the rows into the PostgreSQL recorder's events table, under its table lock (for
    `flushed`, see `BulkWriter.write`)."""
    from psycopg.sql import SQL, Identifier

    statement = SQL("COPY {0}.{1} ({2}) FROM STDIN (FORMAT BINARY)").format(
        Identifier(recorder.datastore.schema),
        Identifier(recorder.events_table_name),
        SQL(", ").join(Identifier(c) for c in COLUMNS),
    )
    with recorder.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
        if not flushed:
            curs.execute("SET LOCAL synchronous_commit TO off")
        for lock in recorder.lock_table_statements:
            curs.execute(lock)
        curs.execute(SQL("NOTIFY {0}").format(Identifier(recorder.channel_name)))
        with curs.copy(statement) as copy:
            copy.set_types(TYPES)
            write = copy.write_row
            for row in rows:
                write((row.originator_id, row.originator_version, row.topic, row.state))
