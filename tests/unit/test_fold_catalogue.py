"""Every event type is either listed as no journey entry or fully known to the fold, and the
fold refuses, loudly and alike whether checked or not, what it has no rule for."""

from __future__ import annotations

import inspect
from typing import Any
from uuid import uuid4

import pytest

from domain import reference
from domain.person import appliers, rules
from domain.person import events as ev
from domain.person.fold_state import FoldError, describe, known_movement
from domain.person.journey import entry_rules, fold
from domain.person.vocabulary import MOVEMENTS, TRANSFER_IN, Direction, MovementType
from domain.provenance import Provenance
from tests.conftest import at

PERSON = uuid4()


def event_types() -> list[type[ev.PersonEvent]]:
    return [
        cls
        for _, cls in inspect.getmembers(ev, inspect.isclass)
        if issubclass(cls, ev.PersonEvent)
        and cls is not ev.PersonEvent
        and cls.__module__ == ev.__name__
    ]


def make(event_class: type[ev.PersonEvent], version: int, **fields: Any) -> ev.PersonEvent:
    provenance = Provenance("officer.one", "API", at(version)).event_fields()
    return event_class(
        originator_id=PERSON,
        originator_version=version,
        timestamp=at(version),
        **provenance,
        **fields,
    )


def movement(version: int, *move: str) -> ev.MovementRecorded:
    """A movement: its type, direction, reason, and the agencies it goes from and to."""
    kind, direction, reason, frm, to = move
    entry = make(
        ev.MovementRecorded,
        version,
        movement_type=kind,
        direction=direction,
        reason_code=reason,
        from_agency=frm,
        to_agency=to,
    )
    assert isinstance(entry, ev.MovementRecorded)
    return entry


def admitted() -> list[ev.PersonEvent]:
    return [movement(2, "ADM", "IN", "N", "OUT", "LEI")]


# ---- the catalogue ----


def test_every_event_type_is_a_listed_non_entry_or_fully_known_to_the_fold() -> None:
    types = event_types()
    assert len(types) >= 20
    for event_class in types:
        if not ev.is_entry(event_class):
            assert event_class in ev.NOT_ENTRIES
            continue
        assert event_class in rules.GUARDS, event_class
        assert event_class in appliers.APPLIERS, event_class
        assert ev.label_of(event_class), event_class
        assert ev.description_of(event_class), event_class
        found = entry_rules(event_class)
        assert found.guard is rules.GUARDS[event_class]
        assert found.applier is appliers.APPLIERS[event_class]


def test_the_non_entries_are_the_registration_voids_and_merges() -> None:
    assert {c.__name__ for c in ev.NOT_ENTRIES} == {
        "Registered",
        "EntriesVoided",
        "EntriesReinstated",
        "MergedInto",
        "MergeUndone",
        "RecordsMerged",
        "MergeReversed",
        "Restricted",
        "RestrictionLifted",
        "RetentionHeld",
        "HoldReleased",
    }
    # Check the guards and appliers name only entries, and every entry type.
    entries = {c for c in event_types() if ev.is_entry(c)}
    assert set(rules.GUARDS) == entries
    assert set(appliers.APPLIERS) == entries
    for event_class in ev.NOT_ENTRIES:
        assert ev.label_of(event_class) and ev.description_of(event_class), event_class
        with pytest.raises(FoldError, match="not a journey entry"):
            entry_rules(event_class)


def test_every_known_movement_has_a_guard_and_an_applier() -> None:
    assert set(rules.MOVEMENT_GUARDS) == MOVEMENTS
    assert set(appliers.PLACES) == MOVEMENTS


def test_every_reason_the_reference_data_gives_a_known_movement_folds() -> None:
    reasons = reference.movement_reasons()
    for kind, direction in MOVEMENTS:
        codes = [r.code for r in reasons if r.movement_type == kind]
        assert codes, kind
        for code in codes:
            entry = movement(2, kind, direction, code, "LEI", "MDI")
            assert known_movement(entry) == (kind, direction)


def test_a_label_inherited_or_a_docstring_written_by_the_dataclass_does_not_count() -> None:
    class Escorted(ev.PersonEvent):
        agency: str

    assert ev.label_of(Escorted) is None
    assert Escorted.__doc__ and Escorted.__doc__.startswith("Escorted(")
    assert ev.description_of(Escorted) is None
    assert ev.label_of(ev.MovementRecorded) == "movement"
    assert ev.description_of(ev.MovementRecorded)


# ---- the fold refuses what it has no rule for ----


def refused(entries: list[Any], says: str) -> None:
    """The fold refuses the entries, naming what it has no rule for, whether it checks the
    journey or only applies it."""
    for checked in (True, False):
        with pytest.raises(FoldError, match=says):
            fold(entries, checked=checked)


@pytest.mark.parametrize(
    ("kind", "direction", "reason"),
    [
        ("ADM", "OUT", "N"),  # a known type, the other direction
        ("REL", "IN", "CR"),
        ("QQQ", "IN", "N"),  # an unknown type
        ("ADM", "SIDEWAYS", "N"),  # an unknown direction
        ("ADM", "in", "N"),  # the vocabulary is exact: events hold the cleaned code
    ],
)
def test_an_unknown_movement_pair_raises_checked_and_unchecked(
    kind: str, direction: str, reason: str
) -> None:
    entries = [*admitted(), movement(3, kind, direction, reason, "LEI", "MDI")]
    refused(entries, f"no rule for a {kind} {direction} movement")


@pytest.mark.parametrize(
    ("kind", "direction", "reason"),
    [
        ("REL", "OUT", "WHY"),  # no such reason
        ("REL", "OUT", "NOTR"),  # a reason of another movement type
        ("ADM", "IN", "cr"),  # not the cleaned code
        ("TRN", "OUT", TRANSFER_IN),  # the arrival reason of an admission, on a departure
    ],
)
def test_an_unknown_reason_for_a_movement_raises_checked_and_unchecked(
    kind: str, direction: str, reason: str
) -> None:
    entries = [*admitted(), movement(3, kind, direction, reason, "LEI", "MDI")]
    refused(entries, f"with reason '{reason}'")


def test_an_event_type_the_fold_does_not_know_raises_checked_and_unchecked() -> None:
    class EscortBooked(ev.PersonEvent):
        """An escort was booked for a court visit."""

        court: str

        label = "escort booked"

    refused(
        [*admitted(), make(EscortBooked, 3, court="LEEDCC")],
        "EscortBooked is a journey entry without a guard",
    )


def test_an_entry_type_missing_only_its_description_raises(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Visited(ev.PersonEvent):
        label = "visited"

    visited: type[ev.PersonEvent] = Visited
    monkeypatch.setitem(rules.GUARDS, visited, rules.no_check)
    monkeypatch.setitem(appliers.APPLIERS, visited, appliers.apply_cell)
    refused([make(Visited, 2)], "Visited is a journey entry without a description")


def test_a_non_entry_fed_to_the_fold_raises_checked_and_unchecked() -> None:
    voided = make(ev.EntriesVoided, 3, entries=[2], target_batch=None)
    refused([*admitted(), voided], "EntriesVoided is not a journey entry")


def test_every_known_movement_folds_both_ways_where_it_is_possible() -> None:
    journey = [
        movement(2, "ADM", "IN", "N", "OUT", "LEI"),
        movement(3, "CRT", "OUT", "CRT", "LEI", "LEEDCC"),
        movement(4, "CRT", "IN", "CRT", "LEEDCC", "LEI"),
        movement(5, "TAP", "OUT", "RO", "LEI", "OUT"),
        movement(6, "TAP", "IN", "RO", "OUT", "LEI"),
        movement(7, "TRN", "OUT", "NOTR", "LEI", "MDI"),
        movement(8, "ADM", "IN", TRANSFER_IN, "TRN", "MDI"),
        movement(9, "REL", "OUT", "CR", "MDI", "OUT"),
    ]
    seen = {(MovementType(e.movement_type), Direction(e.direction)) for e in journey}
    assert seen == MOVEMENTS
    state, conflicts = fold(journey)
    assert conflicts == {}
    lenient, _ = fold(journey, checked=False)
    assert state.location == lenient.location
    assert state.location.status == "released"
    assert describe(journey[-1]) == "entry 9 (REL OUT MDI->OUT at 2024-01-17 09:00)"
