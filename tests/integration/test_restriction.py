"""Restriction of processing and retention holds as events on a person, on every store: each
needs a reason, names who recorded it, shows in the state, and lifts or releases cleanly."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.errors import InvalidValue
from domain.service.application import JourneyApp
from domain.service.catalogue import Admit, Release
from domain.service.protection_commands import (
    HoldRetention,
    LiftRestriction,
    ReleaseHolds,
    Restrict,
)
from domain.service.settings import Settings
from projections import queries
from projections.db import ReadDb
from projections.runner import Runner
from tests.conftest import at, prov
from tests.helpers import journey_app, register


def now() -> datetime:
    return datetime.now(UTC)


def test_restricting_and_lifting_are_recorded_with_who_and_why(settings: Settings) -> None:
    with journey_app(settings) as app:
        register(app, "A1234BC")
        app.handle("A1234BC", [Admit(prison="LEI", movement_reason="N")], prov(at(0)))
        # Check a reason is required.
        with pytest.raises(InvalidValue) as missing:
            app.handle("A1234BC", [Restrict()], prov(now()))
        assert missing.value.field == "reason"
        app.handle("A1234BC", [Restrict()], prov(now(), reason="accuracy contested", by="dpo"))
        state = app.state("A1234BC")
        assert state is not None and state.protection.restricted is not None
        assert (state.protection.restricted.by, state.protection.restricted.reason) == (
            "dpo",
            "accuracy contested",
        )
        # Check the journey itself is untouched, and a second restriction is refused.
        assert state.location.prison == "LEI"
        with pytest.raises(InvalidValue, match="already restricted"):
            app.handle("A1234BC", [Restrict()], prov(now(), reason="again"))
        app.handle("A1234BC", [LiftRestriction()], prov(now(), reason="corrected"))
        lifted = app.state("A1234BC")
        assert lifted is not None and lifted.protection.restricted is None
        with pytest.raises(InvalidValue, match="not restricted"):
            app.handle("A1234BC", [LiftRestriction()], prov(now(), reason="again"))


def test_holds_stand_until_released_and_escapes_are_remembered(settings: Settings) -> None:
    with journey_app(settings) as app:
        register(app, "A1234BC")
        app.handle("A1234BC", [Admit(prison="LEI", movement_reason="N")], prov(at(0)))
        app.handle("A1234BC", [Release(from_agency="LEI", movement_reason="ESCP")], prov(at(3)))
        for why in ("inquiry request", "litigation"):
            app.handle("A1234BC", [HoldRetention()], prov(now(), reason=why))
        state = app.state("A1234BC")
        assert state is not None
        assert [h.reason for h in state.protection.holds] == ["inquiry request", "litigation"]
        assert state.protection.ever_ual
        app.handle("A1234BC", [ReleaseHolds()], prov(now(), reason="inquiry closed"))
        released = app.state("A1234BC")
        assert released is not None and released.protection.holds == ()
        with pytest.raises(InvalidValue, match="no retention hold"):
            app.handle("A1234BC", [ReleaseHolds()], prov(now(), reason="again"))
        # Check the events are in the timeline under their own labels.
        labels = [entry.kind for entry in app.timeline("A1234BC")]
        assert labels.count("RetentionHeld") == 2 and "HoldReleased" in labels


def test_a_restricted_record_leaves_every_list(store: tuple[JourneyApp, ReadDb]) -> None:
    app, db = store
    for noms, family in (("A1234BC", "Hidden"), ("B1234BC", "Shown")):
        register(app, noms, "Lee", family)
        app.handle(noms, [Admit(prison="LEI", movement_reason="N")], prov(at(0)))
        app.handle(noms, [Release(from_agency="LEI", movement_reason="CR")], prov(at(2)))
    register(app, "C1234BC", "Lee", "Inside")
    app.handle("C1234BC", [Admit(prison="LEI", movement_reason="N")], prov(at(0)))
    app.handle("C1234BC", [Restrict()], prov(now(), reason="accuracy contested"))
    app.handle("A1234BC", [Restrict()], prov(now(), reason="accuracy contested"))
    Runner(app, db).catch_up()

    def listed(rows: list[queries.PersonRow]) -> list[str]:
        return sorted(r.noms or "" for r in rows)

    # Check search, the queue and the roll leave them out, and the roll counts what it withholds.
    assert listed(queries.search(db, name="shown")) == ["B1234BC"]
    assert queries.search(db, name="hidden") == []
    assert queries.search(db, identifier="A1234BC") == []
    assert listed(queries.released_without_owner(db)) == ["B1234BC"]
    assert queries.roll(db, "LEI") == [] and queries.withheld(db, "LEI") == 1
    # Check the one-person read by identifier leaves them out too (the gate is checked apart).
    assert queries.person_record_by_identifier(db, "A1234BC") is None
    assert queries.restricted(db, str(app.resolve("A1234BC")))
    app.handle("A1234BC", [LiftRestriction()], prov(now(), reason="corrected"))
    Runner(app, db).catch_up()
    assert listed(queries.released_without_owner(db)) == ["A1234BC", "B1234BC"]
