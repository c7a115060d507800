"""What the pages say: agencies and units by name with the code kept, statuses in words, one
sentence per kind of timeline entry, and unknown codes shown as they are."""

from __future__ import annotations

import inspect
from datetime import date
from typing import Any

import pytest

from api.pages import wording
from api.schemas import Location, PersonLine
from domain.person import events as ev
from domain.person.state import Status

MOVE = {"direction": "IN", "from_agency": "OUT", "to_agency": "LEI", "reason_code": "N"}


def event_types() -> list[str]:
    return [
        name
        for name, kind in vars(ev).items()
        if inspect.isclass(kind) and issubclass(kind, ev.PersonEvent) and kind is not ev.PersonEvent
    ]


def test_every_event_type_has_its_own_sentence() -> None:
    kinds = event_types()
    assert "MovementRecorded" in kinds and "MergeReversed" in kinds
    missing = [k for k in kinds if k not in wording.SENTENCES]
    assert not missing, f"no sentence for {missing}: add one to api/pages/wording.py"


def test_every_status_has_words() -> None:
    assert set(wording.STATUS) == set(Status)
    assert wording.status("in") == "In prison"
    assert wording.status("tap") == "On temporary absence"
    assert wording.status("transit") == "In transit"


SAID: list[tuple[str, dict[str, Any], str | None, str]] = [
    (
        "Registered",
        {
            "given_name": "Bob",
            "family_name": "Mover",
            "date_of_birth": date(1990, 7, 14),
            "sex": None,
            "identifiers": {"NOMS": "B2222BB"},
        },
        None,
        "Registered: Bob Mover, born 14 Jul 1990, NOMS B2222BB",
    ),
    (
        "Registered",
        {"given_name": None, "family_name": None, "identifiers": {"NOMS": "A1111AA"}},
        None,
        "Registered: name not recorded, NOMS A1111AA",
    ),
    (
        "IdentifierAdded",
        {"kind": "PNC", "value": "2012/0394773H"},
        None,
        "Identifier added: PNC 2012/0394773H",
    ),
    (
        "MovementRecorded",
        {
            "movement_type": "TRN",
            "direction": "OUT",
            "from_agency": "WDI",
            "to_agency": "MDI",
            "reason_code": "NOTR",
        },
        None,
        "Transferred from Wakefield (HMP) – WDI to Moorland (HMP & YOI) – MDI"
        " — reason: Normal Transfer (NOTR)",
    ),
    (
        "CellMoved",
        {"agency": "LEI", "cell": "B-2-014"},
        None,
        "Moved to cell B-2-014 in Leeds (HMP) – LEI",
    ),
    (
        "SupervisionStarted",
        {"region": "N55", "pdu": "N55LEE", "team": None},
        None,
        "Supervision started: Leeds – N55LEE, Yorkshire & The Humber – N55",
    ),
    (
        "AreaTransferRequested",
        {"region": "N55", "pdu": "N55LEE", "team": "T1"},
        None,
        "Area transfer requested to Leeds – N55LEE, Yorkshire & The Humber – N55, team T1",
    ),
    ("AreaTransferAccepted", {}, None, "Area transfer accepted"),
    ("AreaTransferRejected", {}, "no capacity", "Area transfer rejected"),
    (
        "OffenderManagerAllocated",
        {"role": "COM", "officer": "COM Patel", "unit": "N55LEE"},
        None,
        "Community offender manager allocated: COM Patel, Leeds – N55LEE",
    ),
    (
        "OffenderManagerAllocated",
        {"role": "POM", "officer": "POM Jones", "unit": "LEI"},
        None,
        "Prison offender manager allocated: POM Jones, Leeds (HMP) – LEI",
    ),
    ("HandoverRequested", {"to": "community"}, None, "Handover to community requested"),
    ("HandoverAccepted", {}, None, "Handover accepted"),
    ("HandoverRejected", {}, "not yet", "Handover rejected"),
    (
        "RiskEscalated",
        {"level": "VERY_HIGH"},
        "threats",
        "Risk escalated to the national probation service: very high",
    ),
    (
        "KeyDatesRecorded",
        {"dates": {"CRD": date(2026, 9, 1), "PED": None}},
        None,
        "Key dates recorded: CRD 01 Sep 2026, PED removed",
    ),
    (
        "KeyDatesRecorded",
        {"dates": {"SED": "2027-01-31"}},
        None,
        "Key dates recorded: SED 31 Jan 2027",
    ),
    (
        "EntriesVoided",
        {"entries": [3, 4], "target_batch": None},
        "keyed twice",
        "Entries 3, 4 voided: keyed twice",
    ),
    (
        "EntriesVoided",
        {"entries": [7], "target_batch": "b-1"},
        "older extract",
        "Entry 7 voided (batch b-1): older extract",
    ),
    (
        "EntriesReinstated",
        {"entries": [3, 4], "target_batch": None},
        None,
        "Entries 3, 4 reinstated",
    ),
    ("MergedInto", {"kept": "p-1"}, None, "Merged into the record p-1"),
    ("MergeUndone", {"kept": "p-1"}, None, "Merge into the record p-1 undone"),
    (
        "RecordsMerged",
        {"removed": "p-2", "copies": [5, 6]},
        None,
        "Record p-2 merged in, bringing entries 5, 6",
    ),
    ("MergeReversed", {"removed": "p-2"}, None, "Merge of the record p-2 reversed"),
    ("Restricted", {}, "accuracy contested", "Processing restricted"),
    ("RestrictionLifted", {}, "corrected", "Restriction of processing lifted"),
    ("RetentionHeld", {}, "civil claim", "Held from retention review"),
    ("HoldReleased", {}, "settled", "Retention holds released"),
]


@pytest.mark.parametrize(("kind", "details", "reason", "expected"), SAID)
def test_each_kind_of_entry_reads_as_a_sentence(
    kind: str, details: dict[str, Any], reason: str | None, expected: str
) -> None:
    assert wording.sentence(kind, details, reason) == expected


def test_the_examples_cover_every_event_type() -> None:
    assert {kind for kind, *_ in SAID} == set(event_types())


MOVES: list[tuple[dict[str, str], str]] = [
    (MOVE, "Admitted to Leeds (HMP) – LEI — reason: Unconvicted Remand (N)"),
    (
        {**MOVE, "from_agency": "LEEDCC"},
        "Admitted to Leeds (HMP) – LEI from Leeds Crown Court – LEEDCC"
        " — reason: Unconvicted Remand (N)",
    ),
    (
        {**MOVE, "from_agency": "WDI", "to_agency": "MDI", "reason_code": "INT"},
        "Arrived at Moorland (HMP & YOI) – MDI from Wakefield (HMP) – WDI",
    ),
    (
        {**MOVE, "from_agency": "TRN", "to_agency": "MDI", "reason_code": "INT"},
        "Arrived at Moorland (HMP & YOI) – MDI after a transfer",
    ),
    (
        {"direction": "OUT", "from_agency": "LEI", "to_agency": "LEEDCC", "reason_code": "CRT"},
        "Taken from Leeds (HMP) – LEI to court at Leeds Crown Court – LEEDCC"
        " — reason: Court Appearance (CRT)",
    ),
    (
        {"direction": "IN", "from_agency": "LEEDMC", "to_agency": "LEI", "reason_code": "CRT"},
        "Returned from court at Leeds Magistrates Court – LEEDMC to Leeds (HMP) – LEI"
        " — reason: Court Appearance (CRT)",
    ),
    (
        {"direction": "OUT", "from_agency": "LEI", "to_agency": "OUT", "reason_code": "YRDR"},
        "Temporary absence from Leeds (HMP) – LEI — reason: Resettlement Day Release (YRDR)",
    ),
    (
        {"direction": "IN", "from_agency": "OUT", "to_agency": "LEI", "reason_code": "YRDR"},
        "Returned from temporary absence to Leeds (HMP) – LEI"
        " — reason: Resettlement Day Release (YRDR)",
    ),
    (
        {"direction": "OUT", "from_agency": "MDI", "to_agency": "OUT", "reason_code": "CR"},
        "Released from Moorland (HMP & YOI) – MDI"
        " — reason: Conditional Release (CJA91) -SH Term>1YR (CR)",
    ),
    (
        {"direction": "OUT", "from_agency": "LEI", "to_agency": "OUT", "reason_code": "ESCP"},
        "Unlawfully at large from Leeds (HMP) – LEI — reason: Escape (ESCP)",
    ),
    (
        {"direction": "OUT", "from_agency": "LEI", "to_agency": "OUT", "reason_code": "DEC"},
        "Died in custody at Leeds (HMP) – LEI — reason: Died (DEC)",
    ),
    (
        {"direction": "OUT", "from_agency": "LEI", "to_agency": "RNN", "reason_code": "HP"},
        "Released to hospital from Leeds (HMP) – LEI"
        " — reason: Final Discharge To Hospital-Psychiatric (HP)",
    ),
]
TYPES = ["ADM", "ADM", "ADM", "ADM", "CRT", "CRT", "TAP", "TAP", "REL", "REL", "REL", "REL"]


CASES = [(kind, *move) for kind, move in zip(TYPES, MOVES, strict=True)]


@pytest.mark.parametrize(("kind", "move", "expected"), CASES)
def test_each_kind_of_movement_reads_as_staff_say_it(
    kind: str, move: dict[str, str], expected: str
) -> None:
    assert wording.sentence("MovementRecorded", {**move, "movement_type": kind}) == expected


def test_unknown_codes_are_shown_as_they_are() -> None:
    assert wording.agency("ZZZ") == "ZZZ"
    assert wording.unit("N99XXX") == "N99XXX"
    assert wording.status("frozen") == "frozen"
    assert wording.key_date("XYZD") == "XYZD"
    assert wording.sentence("SomethingNew", {"a": 1}) == "SomethingNew"
    moved = {
        "movement_type": "QQQ",
        "direction": "OUT",
        "from_agency": "ABC",
        "to_agency": "LEI",
        "reason_code": "WHY",
    }
    assert wording.sentence("MovementRecorded", moved) == (
        "Movement QQQ out from ABC to Leeds (HMP) – LEI — reason: WHY"
    )
    said = wording.sentence("MovementRecorded", {**moved, "movement_type": "TRN"})
    assert said == "Transferred from ABC to Leeds (HMP) – LEI — reason: WHY"


def test_missing_fields_never_raise() -> None:
    for kind in event_types():
        assert wording.sentence(kind, {}, None)
    assert wording.sentence("KeyDatesRecorded", {"dates": {"CRD": "soon"}}) == (
        "Key dates recorded: CRD soon"
    )


def test_names_keep_the_code_and_say_the_place() -> None:
    assert wording.agency("lei") == "Leeds (HMP) – LEI"
    assert wording.agency("LEEDCC") == "Leeds Crown Court – LEEDCC"
    assert wording.agency("OUT") == "outside"
    assert wording.unit("N55") == "Yorkshire & The Humber – N55"
    assert wording.responsibility("custody", "LEI") == "Custody, held by Leeds (HMP) – LEI"
    assert wording.responsibility(None) == "None recorded"
    assert wording.key_date("CRD") == "Conditional release date (CRD)"
    assert wording.queue_detail("long-transits", "MDI") == "Going to Moorland (HMP & YOI) – MDI"
    assert wording.queue_detail("upcoming-releases", "2026-09-01") == "Release due 01 Sep 2026"


def test_a_list_line_says_where_in_words() -> None:
    line = PersonLine(
        person_id="p",
        given_name="Ann",
        family_name="Reader",
        date_of_birth=None,
        noms="A1234BC",
        crn=None,
        pnc=None,
        cro=None,
        status="court",
        agency="LEEDCC",
        prison="LEI",
        cell="B-2-014",
        since=None,
        responsibility="custody",
        owner="LEI",
        pdu=None,
        com=None,
    )
    assert wording.where(line) == "At court, Leeds Crown Court – LEEDCC, cell B-2-014"
    transit = line.model_copy(update={"status": "transit", "agency": "TRN", "cell": None})
    assert wording.where(transit) == "In transit"


def test_the_person_page_names_where_they_are_away_from_their_prison() -> None:
    court = Location(status="court", agency="LEEDCC", agency_kind="court", prison="LEI")
    assert wording.elsewhere(court) == ("Court", "Leeds Crown Court – LEEDCC")
    hospital = Location(status="released", agency="RNN", agency_kind="hospital")
    assert wording.elsewhere(hospital) == ("Hospital", "RNN")
    for status, place in (("released", "OUT"), ("transit", "TRN"), ("tap", "OUT")):
        assert wording.elsewhere(Location(status=status, agency=place, prison="LEI")) is None
    assert wording.elsewhere(Location(status="in", agency="LEI", prison="LEI")) is None


def test_access_log_actions_and_entry_types_in_words() -> None:
    assert wording.action("person.read") == "Read the person's record"
    assert wording.action("queue.long-transits") == "Shown in the work queue: long transits"
    assert wording.action("something.new") == "something.new"
    assert wording.kind_name("MovementRecorded") == "Movement recorded"
    assert wording.kind_name("EntriesVoided") == "Entries voided"


def test_a_dry_runs_changes_in_words() -> None:
    assert wording.change("location", "in MDI A-1-001") == (
        "In prison, Moorland (HMP & YOI) – MDI, cell A-1-001"
    )
    assert wording.change("location", "released OUT") == "Released"
    assert wording.change("owner", "custody LEI") == "Custody, held by Leeds (HMP) – LEI"
    assert wording.change("owner", "- -") == "None recorded"
    assert wording.change("key date CRD", "2026-09-01") == "01 Sep 2026"
    assert wording.change("COM", "-") == "None"
    assert wording.change_field("key date CRD") == "Conditional release date (CRD)"
    assert wording.change_field("location") == "Where"
