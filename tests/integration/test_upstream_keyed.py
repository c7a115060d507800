"""Upstream answers kept by what was asked for (tests/corpus, provenance in its README): the
prison API's `BookingMovement`s by booking id, found by the booking id a person was given by an
earlier record naming it beside their NOMS number; community-api's offender managers by CRN.
One movement is one entry whatever shape brings it, and however its key was stored before."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from domain.service.application import JourneyApp
from domain.service.catalogue import Admit, StartSupervision
from replay import sniff
from replay.importer import Importer, ImportOptions, ImportReport
from tests.conftest import at, prov
from tests.helpers import register
from tests.integration.test_upstream_corpus import as_booking

CORPUS = Path(__file__).parents[1] / "corpus"
BOOKINGS: dict[str, list[dict[str, Any]]] = orjson.loads(
    (CORPUS / "booking_movements.json").read_bytes()
)
EXPECTED: dict[str, Any] = orjson.loads((CORPUS / "expected.json").read_bytes())
EVENTS: list[dict[str, Any]] = orjson.loads((CORPUS / "prisoner_events.json").read_bytes())
MANAGERS: dict[str, list[dict[str, Any]]] = orjson.loads(
    (CORPUS / "community_offender_managers.json").read_bytes()
)
LONDON = ZoneInfo("Europe/London")


def load(app: JourneyApp, path: Path, source: str = "NOMIS") -> ImportReport:
    return Importer(app).run(
        path, ImportOptions(source, "auto", "corpus.loader", accept_valid=True)
    )


def written(tmp_path: Path, name: str, content: Any) -> Path:
    path = tmp_path / name
    path.write_bytes(orjson.dumps(content))
    return path


def messages() -> list[dict[str, Any]]:
    return [orjson.loads(wrapped["Message"]) for wrapped in EVENTS]


def owner(booking: str) -> str:
    return str(next(m["offenderIdDisplay"] for m in messages() if str(m["bookingId"]) == booking))


def test_a_booking_no_one_holds_is_refused_saying_what_to_load_first(
    memory_app: JourneyApp,
) -> None:
    with open(CORPUS / "booking_movements.json", "rb") as stream:
        found = sniff.sniff(stream)
    assert (found.file_format, found.shape, found.loadable) == ("nomis", sniff.BY_BOOKING, True)
    report = load(memory_app, CORPUS / "booking_movements.json")
    assert report.rejected == sum(len(rows) for rows in BOOKINGS.values())
    assert report.entries == 0
    assert {r.field for r in report.rejects} == {"bookingId"}
    assert all("load first a record naming it" in r.reason for r in report.rejects)


def test_booking_movements_find_the_person_given_the_booking(
    memory_app: JourneyApp, tmp_path: Path
) -> None:
    """Only each booking's first prisoner-events message is loaded: it gives the person the
    booking id; the booking's movements then place them where the independent model says."""
    first_of = [
        next(w for w, m in zip(EVENTS, messages(), strict=True) if str(m["bookingId"]) == b)
        for b in BOOKINGS
    ]
    assert load(memory_app, written(tmp_path, "firsts.json", first_of)).rejected == 0
    report = load(memory_app, CORPUS / "booking_movements.json")
    assert report.rejected == 0, [r.reason for r in report.rejects]
    assert report.entries == sum(len(rows) for rows in BOOKINGS.values()) - len(BOOKINGS)
    for booking in BOOKINGS:
        state = memory_app.state(owner(booking))
        assert state is not None
        assert booking in state.identifiers["BOOKING"]
        assert as_booking(state) == EXPECTED[owner(booking)], booking


def test_one_movement_is_one_entry_in_every_shape(memory_app: JourneyApp) -> None:
    assert load(memory_app, CORPUS / "prisoner_events.json").rejected == 0
    report = load(memory_app, CORPUS / "booking_movements.json")
    # Check every booking movement is recognised as the prisoner-events message of it.
    assert (report.rejected, report.entries) == (0, 0), [r.reason for r in report.rejects]
    assert report.duplicates == sum(len(rows) for rows in BOOKINGS.values())


def test_a_movement_stored_under_the_earlier_key_is_recognised(
    memory_app: JourneyApp, tmp_path: Path
) -> None:
    """Keys stored before the shape-free form led with the NOMS number and ended with the
    reason; the same movement arriving now, in any shape, is still one entry."""
    row = BOOKINGS["2198632"][0]
    when = datetime.fromisoformat(row["movementDateTime"]).replace(tzinfo=LONDON)
    legacy = f"A4591WZ|{when.isoformat()}|ADM|IN|LEEDMC|LEI|N"
    register(memory_app, {"NOMS": "A4591WZ", "BOOKING": "2198632"}, when=at(-4000))
    admitted = Admit(prison="LEI", movement_reason="N", from_agency="LEEDMC")
    memory_app.handle("A4591WZ", [admitted], prov(when, ref=legacy, source="NOMIS"))
    report = load(memory_app, written(tmp_path, "again.json", {"2198632": [row]}))
    assert (report.rejected, report.entries, report.duplicates) == (0, 0, 1)


def test_a_person_holds_every_booking_of_their_custody_periods(
    memory_app: JourneyApp, tmp_path: Path
) -> None:
    assert load(memory_app, CORPUS / "prisoner_events.json").rejected == 0
    first = orjson.loads(EVENTS[0]["Message"])
    again = {
        **first,
        "bookingId": 2598177,
        "movementSeq": 1,
        "movementDateTime": "2025-11-03T15:10:00",
        "eventDatetime": "2025-11-03T15:31:02.119027",
        "movementType": "ADM",
        "movementReasonCode": "L",
        "fromAgencyLocationId": "OUT",
        "toAgencyLocationId": first["toAgencyLocationId"],
    }
    state = memory_app.state(first["offenderIdDisplay"])
    assert state is not None and state.location.status.value == "in"
    # The later booking is taken only once the person is out: release them first.
    released = {
        **first,
        "movementSeq": 99,
        "movementDateTime": "2025-10-01T09:00:00",
        "eventDatetime": "2025-10-01T09:20:41.500012",
        "movementType": "REL",
        "movementReasonCode": "CR",
        "directionCode": "OUT",
        "fromAgencyLocationId": state.location.agency,
        "toAgencyLocationId": "OUT",
    }
    report = load(memory_app, written(tmp_path, "later.json", [released, again]))
    assert report.rejected == 0, [r.reason for r in report.rejects]
    state = memory_app.state(first["offenderIdDisplay"])
    assert state is not None
    assert set(state.identifiers["BOOKING"]) == {str(first["bookingId"]), "2598177"}


def test_community_offender_managers_take_the_borough_as_pdu(memory_app: JourneyApp) -> None:
    with open(CORPUS / "community_offender_managers.json", "rb") as stream:
        found = sniff.sniff(stream)
    assert (found.file_format, found.shape, found.loadable) == ("allocations", sniff.BY_CRN, True)
    report = load(memory_app, CORPUS / "community_offender_managers.json", "DELIUS")
    assert report.rejected == 0, [r.reason for r in report.rejects]
    for crn, managers in MANAGERS.items():
        state = memory_app.state(crn)
        assert state is not None
        for manager in managers:
            if manager["isPrisonOffenderManager"]:
                prison = manager["probationArea"]["institution"]["nomsPrisonInstitutionCode"]
                assert (state.ownership.pom, state.ownership.pom_unit) == (
                    manager["staffCode"],
                    prison,
                )
                continue
            assert state.ownership.region == manager["probationArea"]["code"]
            assert state.ownership.pdu == manager["team"]["borough"]["code"]
            assert state.ownership.com == manager["staffCode"]
    # Check the day-only effective time is said with every entry.
    entries = [e for crn in MANAGERS for e in memory_app.timeline(crn)]
    allocated = [e for e in entries if e.kind == "OffenderManagerAllocated"]
    assert len(allocated) == sum(len(m) for m in MANAGERS.values())
    assert all(e.reason and "fromDate gives no time" in e.reason for e in allocated)


def test_an_unallocated_borough_keeps_the_case_s_pdu_or_is_refused(
    memory_app: JourneyApp, tmp_path: Path
) -> None:
    manager = MANAGERS["X356103"][0]
    placeholder = {
        **manager,
        "staffCode": "N07UATU",
        "isUnallocated": True,
        "fromDate": "2024-02-01",
        "team": {
            "code": "N07UAT",
            "description": "Unallocated Team(N07)",
            "borough": {"code": "N07UAT", "description": "Unallocated Level 2(N07)"},
        },
    }
    register(memory_app, {"CRN": "X356103"})
    supervised = StartSupervision(region="N07", pdu="N07CROY")
    memory_app.handle("X356103", [supervised], prov(at(0)))
    path = written(
        tmp_path, "unallocated.json", {"X356103": [placeholder], "X356199": [placeholder]}
    )
    report = load(memory_app, path, "DELIUS")
    # Check the case with a PDU in the provider keeps it, saying why and that no officer is
    # allocated yet; the case with none is refused, naming the team.
    assert report.entries == 1
    assert [(r.line, r.field) for r in report.rejects] == [(2, "teamCode")]
    state = memory_app.state("X356103")
    assert state is not None
    assert (state.ownership.pdu, state.ownership.com) == ("N07CROY", "N07UATU")
    entry = memory_app.timeline("X356103")[-1]
    assert entry.reason is not None
    assert "team.borough N07UAT is no PDU" in entry.reason and "placeholder" in entry.reason


def test_a_load_links_a_booking_to_its_person_whatever_the_line_order(
    memory_app: JourneyApp, tmp_path: Path
) -> None:
    """One file: a booking's later movements named only by booking id, listed before the
    prisoner-events message that names the booking beside the NOMS number: one person, every
    line taken."""
    booking = "2198632"
    linked = next(w for w, m in zip(EVENTS, messages(), strict=True) if m["bookingId"] == 2198632)
    rest = [{"bookingId": booking, **row} for row in BOOKINGS[booking][1:]]
    report = load(memory_app, written(tmp_path, "mixed.json", [*rest, linked]))
    assert (report.rejected, report.people) == (0, 1), [r.reason for r in report.rejects]
    state = memory_app.state(owner(booking))
    assert state is not None
    assert as_booking(state) == EXPECTED[owner(booking)]
    assert state.identifiers["BOOKING"] == (booking,)
