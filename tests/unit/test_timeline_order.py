"""The timeline lists every event in the order it was recorded (found by the model-based test:
corrections were listed after every entry, even entries recorded after them)."""

from __future__ import annotations

from datetime import date

from domain.service.application import JourneyApp
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
    app.admit("A1212OT", prov(at(0)), prison="LEI", reason="N")
    app.void_entries("A1212OT", prov(at(1), reason="keyed in error"), entries=(2,))
    app.record_key_dates("A1212OT", prov(at(2)), dates={"CRD": date(2025, 1, 1)})
    rows = app.timeline("A1212OT")
    assert [(r.entry, r.kind) for r in rows] == [
        (1, "Registered"),
        (2, "MovementRecorded"),
        (3, "EntriesVoided"),
        (4, "KeyDatesRecorded"),
    ]
    assert [r.voided is not None for r in rows] == [False, True, False, False]
