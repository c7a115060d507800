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

from eventsourcing.persistence import StoredEvent

from domain.person.events import PersonEvent
from domain.service.application import JourneyApp

COLUMNS = ("originator_id", "originator_version", "topic", "state")
TYPES = ["uuid", "int8", "text", "bytea"]


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

    def save(self, *aggregates: Any) -> None:
        """`app.save(*aggregates)`, written in bulk."""
        self.write(self.encode(self.pending(aggregates)))

    def write(self, rows: Sequence[StoredEvent]) -> None:
        """Stored events written in the order given, all or none."""
        if not rows:
            return
        if not self.copying:
            self.app.recorder.insert_events(rows)
            return
        copy_rows(self.app.recorder, rows)


def restamp(events: Iterable[Any], moment: datetime) -> None:
    """Events checked a while before they are written say they were recorded when written:
    what the system showed at a moment (`as_known_at`) never includes them any earlier."""
    for event in events:
        object.__setattr__(event, "timestamp", moment)


def copy_rows(recorder: Any, rows: Sequence[StoredEvent]) -> None:
    """COPY the rows into the PostgreSQL recorder's events table, under its table lock."""
    from psycopg.sql import SQL, Identifier

    statement = SQL("COPY {0}.{1} ({2}) FROM STDIN (FORMAT BINARY)").format(
        Identifier(recorder.datastore.schema),
        Identifier(recorder.events_table_name),
        SQL(", ").join(Identifier(c) for c in COLUMNS),
    )
    with recorder.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
        for lock in recorder.lock_table_statements:
            curs.execute(lock)
        curs.execute(SQL("NOTIFY {0}").format(Identifier(recorder.channel_name)))
        with curs.copy(statement) as copy:
            copy.set_types(TYPES)
            write = copy.write_row
            for row in rows:
                write((row.originator_id, row.originator_version, row.topic, row.state))
