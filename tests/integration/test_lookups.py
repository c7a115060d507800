"""Where-is lookups read and logged together, on SQLite and PostgreSQL: each lookup gets its own
person's record and exactly one access-log entry, and none if the log cannot be written."""

from __future__ import annotations

import asyncio

import pytest

from api.access_log import Access, AccessLog, Lookup
from domain.service.application import JourneyApp
from domain.service.catalogue import Admit, Release, StartSupervision
from projections import queries
from projections.db import ReadDb
from projections.runner import Runner
from tests import aio
from tests.conftest import at, prov
from tests.helpers import register

PEOPLE = [f"A{n:04d}AA" for n in range(1, 31)]


def people(app: JourneyApp, db: ReadDb) -> None:
    for n, noms in enumerate(PEOPLE):
        register(app, noms, "Look", f"Up{n}")
        app.handle(noms, [Admit(prison="LEI", movement_reason="N")], prov(at(0)))
    app.handle(PEOPLE[0], [Release(from_agency="LEI", movement_reason="CR")], prov(at(1)))
    app.handle(PEOPLE[0], [StartSupervision(region="N55", pdu="N55LEE")], prov(at(1)))
    Runner(app, db).catch_up()


def lookup(ref: str, n: int, region: str | None = None) -> Lookup:
    kind, value = queries.identifier_key(ref)
    entry = Access("officer.one", "prison", "person.read", f"req-{n}", purpose="checking")
    return Lookup(kind, value, region, entry)


async def all_at_once(log: AccessLog, db: ReadDb, lookups: list[Lookup]) -> list[object]:
    await db.aopen()
    try:
        found: list[object] = await asyncio.gather(
            *(log.read_logged(x) for x in lookups), return_exceptions=True
        )
        return found
    finally:
        await db.aclose()


def test_concurrent_lookups_each_get_their_record_and_one_entry(
    store: tuple[JourneyApp, ReadDb],
) -> None:
    app, db = store
    people(app, db)
    log = AccessLog(db)
    log.ensure()
    lookups = [lookup(noms, n) for n, noms in enumerate(PEOPLE)]
    lookups.append(lookup("Z9999ZZ", 98))  # no one holds it
    lookups.append(lookup(PEOPLE[1], 99, region="N55"))  # held in custody, not by N55
    lookups.append(lookup(PEOPLE[0], 100, region="N55"))  # supervised by N55
    results = aio.run(all_at_once(log, db, lookups))
    # Check each lookup got its own person, in order, and the misses got nothing.
    names = [
        queries.person_record_from_row(r).person["family_name"] if r else None  # type: ignore[arg-type]
        for r in results
    ]
    assert names == [f"Up{n}" for n in range(30)] + [None, None, "Up0"]
    # Check one entry per disclosure, naming the right person and request; none for misses.
    entries = log.query(limit=1000)
    assert sorted(e.request_id for e in entries) == sorted(
        [f"req-{n}" for n in range(30)] + ["req-100"]
    )
    for e in entries:
        record = queries.person_record(db, e.person_id or "")
        assert record is not None
        n = 0 if e.request_id == "req-100" else int(e.request_id.split("-")[1])
        assert record.person["family_name"] == f"Up{n}"
        assert (e.user, e.action, e.purpose) == ("officer.one", "person.read", "checking")


@pytest.mark.postgres
def test_a_failed_log_write_returns_no_record_to_any_lookup(pg_url: str) -> None:
    from domain.service.settings import Settings
    from projections.db import open_read_db

    settings = Settings(database_url=pg_url)
    app, db = JourneyApp(settings), open_read_db(settings.database)
    try:
        people(app, db)
        log = AccessLog(db)
        log.ensure()
        db.execute(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'log refused'; END $$"
        )
        db.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON access_log "
            "FOR EACH ROW EXECUTE FUNCTION refuse()"
        )
        results = aio.run(all_at_once(log, db, [lookup(x, n) for n, x in enumerate(PEOPLE)]))
        assert all(isinstance(r, Exception) and "log refused" in str(r) for r in results)
        assert log.query() == []
    finally:
        db.close()
        app.close()
