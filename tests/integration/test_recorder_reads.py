"""The store reads an aggregate's events by statements made once per shape of request; what it
returns, for every shape, is what the event store library's own read returns."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from eventsourcing.postgres import PostgresApplicationRecorder

from domain.service.application import JourneyApp
from domain.service.catalogue import MoveCell
from domain.service.settings import Settings
from tests.conftest import at, prov
from tests.helpers import admitted

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
