"""Read models on SQLite and PostgreSQL: exactly once, rebuildable, verifiable."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from domain.service.application import JourneyApp
from domain.service.catalogue import (
    Admit,
    MoveCell,
    RecordKeyDates,
    ReinstateEntries,
    Release,
    TransferOut,
    VoidEntries,
)
from domain.service.settings import Settings
from projections import tables
from projections.db import ReadDb, open_read_db
from projections.rebuild import Build, ranges, rebuild, split
from projections.runner import Runner
from projections.schema import BY_NAME
from projections.verify import verify
from tests.conftest import at, prov
from tests.helpers import no_drift, register


def journey(app: JourneyApp, noms: str, n: int) -> None:
    register(app, noms, "Ann", f"Person{n}", date(1985, 3, 4))
    app.handle(noms, [Admit(prison="LEI", movement_reason="N")], prov(at(0)))
    app.handle(noms, [MoveCell(prison="LEI", cell="A-1-001")], prov(at(0, 1)))
    app.handle(noms, [RecordKeyDates(dates={"CRD": date(2024, 6, 1)})], prov(at(1)))
    if n % 2:
        app.handle(noms, [TransferOut(from_prison="LEI", to_prison="MDI")], prov(at(2)))


def journeys(app: JourneyApp, count: int) -> None:
    """People 1 to `count`, each on the journey above."""
    for n in range(1, count + 1):
        journey(app, noms(n), n)


def noms(n: int) -> str:
    return f"A{n:04d}AA"


def location(db: ReadDb, noms_number: str) -> tuple[str, str | None, str | None]:
    rows = db.query(
        "SELECT l.status, l.agency, l.prison FROM rm_location l JOIN rm_identifiers i "
        "ON i.person_id = l.person_id WHERE i.kind = 'NOMS' AND i.value = %s",
        (noms_number,),
    )
    assert len(rows) == 1, rows
    status, agency, prison = rows[0]
    return status, agency, prison


def projected(store: tuple[JourneyApp, ReadDb], count: int) -> tuple[JourneyApp, ReadDb]:
    """The store with people 1 to `count` on their journeys and every read model caught up."""
    app, db = store
    journeys(app, count)
    Runner(app, db).catch_up()
    return app, db


def test_catch_up_projects_every_person(store: tuple[JourneyApp, ReadDb]) -> None:
    app, db = store
    journeys(app, 20)
    runner = Runner(app, db, batch_size=7)
    position = runner.catch_up()
    assert position == app.recorder.max_notification_id()
    assert location(db, noms(2)) == ("in", "LEI", "LEI")
    assert location(db, noms(3)) == ("transit", "TRN", "LEI")
    assert db.query("SELECT count(*) FROM rm_people")[0][0] == 20
    assert db.query("SELECT count(*) FROM rm_key_dates WHERE code = 'CRD'")[0][0] == 20
    no_drift(app, db, 20)


def test_void_re_derives_rows(store: tuple[JourneyApp, ReadDb]) -> None:
    app, db = store
    journey(app, noms(1), 2)
    app.handle(noms(1), [TransferOut(from_prison="LEI", to_prison="WYI")], prov(at(5), batch="bad"))
    runner = Runner(app, db)
    runner.catch_up()
    assert location(db, noms(1))[0] == "transit"
    result = app.handle(noms(1), [VoidEntries(batch="bad")], prov(at(6), reason="bad load"))
    assert runner.wait_for(result.position or 0, timeout=0.01) is False
    runner.catch_up()
    assert runner.wait_for(result.position or 0, timeout=0.01) is True
    assert location(db, noms(1)) == ("in", "LEI", "LEI")
    app.handle(noms(1), [ReinstateEntries(batch="bad")], prov(at(7), reason="it was right"))
    runner.catch_up()
    assert location(db, noms(1))[0] == "transit"
    assert verify(app, db).total == 0


def test_verify_detects_a_row_corrupted_by_hand(store: tuple[JourneyApp, ReadDb]) -> None:
    app, db = projected(store, 5)
    assert verify(app, db).total == 0
    with db.transaction() as cur:
        cur.execute(
            "UPDATE rm_location_g1 SET agency = 'BXI' WHERE person_id = "
            "(SELECT person_id FROM rm_identifiers WHERE value = %s)",
            (noms(2),),
        )
        cur.execute(
            "DELETE FROM rm_key_dates_g1 WHERE person_id = "
            "(SELECT person_id FROM rm_identifiers WHERE value = %s)",
            (noms(3),),
        )
    drift = verify(app, db)
    assert drift.counts == {"rm_location": 1, "rm_key_dates": 1}
    assert any("agency: 'BXI' != expected 'LEI'" in e for e in drift.examples)
    assert any("missing row" in e for e in drift.examples)


def test_rebuild_swaps_generation_and_keeps_serving(store: tuple[JourneyApp, ReadDb]) -> None:
    app, db = store
    journeys(app, 10)
    runner = Runner(app, db)
    runner.catch_up()
    seen: list[tuple[int, int]] = []
    done = rebuild(
        app, db, ["location", "people"], progress=lambda a, b: seen.append((a, b)), chunk=3
    )
    assert done == {"location": 2, "people": 2}
    assert seen and seen[-1][0] == seen[-1][1]
    with db.transaction(write=False) as cur:
        live = tables.live(cur)
    assert (live["location"].generation, live["ownership"].generation) == (2, 1)
    # Check the old generation's tables are gone and the views serve the new ones.
    assert location(db, noms(3)) == ("transit", "TRN", "LEI")
    journey(app, noms(99), 99)
    runner.catch_up()
    assert location(db, noms(99))[0] == "transit"
    assert verify(app, db).total == 0


def stopped_rebuild(app: JourneyApp, db: ReadDb) -> None:
    """A rebuild of the location read model, 4 people a chunk in one range, stopped as its
    second chunk is reported."""
    calls = 0

    def interrupt(done: int, total: int) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rebuild(app, db, ["location"], progress=interrupt, chunk=4, workers=1)


def test_rebuild_resumes_from_its_cursor(store: tuple[JourneyApp, ReadDb]) -> None:
    app, db = projected(store, 12)
    stopped_rebuild(app, db)
    with db.transaction(write=False) as cur:
        building = [g for g in tables.generations(cur) if g.state == tables.BUILDING]
    assert len(building) == 1
    spans = ranges(db, Build(BY_NAME["location"], building[0].generation, 0))
    assert len(spans) == 1 and spans[0].cursor is not None and not spans[0].done
    partial = db.query("SELECT count(*) FROM rm_location_g2")[0][0]
    assert partial == 8
    assert rebuild(app, db, ["location"], chunk=4) == {"location": 2}
    assert db.query("SELECT count(*) FROM rm_location")[0][0] == 12
    assert verify(app, db).total == 0


def test_status_reports_lag(store: tuple[JourneyApp, ReadDb]) -> None:
    app, db = store
    journey(app, noms(1), 1)
    runner = Runner(app, db)
    behind = runner.lag()
    names = {"location", "ownership", "key_dates", "people", "stays", "protection"}
    assert {lag.name for lag in behind} == names
    assert all(lag.events_behind == lag.head > 0 for lag in behind)
    assert all(lag.seconds_behind >= 0 for lag in behind)
    runner.catch_up()
    assert all(lag.events_behind == 0 and lag.seconds_behind == 0 for lag in runner.lag())


def test_parallel_rebuild_covers_every_person_once(store: tuple[JourneyApp, ReadDb]) -> None:
    app, db = projected(store, 30)
    assert rebuild(app, db, ["location", "key_dates"], workers=3) == {"location": 2, "key_dates": 2}
    assert db.query("SELECT count(*) FROM rm_location")[0][0] == 30
    assert verify(app, db).total == 0


def test_ranges_split_the_id_space_without_gaps() -> None:
    spans = split(4)
    assert spans[0][0] == "" and spans[-1][1] == ""
    assert [hi for _, hi in spans[:-1]] == [lo for lo, _ in spans[1:]]
    assert spans[2][0] == "80000000-0000-0000-0000-000000000000"


def test_embedded_projection_follows_commands(tmp_path: Path) -> None:
    from projections.embedded import EmbeddedProjections

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'embedded.sqlite'}")
    app = JourneyApp(settings)
    db = open_read_db(settings.database)
    try:
        with EmbeddedProjections(app, db) as embedded:
            journey(app, noms(1), 2)
            result = app.handle(
                noms(1), [Release(from_agency="LEI", movement_reason="CR")], prov(at(3))
            )
            # Check a caller can wait, with a bound, until its own write is readable.
            assert embedded.wait_for(result.position, timeout=10)
            assert location(db, noms(1)) == ("released", "OUT", "LEI")
            assert embedded.alive and embedded.error is None
        assert not embedded.alive
    finally:
        db.close()
        app.close()
