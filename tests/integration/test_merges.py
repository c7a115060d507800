"""Merging two records of one person (a NOMIS merge), and reversing it, on every store."""

from __future__ import annotations

from datetime import date

import pytest

from domain.errors import ImpossibleJourney, InvalidValue
from domain.service.application import JourneyApp
from domain.service.catalogue import Admit, Release
from projections.db import ReadDb
from projections.queries import person_record_by_identifier
from projections.runner import Runner
from projections.verify import verify
from tests.conftest import at, prov
from tests.helpers import register

KEPT, REMOVED = "A1111AA", "B2222BB"


def two_records(app: JourneyApp) -> None:
    """One man booked twice: an old record from an earlier sentence, and the current one."""
    app.register(
        prov(at(-400)),
        given_name="John",
        family_name="Smith",
        date_of_birth=date(1980, 5, 17),
        identifiers={"NOMS": REMOVED, "PNC": "12/394773H"},
    )
    app.handle(REMOVED, [Admit(prison="WYI", movement_reason="N")], prov(at(-399), ref="old-adm"))
    app.handle(
        REMOVED, [Release(from_agency="WYI", movement_reason="CR")], prov(at(-200), ref="old-rel")
    )
    register(app, KEPT, "John", "Smith", date(1980, 5, 17))
    app.handle(KEPT, [Admit(prison="LEI", movement_reason="N")], prov(at(0)))


def test_merge_makes_one_history_and_is_reversible(app: JourneyApp) -> None:
    two_records(app)
    kept_id, removed_id = app.resolve(KEPT), app.resolve(REMOVED)
    app.merge(KEPT, REMOVED, prov(at(1), reason="NOMIS merge", by="dq.team"))

    # Check the removed identifiers lead to the kept person, whose history holds both records.
    assert app.resolve(REMOVED) == kept_id
    assert app.resolve("12/394773H") == kept_id
    state = app.state(KEPT)
    assert state is not None
    assert state.identifiers["NOMS"] == (KEPT, REMOVED)
    assert state.identifiers["PNC"] == ("2012/0394773H",)
    assert state.location.prison == "LEI"
    stays = [(s.prison, s.end is not None) for s in state.stays]
    assert stays == [("WYI", True), ("LEI", False)]
    old = app.person(kept_id).state(as_of=at(-300))
    assert old is not None
    assert old.location.prison == "WYI"
    retired = app.person(removed_id).state()
    assert retired is not None
    assert retired.merged_into == str(kept_id)

    # Check a record from the removed number's source is not duplicated after the merge.
    again = app.handle(
        REMOVED, [Admit(prison="WYI", movement_reason="N")], prov(at(-399), ref="old-adm")
    )
    assert not again.changed

    # Check the merge reverses, as events: both records stand apart again.
    app.unmerge(KEPT, REMOVED, prov(at(2), reason="merged in error", by="dq.team"))
    assert app.resolve(REMOVED) == removed_id
    assert app.resolve("12/394773H") == removed_id
    state = app.state(KEPT)
    assert state is not None
    assert state.identifiers == {"NOMS": (KEPT,)}
    assert [s.prison for s in state.stays] == ["LEI"]
    restored = app.state(REMOVED)
    assert restored is not None
    assert restored.merged_into is None
    assert restored.location.status.value == "released"
    kinds = [e.kind for e in app.timeline(KEPT)]
    assert kinds.count("RecordsMerged") == 1
    assert kinds.count("MergeReversed") == 1


def test_conflicting_records_are_not_merged(app: JourneyApp) -> None:
    two_records(app)
    app.handle(
        REMOVED, [Admit(prison="WYI", movement_reason="N")], prov(at(-10), ref="again")
    )  # in WYI, overlapping
    with pytest.raises(ImpossibleJourney):
        app.merge(KEPT, REMOVED, prov(at(1), reason="NOMIS merge"))
    assert app.resolve(REMOVED) != app.resolve(KEPT)
    with pytest.raises(InvalidValue) as caught:
        app.merge(KEPT, KEPT, prov(at(1), reason="NOMIS merge"))
    assert caught.value.field == "removed"


def test_read_models_follow_a_merge(store: tuple[JourneyApp, ReadDb]) -> None:
    app, db = store
    two_records(app)
    runner = Runner(app, db)
    runner.catch_up()
    app.merge(KEPT, REMOVED, prov(at(1), reason="NOMIS merge"))
    runner.catch_up()
    found = person_record_by_identifier(db, REMOVED)
    assert found is not None
    assert found[0] == str(app.resolve(KEPT))
    assert verify(app, db).total == 0
    app.unmerge(KEPT, REMOVED, prov(at(2), reason="merged in error"))
    runner.catch_up()
    found = person_record_by_identifier(db, REMOVED)
    assert found is not None
    assert found[0] != str(app.resolve(KEPT))
    assert verify(app, db).total == 0
