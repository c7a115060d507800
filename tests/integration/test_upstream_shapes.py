"""The other shapes upstream services write movements in (tests/corpus, with provenance in its
README), each told by its fields and loaded with no refusal; a value a shape lacks is taken
openly, said with the entry; a notification that is not a movement record is refused, named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from domain.person.state import Status
from domain.reference import is_prison
from domain.reference.teams import known_team
from domain.service.application import JourneyApp
from domain.service.catalogue import StartSupervision
from replay import sniff
from replay.importer import Importer, ImportOptions, ImportReport
from tests.conftest import at, prov
from tests.helpers import register

CORPUS = Path(__file__).parents[1] / "corpus"


def load(app: JourneyApp, name: str) -> ImportReport:
    options = ImportOptions("NOMIS", "auto", "corpus.loader", accept_valid=True)
    return Importer(app).run(CORPUS / name, options)


def records(name: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = orjson.loads((CORPUS / name).read_bytes())
    return found


@pytest.mark.parametrize(
    "name", ["movements_feed.json", "offender_movements.json", "prisoner_events.json"]
)
def test_each_shape_is_told_by_its_fields_and_loads_whole(
    memory_app: JourneyApp, name: str
) -> None:
    with open(CORPUS / name, "rb") as stream:
        found = sniff.sniff(stream)
    assert (found.file_format, found.loadable) == ("nomis", True), found
    report = load(memory_app, name)
    assert report.rejected == 0, [r.reason for r in report.rejects]
    assert report.entries > len(records(name)) // 2


def test_the_daily_feed_says_which_reason_it_took(memory_app: JourneyApp) -> None:
    load(memory_app, "movements_feed.json")
    for item in records("movements_feed.json"):
        entries = [
            e
            for e in memory_app.timeline(item["offenderNo"])
            if e.kind == "MovementRecorded" and e.details["movement_type"] == item["movementType"]
        ]
        assert entries, item
        # Check every movement says the feed gave no reason, and which one was taken.
        for entry in entries:
            assert entry.reason is not None
            assert "movementReasonCode not given; taken as" in entry.reason
            assert entry.details["reason_code"] in entry.reason
    # Check an arrival from a prison is taken as the end of a transfer.
    feed = records("movements_feed.json")
    arrival = next(i for i in feed if i["movementType"] == "ADM" and is_prison(i["fromAgency"]))
    taken = {e.details.get("reason_code") for e in memory_app.timeline(arrival["offenderNo"])}
    assert "INT" in taken


def test_offender_movements_register_people_by_name(memory_app: JourneyApp) -> None:
    load(memory_app, "offender_movements.json")
    item = records("offender_movements.json")[0]
    state = memory_app.state(item["offenderNo"])
    assert state is not None
    assert (state.given_name, state.family_name) == (item["firstName"], item["lastName"])
    assert state.date_of_birth is not None
    assert state.date_of_birth.isoformat() == item["dateOfBirth"]


def test_prisoner_events_place_people_as_their_movements_say(memory_app: JourneyApp) -> None:
    load(memory_app, "prisoner_events.json")
    last: dict[str, dict[str, Any]] = {}
    for wrapped in records("prisoner_events.json"):
        message = orjson.loads(wrapped["Message"])
        last[message["offenderIdDisplay"]] = message
    for noms, message in last.items():
        state = memory_app.state(noms)
        assert state is not None
        if (message["movementType"], message["directionCode"]) == ("ADM", "IN"):
            assert (state.location.status, state.location.agency) == (
                Status.IN,
                message["toAgencyLocationId"],
            )


def test_notifications_confirm_the_movements_on_record(memory_app: JourneyApp) -> None:
    """Each received or released notification follows one corpus movement: loaded after the
    movements, every one finds its movement and records nothing."""
    options = ImportOptions("NOMIS", "auto", "corpus.loader", accept_valid=True)
    Importer(memory_app).run(CORPUS / "prison_api_movements.json", options)
    report = load(memory_app, "domain_events.json")
    assert (report.rejected, report.entries) == (0, 0), [r.reason for r in report.rejects]
    assert report.duplicates == len(records("domain_events.json"))


def test_notifications_alone_record_what_they_can_and_name_what_they_lack(
    memory_app: JourneyApp,
) -> None:
    report = load(memory_app, "domain_events.json")
    assert report.entries > 0
    # Check a transfer out or a court visit with no movement on record is refused, naming
    # what the notification lacks; any other refusal names the entry it conflicts with.
    lacking = [r for r in report.rejects if r.field == "additionalInformation.reason"]
    assert lacking and all("names no" in r.reason for r in lacking)
    assert all(r.history for r in report.rejects if r not in lacking)
    # Check an admission is recorded at the prison it names.
    first = orjson.loads(records("domain_events.json")[0]["Message"])["additionalInformation"]
    entries = [e for e in memory_app.timeline(first["nomsNumber"]) if e.kind == "MovementRecorded"]
    assert entries[0].details["to_agency"] == first["prisonId"]
    # Check every reason the journey took for one a notification lacks is said with the entry.
    people = {
        orjson.loads(m["Message"])["additionalInformation"]["nomsNumber"]
        for m in records("domain_events.json")
    }
    said = [
        e
        for noms in people
        if memory_app.state(noms) is not None
        for e in memory_app.timeline(noms)
        if e.kind == "MovementRecorded" and e.reason and "taken as" in e.reason
    ]
    assert said
    assert all(e.details["reason_code"] in e.reason for e in said if e.reason)


def test_delius_allocations_take_their_team_s_pdu(memory_app: JourneyApp) -> None:
    """Delius's workforce allocations name a provider and a team, no PDU: a team in the team
    register takes its PDU; one the register lacks keeps the case's own PDU in that provider;
    each says with the entry how the PDU was found."""
    with open(CORPUS / "delius_allocations.json", "rb") as stream:
        assert sniff.sniff(stream).file_format == "allocations"
    report = load(memory_app, "delius_allocations.json")
    assert report.rejected == 0, [r.reason for r in report.rejects]
    for item in records("delius_allocations.json"):
        entries = [
            e for e in memory_app.timeline(item["crn"]) if e.kind == "OffenderManagerAllocated"
        ]
        entry = next(e for e in entries if e.details["officer"] == item["staffCode"])
        assert entry.reason is not None and entry.reason.startswith("PDU not given")
        team = known_team(item["teamCode"])
        # Check a registered team gives its PDU; the unallocated team keeps the case's.
        expected = team.pdu_code if team else entries[0].details["unit"]
        assert entry.details["unit"] == expected, item
        assert (team is None) == ("taken as the case's" in entry.reason)
    # Check a reallocation to a team in another PDU moves the case there.
    state = memory_app.state("C865995")
    assert state is not None
    assert (state.ownership.pdu, state.ownership.com) == ("N51LPLS", "N51SL22")


def test_delius_allocations_the_journey_cannot_place_are_refused_named(
    memory_app: JourneyApp, tmp_path: Path
) -> None:
    first = records("delius_allocations.json")[0]
    unknown = {**first, "crn": "X900991", "teamCode": "N55ZZZ", "staffCode": "N55ZZZ1"}
    elsewhere = {**first, "crn": "X900992", "providerCode": "N53"}
    path = tmp_path / "delius_unplaced.json"
    path.write_bytes(orjson.dumps([unknown, elsewhere]))
    report = Importer(memory_app).run(path, ImportOptions("DELIUS", "auto", "corpus.loader"))
    assert report.entries == 0
    reasons = {r.line: (r.field, r.reason) for r in report.rejects}
    # Check a team in no register, for a case with no PDU, says what to load instead.
    assert reasons[1][0] == "teamCode" and "load the allocation with its PDU" in reasons[1][1]
    # Check a team the register puts in another provider is refused, naming both.
    assert reasons[2] == (
        "teamCode",
        "team N55LS1 is in provider N55 in the team register, not N53",
    )


def test_a_team_not_in_the_register_keeps_the_case_s_own_pdu(
    memory_app: JourneyApp, tmp_path: Path
) -> None:
    first = records("delius_allocations.json")[0]
    register(memory_app, {"CRN": first["crn"]})
    supervised = StartSupervision(region=first["providerCode"], pdu="N55LEE")
    memory_app.handle(first["crn"], [supervised], prov(at(0)))
    again = {**first, "teamCode": "N55UAT", "createdDate": "2024-05-03T10:30:54.023+01:00"}
    path = tmp_path / "delius_again.json"
    path.write_bytes(orjson.dumps([again]))
    report = Importer(memory_app).run(path, ImportOptions("DELIUS", "auto", "corpus.loader"))
    assert (report.rejected, report.entries) == (0, 1), [r.reason for r in report.rejects]
    state = memory_app.state(first["crn"])
    assert state is not None
    assert (state.ownership.pdu, state.ownership.com) == ("N55LEE", first["staffCode"])
    entry = memory_app.timeline(first["crn"])[-1]
    assert entry.reason is not None and "taken as the case's" in entry.reason
