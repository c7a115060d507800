"""The timeline lists every event in the order it was recorded (found by the model-based test:
corrections were listed after every entry, even entries recorded after them)."""

from __future__ import annotations

from datetime import date

from domain.service.application import JourneyApp
from domain.service.catalogue import Admit, RecordKeyDates, VoidEntries
from tests.conftest import at, prov


def test_a_void_sits_between_the_entries_it_came_between(memory_app: JourneyApp) -> None:
    app = memory_app
    app.register(
        prov(at(-1)),
        given_name="Order",
        family_name="Test",
        date_of_birth=date(1980, 1, 1),
        identifiers={"NOMS": "A1212OT"},
    )
    app.handle("A1212OT", [Admit(prison="LEI", movement_reason="N")], prov(at(0)))
    app.handle("A1212OT", [VoidEntries(entries=(2,))], prov(at(1), reason="keyed in error"))
    app.handle("A1212OT", [RecordKeyDates(dates={"CRD": date(2025, 1, 1)})], prov(at(2)))
    rows = app.timeline("A1212OT")
    assert [(r.entry, r.kind) for r in rows] == [
        (1, "Registered"),
        (2, "MovementRecorded"),
        (3, "EntriesVoided"),
        (4, "KeyDatesRecorded"),
    ]
    assert [r.voided is not None for r in rows] == [False, True, False, False]
