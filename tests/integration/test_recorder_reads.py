"""The store reads an aggregate's events by statements made once per shape of request; what it
returns, for every shape, is what the event store library's own read returns. A whole read
brings the data key its rows are under when it is not cached, and a claim's read, within a
read-ahead block, brings the rows of the person holding it for the read that follows."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import pytest
from eventsourcing.postgres import PostgresApplicationRecorder

from domain.claims import claim_id
from domain.erasure import PersonErased
from domain.identifiers import claim_key
from domain.service.application import JourneyApp
from domain.service.catalogue import MoveCell
from domain.service.recorder import FailFastRecorder
from domain.service.settings import Settings
from projections.db import open_read_db
from tests.conftest import at, prov
from tests.helpers import admitted
from tests.integration.test_erasure import NOMS, erase, populate

pytestmark = pytest.mark.postgres


@pytest.fixture
def app(pg_url: str) -> Iterator[JourneyApp]:
    app = JourneyApp(Settings(database_url=pg_url))
    yield app
    app.close()


def test_every_shape_of_read_returns_what_the_library_returns(app: JourneyApp) -> None:
    admitted(app, "A1234AA")
    for n in range(6):
        app.handle("A1234AA", [MoveCell(prison="LEI", cell=f"A-1-{n:03d}")], prov(at(1 + n)))
    person = app.resolve("A1234AA")
    ours = app.recorder.select_events
    library = PostgresApplicationRecorder.select_events.__wrapped__
    shapes = itertools.product((None, 2, 7), (None, 5, 9), (False, True), (None, 1, 3))
    for gt, lte, desc, limit in shapes:
        kwargs: dict[str, Any] = {"gt": gt, "lte": lte, "desc": desc, "limit": limit}
        got = ours(person, **kwargs)
        # Check each shape returns the library's events, in its order.
        assert got == library(app.recorder, person, **kwargs), kwargs
    assert len(ours(person)) == 8
    assert [e.originator_version for e in ours(person, gt=2, lte=6, desc=True, limit=2)] == [6, 5]


def fresh(app: JourneyApp) -> JourneyApp:
    """Another process on the same store: nothing cached, no key known."""
    return JourneyApp(app.settings)


def library_read(app: JourneyApp, aggregate_id: Any) -> Any:
    return PostgresApplicationRecorder.select_events.__wrapped__(app.recorder, aggregate_id)


def test_a_claim_read_brings_its_holder_key_and_rows_for_the_next_read(app: JourneyApp) -> None:
    admitted(app, "A2345BB")
    app.handle("A2345BB", [MoveCell(prison="LEI", cell="A-1-001")], prov(at(1)))
    person, claim = app.resolve("A2345BB"), claim_id(claim_key("NOMS", "A2345BB"))
    with closing(fresh(app)) as other:
        recorder = other.recorder
        assert isinstance(recorder, FailFastRecorder) and recorder.keys is not None
        with recorder.reading_ahead():
            # Check the claim's rows come back as the library reads them, with the key of
            # the person holding it (whose key it is under) and that person's rows held.
            assert recorder.select_events(claim) == library_read(app, claim)
            assert recorder.keys.known(person)
            assert recorder.ahead.rows[0] == person
            # Check the next read, of that person, is served by the rows held, and only once.
            assert recorder.select_events(person) == library_read(app, person)
            assert recorder.ahead.rows is None
        # Check a person read by an identifier in a fresh process is as the library has it.
        with closing(fresh(app)) as third:
            assert third.person("A2345BB").version == app.person(person).version == 3


def test_rows_read_ahead_serve_only_the_next_read_within_the_block(app: JourneyApp) -> None:
    admitted(app, "A3456CC")
    admitted(app, "A4567DD")
    person, claim = app.resolve("A3456CC"), claim_id(claim_key("NOMS", "A3456CC"))
    with closing(fresh(app)) as other:
        recorder = other.recorder
        with recorder.reading_ahead():  # type: ignore[attr-defined]
            recorder.select_events(claim)
        app.handle("A3456CC", [MoveCell(prison="LEI", cell="A-1-002")], prov(at(2)))
        # Check rows held when the block ended are not served after it: the new entry shows.
        assert len(recorder.select_events(person)) == 3
        with recorder.reading_ahead():  # type: ignore[attr-defined]
            recorder.select_events(claim)
            recorder.select_events(app.resolve("A4567DD"))  # another read comes between
            app.handle("A3456CC", [MoveCell(prison="LEI", cell="A-1-003")], prov(at(3)))
            # Check the rows held were dropped by the read between: the person is read afresh.
            assert len(recorder.select_events(person)) == 4
            recorder.select_events(claim)
            recorder.select_events(person, gt=1)  # a partial read comes between
            app.handle("A3456CC", [MoveCell(prison="LEI", cell="A-1-004")], prov(at(4)))
            assert len(recorder.select_events(person)) == 5


def test_a_fresh_process_reading_an_erased_person_by_identifier_is_told_of_the_erasure(
    app: JourneyApp, pg_url: str
) -> None:
    db = open_read_db(app.settings.database)
    try:
        populate(app, db)
        erase(app, db)
    finally:
        db.close()
    with closing(fresh(app)) as other:
        # Check the claim's key, read along with it, is the erased one's tombstone.
        with pytest.raises(PersonErased, match="under rule NO-LONGER-NEEDED"):
            other.person(NOMS)
        with pytest.raises(PersonErased):
            other.timeline(NOMS)
