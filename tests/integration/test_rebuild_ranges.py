"""A rebuild's ranges on PostgreSQL: the upper part of a range still being filled is taken by
another filler, and every person is written exactly once, whenever the first learns of it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing

import pytest

from domain.service.application import JourneyApp
from domain.service.settings import Settings
from projections import tables
from projections.db import ReadDb, open_read_db
from projections.rebuild import Build, fill_range, ranges, rebuild, steal
from projections.runner import Runner
from projections.schema import BY_NAME
from projections.verify import verify
from tests.integration.test_projections import journeys, stopped_rebuild

pytestmark = pytest.mark.postgres
LAST = "ffffffff-ffff-ffff-ffff-ffffffffffff"


@pytest.fixture
def pg(pg_url: str) -> Iterator[tuple[JourneyApp, ReadDb]]:
    settings = Settings(database_url=pg_url)
    with closing(JourneyApp(settings)) as app, closing(open_read_db(settings.database)) as db:
        yield app, db


def part_built(app: JourneyApp, db: ReadDb, people: int) -> Build:
    """A rebuild of the location read model in one range, stopped after its first chunks."""
    journeys(app, people)
    Runner(app, db).catch_up()
    stopped_rebuild(app, db)
    with db.transaction(write=False) as cur:
        [gen] = [g for g in tables.generations(cur) if g.state == tables.BUILDING]
    assert gen.snapshot is not None
    return Build(BY_NAME["location"], gen.generation, gen.snapshot)


def written(db: ReadDb) -> int:
    return int(db.query("SELECT count(*) FROM rm_location_g2")[0][0])


def test_a_filler_told_late_its_range_was_cut_writes_no_one_past_the_cut(
    pg: tuple[JourneyApp, ReadDb],
) -> None:
    app, db = pg
    build = part_built(app, db, 30)
    [whole] = ranges(db, build)
    assert whole.cursor is not None and written(db) == 8

    # Check the upper half of what is left becomes a range of its own, after the cursor.
    taken = steal(db, [build], {})
    assert taken is not None
    kept, new = ranges(db, build)
    assert kept.high == new.low == taken.low > whole.cursor and new.high == taken.high == ""

    # The first filler still holds the range as it was; it learns of the cut as it commits.
    fill_range(app, db, ["location"], whole, chunk=4, progress=None)
    fill_range(app, db, ["location"], taken, chunk=4, progress=None)
    assert all(span.done for span in ranges(db, build))
    assert written(db) == 30  # each once: the table's key refuses a second row

    assert rebuild(app, db, ["location"]) == {"location": 2}
    assert verify(app, db).total == 0


def test_a_resumed_rebuild_fills_every_range_taken_so_far(pg: tuple[JourneyApp, ReadDb]) -> None:
    app, db = pg
    build = part_built(app, db, 30)
    assert steal(db, [build], {}) is not None
    assert steal(db, [build], {}) is not None
    assert len(ranges(db, build)) == 3

    # Check this process and a worker fill the three, and the generation swaps in whole.
    assert rebuild(app, db, ["location"], chunk=4, workers=2) == {"location": 2}
    assert db.query("SELECT count(*) FROM rm_location")[0][0] == 30
    assert verify(app, db).total == 0


def test_too_little_left_is_not_worth_taking(pg: tuple[JourneyApp, ReadDb]) -> None:
    app, db = pg
    build = part_built(app, db, 12)
    [whole] = ranges(db, build)

    # Check a filler that says it has streamed nearly to the end keeps the rest.
    assert steal(db, [build], {whole.index: LAST}) is None
    assert ranges(db, build) == [whole]
