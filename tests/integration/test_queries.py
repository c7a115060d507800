"""Each read-model question, built from events on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

from domain.service import catalogue as c
from domain.service.application import JourneyApp
from projections import queries
from projections.db import ReadDb
from projections.runner import Runner
from tests.conftest import at, prov
from tests.helpers import register

NOW = at(400)


def person(
    app: JourneyApp, noms: str, given: str, family: str, dob: date = date(1980, 1, 2), **ids: str
) -> None:
    register(app, {"NOMS": noms, **ids}, given, family, dob)


def admitted(app: JourneyApp, noms: str, given: str, family: str, prison: str = "LEI") -> None:
    """A person registered and admitted to `prison` on remand on day 0."""
    person(app, noms, given, family)
    app.handle(noms, [c.Admit(prison=prison, movement_reason="N")], prov(at(0)))


def ids(rows: list[queries.PersonRow]) -> list[str]:
    return [r.noms or "" for r in rows]


def test_search_by_identifier_name_and_birth(store: tuple[JourneyApp, ReadDb]) -> None:
    app, db = store
    person(app, "A0001AA", "Jonathan", "Smithson", CRN="X000001", PNC="12/394773H")
    person(app, "A0002AA", "Mary", "Smith", date(1990, 7, 1))
    person(app, "A0003AA", "Peter", "Jones")
    Runner(app, db).catch_up()
    for ref in ("A0001AA", "x000001", "2012/0394773H", "12/394773H"):
        assert ids(queries.search(db, identifier=ref)) == ["A0001AA"]
    assert queries.search(db, identifier="B9999ZZ") == []
    # Check prefix search on family name, then narrowing by date of birth.
    assert sorted(ids(queries.search(db, name="smith"))) == ["A0001AA", "A0002AA"]
    assert ids(queries.search(db, name="smith", date_of_birth=date(1990, 7, 1))) == ["A0002AA"]
    # Check a misspelt name still finds the person.
    assert ids(queries.search(db, name="Jnoes Peter")) == ["A0003AA"]
    assert ids(queries.search(db, date_of_birth=date(1990, 7, 1))) == ["A0002AA"]


def test_roll_and_population(store: tuple[JourneyApp, ReadDb]) -> None:
    app, db = store
    for n, noms in enumerate(["A0001AA", "A0002AA", "A0003AA", "A0004AA"]):
        admitted(app, noms, "P", f"Roll{n}")
    app.handle("A0002AA", [c.CourtOut(prison="LEI", court="LEEDCC")], prov(at(1)))
    app.handle("A0003AA", [c.TransferOut(from_prison="LEI", to_prison="MDI")], prov(at(1)))
    app.handle("A0003AA", [c.Arrive(prison="MDI")], prov(at(1, 3)))
    app.handle("A0004AA", [c.Release(from_agency="LEI", movement_reason="CR")], prov(at(2)))
    Runner(app, db).catch_up()
    roll = queries.roll(db, "lei")
    assert sorted((r.noms, r.status) for r in roll) == [("A0001AA", "in"), ("A0002AA", "court")]
    assert queries.population(db) == {"LEI": {"in": 1, "court": 1}, "MDI": {"in": 1}}


def test_queues(store: tuple[JourneyApp, ReadDb]) -> None:
    app, db = store
    # A handover pending for 10 days.
    admitted(app, "A0001AA", "Han", "Dover")
    app.handle("A0001AA", [c.RequestHandover(to="community")], prov(NOW - timedelta(days=10)))
    # An area transfer pending for 3 days.
    person(app, "A0002AA", "Area", "Mover")
    app.handle("A0002AA", [c.StartSupervision(region="N55", pdu="N55LEE")], prov(at(0)))
    app.handle(
        "A0002AA",
        [c.RequestAreaTransfer(region="N07", pdu="N07CROY")],
        prov(NOW - timedelta(days=3)),
    )
    # Released with nobody in the community holding the case.
    admitted(app, "A0003AA", "No", "Owner")
    app.handle("A0003AA", [c.Release(from_agency="LEI", movement_reason="CR")], prov(at(50)))
    # In transit for two days.
    admitted(app, "A0004AA", "Long", "Transit")
    app.handle(
        "A0004AA",
        [c.TransferOut(from_prison="LEI", to_prison="MDI")],
        prov(NOW - timedelta(days=2)),
    )
    # Release due in 20 days, with a community owner.
    admitted(app, "A0005AA", "Soon", "Out", prison="MDI")
    app.handle("A0005AA", [c.StartSupervision(region="N55", pdu="N55LEE")], prov(at(1)))
    app.handle("A0005AA", [c.AllocateCom(officer="COM Ali", pdu="N55LEE")], prov(at(1)))
    app.handle(
        "A0005AA", [c.RecordKeyDates(dates={"CRD": (NOW + timedelta(days=20)).date()})], prov(at(2))
    )
    Runner(app, db).catch_up()

    assert ids(queries.pending_handovers(db, timedelta(days=7), now=NOW)) == ["A0001AA"]
    assert queries.pending_handovers(db, timedelta(days=11), now=NOW) == []
    assert ids(queries.pending_area_transfers(db, timedelta(days=2), now=NOW)) == ["A0002AA"]
    assert queries.pending_area_transfers(db, timedelta(days=4), now=NOW) == []
    assert ids(queries.released_without_owner(db)) == ["A0003AA"]
    transits = queries.long_transits(db, timedelta(hours=24), now=NOW)
    assert ids(transits) == ["A0004AA"] and transits[0].detail == "MDI"
    assert queries.long_transits(db, timedelta(hours=72), now=NOW) == []
    upcoming = queries.upcoming_releases(db, 30, today=NOW.date())
    assert ids(upcoming) == ["A0005AA"]
    assert (upcoming[0].prison, upcoming[0].pdu, upcoming[0].com) == ("MDI", "N55LEE", "COM Ali")
    assert queries.upcoming_releases(db, 10, today=NOW.date()) == []
    assert ids(queries.upcoming_releases(db, 30, today=NOW.date(), prison="MDI")) == ["A0005AA"]
    assert queries.upcoming_releases(db, 30, today=NOW.date(), prison="LEI") == []
