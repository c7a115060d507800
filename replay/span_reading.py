"""A void's people read a span ahead of the work on them, through one connection kept for the
whole walk: a fresh connection's first query costs several times the read itself (a new server
process, its caches cold), and a national void reads thousands of spans."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import chain
from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.string import ByteaBinaryLoader

from domain.person.aggregate import Person
from projections.source import PERSON_TOPICS, EventSource
from replay.loading import PeopleLoader

# The rows `EventSource.people_of` makes people of, person ids as their 16 bytes.
ROWS = (
    "SELECT originator_id, originator_version, topic, state FROM {table} "
    "WHERE originator_id = ANY(%s) AND topic LIKE %s ORDER BY originator_id, originator_version"
)


class SpanReader:
    """People's stored rows, span by span, through one PostgreSQL connection used by one
    thread at a time; other stores are read as `EventSource.people_rows` reads them."""

    def __init__(self, source: EventSource) -> None:
        self.source = source
        self.conn: psycopg.Connection[Any] | None = None

    def rows(self, person_ids: list[str]) -> list[tuple[Any, ...]]:
        """The people's rows in history order, their data keys cached as well."""
        source = self.source
        if source.url.kind != "postgres":
            return source.people_rows(person_ids)
        ids = sorted({UUID(i) for i in person_ids})
        keys = source.decoder.keys
        if keys is not None:  # ids not found have no key: none is made for them
            keys.load_keys(ids)
        if self.conn is None:
            self.conn = psycopg.connect(source.url.conninfo(), autocommit=True)
        with self.conn.cursor(binary=True) as cur:
            cur.adapters.register_loader("uuid", ByteaBinaryLoader)
            query = ROWS.format(table=source.table)
            return cur.execute(query, [ids, PERSON_TOPICS], prepare=True).fetchall()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def read_ahead(loader: PeopleLoader, spans: Iterator[list[str]]) -> Iterator[dict[str, Person]]:
    """Each span's people, the next span's rows read from the store (in a thread) while this
    one is worked on, its saves included."""
    source = loader.source
    if source is None:
        yield from (loader.by_ids(ids) for ids in spans)
        return
    first = next(spans, None)
    if first is None:
        return
    reader = SpanReader(source)
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="void-read") as pool:
            ahead = pool.submit(reader.rows, first)
            for following in chain(spans, [None]):
                rows = ahead.result()
                if following is not None:
                    ahead = pool.submit(reader.rows, following)
                yield source.people_of(rows)
    finally:
        reader.close()
