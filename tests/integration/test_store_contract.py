"""The contract every store meets: the same journeys give the same answers on memory, SQLite
and PostgreSQL, and refusals leave the store unchanged."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import date, timedelta
from functools import partial
from pathlib import Path

import pytest

from domain.errors import DomainError, IdentifierTaken, ImpossibleJourney, InvalidValue, NotFound
from domain.person.state import AgencyKind, Responsibility, Status
from domain.service.application import JourneyApp
from domain.service.catalogue import (
    AcceptHandover,
    AddIdentifier,
    Admit,
    Arrive,
    CourtOut,
    CourtReturn,
    MoveCell,
    RecordKeyDates,
    ReinstateEntries,
    RejectHandover,
    Release,
    StartSupervision,
    TransferOut,
    VoidEntries,
)
from domain.service.settings import Settings
from tests.conftest import at, prov
from tests.helpers import leeds_to_moorland, released_to_probation, to_court_and_back

NOMS = "A1234BC"


def register(app: JourneyApp, noms: str = NOMS, **extra: str) -> str:
    result = app.register(
        prov(at(-1), ref=f"reg-{noms}"),
        given_name="John",
        family_name="Smith",
        date_of_birth=date(1980, 5, 17),
        identifiers={"NOMS": noms, **extra},
        sex="M",
    )
    return result.person_id


def full_journey(app: JourneyApp) -> str:
    """Reception, court, return, transfer, arrival, TAP, release, supervision, handover, recall."""
    pid = register(app)
    app.handle(NOMS, [Admit(prison="LEI", movement_reason="N")], prov(at(0)))
    to_court_and_back(app, NOMS)
    app.handle(
        NOMS,
        [RecordKeyDates(dates={"CRD": date(2024, 9, 1), "SED": date(2025, 9, 1)})],
        prov(at(6)),
    )
    leeds_to_moorland(app, NOMS)
    released_to_probation(app, NOMS)
    app.handle(NOMS, [Admit(prison="LEI", movement_reason="L")], prov(at(300)))
    return pid


def test_full_journey_state(app: JourneyApp) -> None:
    full_journey(app)
    state = app.state(NOMS)
    assert state is not None
    # Check the recall puts them back in Leeds, with community responsibility kept.
    assert state.location.status is Status.IN
    assert state.location.agency == "LEI"
    assert state.location.reason_code == "L"
    assert state.ownership.responsibility is Responsibility.COMMUNITY
    assert state.ownership.pdu == "N55LEE"
    assert state.ownership.pom == "POM Jones"
    assert state.ownership.com == "COM Patel"
    assert state.ownership.pending_handover is None
    assert state.key_dates == {"CRD": date(2024, 9, 1), "SED": date(2025, 9, 1)}
    assert state.identifiers == {"NOMS": (NOMS,)}
    assert state.anomalies == ()


def test_time_travel_through_the_journey(app: JourneyApp) -> None:
    full_journey(app)
    # Check before the first event there is no location at all.
    before = app.state(NOMS, as_of=at(-0.5))
    assert before is not None
    assert before.location.status is Status.NONE
    assert before.location.agency is None
    at_court = app.state(NOMS, as_of=at(5, 2))
    assert at_court is not None
    assert (at_court.location.status, at_court.location.agency) == (Status.COURT, "LEEDCC")
    assert at_court.location.prison == "LEI"
    assert at_court.location.agency_kind is AgencyKind.COURT
    in_transit = app.state(NOMS, as_of=at(30, 2))
    assert in_transit is not None
    assert in_transit.location.status is Status.TRANSIT
    assert (in_transit.location.prison, in_transit.location.destination) == ("LEI", "MDI")
    after_release = app.state(NOMS, as_of=at(236, 0.5))
    assert after_release is not None
    assert after_release.location.status is Status.RELEASED
    supervised = app.state(NOMS, as_of=at(240))
    assert supervised is not None
    assert supervised.ownership.responsibility is Responsibility.COMMUNITY
    assert supervised.location.status is Status.SUPERVISED
    assert supervised.location.agency_kind is AgencyKind.COMMUNITY
    assert supervised.location.agency == "N55LEE"
    assert supervised.ownership.pdu == "N55LEE"


def test_backdated_record_falls_into_place(app: JourneyApp) -> None:
    register(app)
    app.handle(NOMS, [Admit(prison="LEI", movement_reason="N")], prov(at(0)))
    app.handle(NOMS, [TransferOut(from_prison="LEI", to_prison="MDI")], prov(at(10)))
    app.handle(NOMS, [Arrive(prison="MDI")], prov(at(10, 5)))
    # Check a cell move recorded late, effective before the transfer, falls into place.
    app.handle(NOMS, [MoveCell(prison="LEI", cell="C-2-014")], prov(at(3)))
    state = app.state(NOMS)
    assert state is not None
    assert (state.location.status, state.location.agency, state.location.cell) == (
        Status.IN,
        "MDI",
        None,
    )
    then = app.state(NOMS, as_of=at(4))
    assert then is not None
    assert (then.location.agency, then.location.cell) == ("LEI", "C-2-014")
    # Check a late admission date correction earlier than everything else is accepted.
    app.handle(NOMS, [RecordKeyDates(dates={"PED": date(2024, 6, 1)})], prov(at(-0.5)))
    early = app.state(NOMS, as_of=at(-0.4))
    assert early is not None
    assert early.key_dates == {"PED": date(2024, 6, 1)}
    assert early.location.status is Status.NONE


def _events(app: JourneyApp) -> int:
    return app.recorder.max_notification_id() or 0


def test_impossible_records_are_refused_and_store_unchanged(app: JourneyApp) -> None:
    register(app)
    app.handle(NOMS, [Admit(prison="LEI", movement_reason="N")], prov(at(0)))
    head = _events(app)
    cases: list[tuple[Callable[[], object], type[DomainError], str, int | None]] = [
        # Leaving a prison the person is not in names the admission it conflicts with.
        (
            lambda: app.handle(
                NOMS, [TransferOut(from_prison="MDI", to_prison="LEI")], prov(at(1))
            ),
            ImpossibleJourney,
            "from_agency",
            2,
        ),
        (
            lambda: app.handle(NOMS, [CourtReturn(court="LEEDCC", prison="LEI")], prov(at(1))),
            ImpossibleJourney,
            "from_agency",
            2,
        ),
        (
            lambda: app.handle(NOMS, [Arrive(prison="MDI")], prov(at(1))),
            ImpossibleJourney,
            "reason",
            2,
        ),
        (
            lambda: app.handle(NOMS, [Admit(prison="MDI", movement_reason="N")], prov(at(1))),
            ImpossibleJourney,
            "to_agency",
            2,
        ),
        (
            lambda: app.handle(
                NOMS, [Release(from_agency="MDI", movement_reason="CR")], prov(at(1))
            ),
            ImpossibleJourney,
            "from_agency",
            2,
        ),
        # A cell move before the admission: in no prison yet. (A movement there would
        # start the history part way through custody, presuming where it leaves from.)
        (
            lambda: app.handle(NOMS, [MoveCell(prison="LEI", cell="A-1-001")], prov(at(-0.5))),
            ImpossibleJourney,
            "agency",
            None,
        ),
        (
            lambda: app.handle(
                NOMS, [Admit(prison="LEI", movement_reason="N")], prov(at(0) + timedelta(days=3650))
            ),
            DomainError,
            "occurred_at",
            None,
        ),
        (
            lambda: app.handle(NOMS, [Admit(prison="XXX", movement_reason="N")], prov(at(1))),
            InvalidValue,
            "prison",
            None,
        ),
        (
            lambda: app.handle(NOMS, [CourtOut(prison="LEI", court="NOPE99")], prov(at(1))),
            InvalidValue,
            "court",
            None,
        ),
        (
            lambda: app.handle(
                NOMS, [Release(from_agency="LEI", movement_reason="ZZ")], prov(at(1))
            ),
            InvalidValue,
            "reason",
            None,
        ),
        (
            lambda: app.handle(NOMS, [MoveCell(prison="LEI", cell="not a cell")], prov(at(1))),
            InvalidValue,
            "cell",
            None,
        ),
        (
            lambda: app.handle(
                NOMS, [RecordKeyDates(dates={"XYZ": date(2025, 1, 1)})], prov(at(1))
            ),
            InvalidValue,
            "dates.XYZ",
            None,
        ),
        (
            lambda: app.handle(NOMS, [StartSupervision(region="N07", pdu="N55LEE")], prov(at(1))),
            InvalidValue,
            "pdu",
            None,
        ),
        (
            lambda: app.handle(NOMS, [AcceptHandover()], prov(at(1))),
            ImpossibleJourney,
            "handover",
            None,
        ),
        (lambda: app.handle(NOMS, [RejectHandover()], prov(at(1))), InvalidValue, "reason", None),
        (
            lambda: app.handle(NOMS, [Admit(prison="LEI", movement_reason="N")], prov(at(-20000))),
            InvalidValue,
            "occurred_at",
            None,
        ),
    ]
    for call, error, field, blocking in cases:
        with pytest.raises(error) as caught:
            call()
        assert caught.value.field == field, caught.value
        assert caught.value.reason
        if blocking is not None:
            assert isinstance(caught.value, ImpossibleJourney)
            assert caught.value.conflicting_entry == blocking
            assert f"entry {blocking}" in caught.value.reason
        assert _events(app) == head, f"store changed after refusing {field}"


def test_backdated_record_conflicting_with_later_entry_is_refused(app: JourneyApp) -> None:
    register(app)
    app.handle(NOMS, [Admit(prison="LEI", movement_reason="N")], prov(at(0)))
    app.handle(NOMS, [TransferOut(from_prison="LEI", to_prison="MDI")], prov(at(10)))
    head = _events(app)
    # A release on day 5 would make the day-10 transfer out of Leeds impossible.
    with pytest.raises(ImpossibleJourney) as caught:
        app.handle(NOMS, [Release(from_agency="LEI", movement_reason="CR")], prov(at(5)))
    assert caught.value.conflicting_entry == 3
    assert "later record" in caught.value.reason
    assert _events(app) == head


def test_identifiers_are_unique_across_people(app: JourneyApp) -> None:
    first = register(app, CRN="X123456")
    head = _events(app)
    with pytest.raises(IdentifierTaken) as caught:
        app.register(
            prov(at(0)),
            given_name="Jane",
            family_name="Doe",
            date_of_birth=date(1990, 1, 1),
            identifiers={"NOMS": "B2345CD", "CRN": "x123456"},
        )
    assert caught.value.holder == first
    assert caught.value.field == "identifiers.CRN"
    assert _events(app) == head
    # Check the refused person's other identifier was not claimed either.
    with pytest.raises(NotFound):
        app.resolve("B2345CD")


def test_lookup_by_every_identifier_form(app: JourneyApp) -> None:
    pid = register(app, CRN="X123456", PNC="12/394773H", CRO="29906/12J")
    for ref in ("A1234BC", "a1234bc", "X123456", "2012/0394773H", "12/394773H", "029906/12J"):
        assert str(app.resolve(ref)) == pid
    with pytest.raises(InvalidValue) as caught:
        app.resolve("12/394773A")
    assert caught.value.field == "identifier"


def test_add_identifier_is_claimed(app: JourneyApp) -> None:
    pid = register(app)
    other = register(app, noms="B2345CD")
    app.handle(NOMS, [AddIdentifier(kind="CRN", value="X654321")], prov(at(1)))
    assert str(app.resolve("X654321")) == pid
    head = _events(app)
    with pytest.raises(IdentifierTaken):
        app.handle(other, [AddIdentifier(kind="CRN", value="X654321")], prov(at(1)))
    assert _events(app) == head
    state = app.state(pid)
    assert state is not None
    assert state.identifiers["CRN"] == ("X654321",)


def test_same_source_record_twice_records_nothing(app: JourneyApp) -> None:
    register(app)
    first = app.handle(
        NOMS, [Admit(prison="LEI", movement_reason="N")], prov(at(0), ref="mv-1", source="NOMIS")
    )
    head = _events(app)
    again = app.handle(
        NOMS, [Admit(prison="LEI", movement_reason="N")], prov(at(0), ref="mv-1", source="NOMIS")
    )
    assert (again.entry, again.changed) == (first.entry, False)
    assert _events(app) == head
    # Check registering the same source record twice returns the first person.
    register_r9 = partial(
        app.register,
        prov(at(0), ref="r-9", source="NOMIS"),
        given_name="A",
        family_name="B",
        date_of_birth=date(1970, 1, 1),
        identifiers={"NOMS": "C3456DE"},
    )
    reg1 = register_r9()
    reg2 = register_r9()
    assert reg2.person_id == reg1.person_id
    assert not reg2.changed


def test_void_and_reinstate_a_batch(app: JourneyApp) -> None:
    register(app)
    app.handle(NOMS, [Admit(prison="LEI", movement_reason="N")], prov(at(0)))
    app.handle(NOMS, [TransferOut(from_prison="LEI", to_prison="MDI")], prov(at(10), batch="b-old"))
    app.handle(NOMS, [Arrive(prison="MDI")], prov(at(10, 2), batch="b-old"))
    known_before_void = app.state(NOMS)
    assert known_before_void is not None
    result = app.handle(
        NOMS, [VoidEntries(batch="b-old")], prov(at(20), reason="bad load", by="recovery.lead")
    )
    assert result.changed
    state = app.state(NOMS)
    assert state is not None
    assert (state.location.status, state.location.agency) == (Status.IN, "LEI")
    # Check voiding twice records nothing new.
    again = app.handle(NOMS, [VoidEntries(batch="b-old")], prov(at(21), reason="bad load"))
    assert not again.changed
    # Check the timeline still shows the voided entries, marked with why and by whom.
    marks = {e.entry: e.voided for e in app.timeline(NOMS)}
    assert marks[3] is not None and marks[3].reason == "bad load"
    assert marks[3].voided_by == "recovery.lead"
    assert marks[2] is None
    # Check what staff saw before the void is still answerable.
    seen = app.state(
        NOMS, as_known_at=known_before_void.ownership.since and app.timeline(NOMS)[3].recorded_at
    )
    assert seen is not None and seen.location.agency == "MDI"
    app.handle(NOMS, [ReinstateEntries(batch="b-old")], prov(at(22), reason="load was right"))
    back = app.state(NOMS)
    assert back is not None and back.location.agency == "MDI"


def test_stale_expected_version_is_refused(app: JourneyApp) -> None:
    register(app)
    app.handle(NOMS, [Admit(prison="LEI", movement_reason="N")], prov(at(0)))
    from domain.service.errors import StaleVersion

    with pytest.raises(StaleVersion) as caught:
        app.handle(NOMS, [MoveCell(prison="LEI", cell="B-2-010")], prov(at(1)), expected_version=1)
    assert caught.value.current.version == 2
    result = app.handle(
        NOMS, [MoveCell(prison="LEI", cell="B-2-010")], prov(at(1)), expected_version=2
    )
    assert result.person_version == 3


def test_states_identical_across_reload(app: JourneyApp) -> None:
    full_journey(app)
    first = app.state(NOMS)
    app.repository.cache = None
    reloaded = app.person(NOMS).state()
    assert first is not None and reloaded is not None
    assert asdict(first) == asdict(reloaded)


@pytest.mark.postgres
def test_the_same_journey_gives_identical_state_on_every_store(pg_url: str, tmp_path: Path) -> None:
    states = {}
    for name, url in [
        ("memory", "memory://"),
        ("sqlite", f"sqlite:///{tmp_path / 'j.sqlite'}"),
        ("postgres", pg_url),
    ]:
        app = JourneyApp(Settings(database_url=url))
        try:
            full_journey(app)
            moments = [None, at(-0.5), at(5, 2), at(30, 2), at(236, 0.5), at(240)]
            states[name] = [
                {k: v for k, v in asdict(s).items() if k != "person_id"}
                for s in (app.state(NOMS, as_of=m) for m in moments)
                if s is not None
            ]
        finally:
            app.close()
    assert len(states["memory"]) == 6
    assert states["memory"] == states["sqlite"] == states["postgres"]


def test_entries_recorded_together_are_checked_together(app: JourneyApp) -> None:
    register(app)
    app.handle(NOMS, [Admit(prison="LEI", movement_reason="N")], prov(at(0)))
    app.handle(NOMS, [TransferOut(from_prison="LEI", to_prison="MDI")], prov(at(10)))
    # Check a late court visit, impossible one half at a time, is accepted as a pair.
    with pytest.raises(ImpossibleJourney):
        app.handle(NOMS, [CourtOut(prison="LEI", court="LEEDMC")], prov(at(3)))
    result = app.handle(
        NOMS,
        [CourtOut(prison="LEI", court="LEEDMC"), CourtReturn(court="LEEDMC", prison="LEI")],
        [prov(at(3), ref="c-1"), prov(at(3, 6), ref="c-2")],
    )
    assert result.changed and result.person_version == 5
    at_court = app.state(NOMS, as_of=at(3, 1))
    assert at_court is not None and at_court.location.agency == "LEEDMC"
    # Check the same pair again records nothing (each line keeps its source reference).
    again = app.handle(
        NOMS,
        [CourtOut(prison="LEI", court="LEEDMC"), CourtReturn(court="LEEDMC", prison="LEI")],
        [prov(at(3), ref="c-1"), prov(at(3, 6), ref="c-2")],
    )
    assert not again.changed
    # Check a set with one impossible member is refused whole, naming that member.
    head = _events(app)
    with pytest.raises(ImpossibleJourney) as caught:
        app.handle(
            NOMS,
            [
                MoveCell(prison="LEI", cell="A-1-002"),
                Release(from_agency="MDI", movement_reason="CR"),
            ],
            [prov(at(4)), prov(at(4, 1))],
        )
    assert caught.value.entry == 7 and caught.value.field == "from_agency"
    assert _events(app) == head
    state = app.state(NOMS)
    assert state is not None and state.version == 5
