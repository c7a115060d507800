"""A save's arrays, written in PostgreSQL's binary array format, read back as they were sent."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.service.arrays import Byteas, Int8s, Texts, Uuids, ready
from domain.service.storage import DatabaseURL

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def conn(pg_database: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    with psycopg.connect(DatabaseURL.parse(pg_database).conninfo(), autocommit=True) as conn:
        yield ready(conn)


def echo(conn: psycopg.Connection[tuple[object, ...]], value: object, cast: str) -> object:
    row = conn.execute(f"SELECT %b::{cast}, pg_typeof(%b)::text", (value, value)).fetchone()
    assert row is not None
    assert row[1] == cast
    return row[0]


@settings(max_examples=60, deadline=None)
@given(
    ids=st.lists(st.uuids(), max_size=5),
    versions=st.lists(st.integers(-(2**63), 2**63 - 1), max_size=5),
    topics=st.lists(st.text(), max_size=5),
    states=st.lists(st.binary(max_size=300), max_size=5),
)
def test_arrays_reach_the_server_as_sent(
    conn: psycopg.Connection[tuple[object, ...]],
    ids: list[uuid.UUID],
    versions: list[int],
    topics: list[str],
    states: list[bytes],
) -> None:
    topics = [t.replace("\x00", "") for t in topics]  # text cannot hold NUL
    assert echo(conn, Uuids(ids), "uuid[]") == ids
    assert echo(conn, Uuids(str(i) for i in ids), "uuid[]") == ids
    assert echo(conn, Int8s(versions), "bigint[]") == versions
    assert echo(conn, Texts(topics), "text[]") == topics
    assert echo(conn, Byteas(states), "bytea[]") == states
