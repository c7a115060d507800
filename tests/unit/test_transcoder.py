"""The orjson transcoder: event state goes into the store and comes back with the same types."""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import pytest

from domain.person import events as ev
from domain.service.application import JourneyApp
from domain.service.catalogue import (
    AcceptAreaTransfer,
    AddIdentifier,
    Admit,
    EscalateRisk,
    RecordKeyDates,
    ReinstateEntries,
    RejectAreaTransfer,
    RejectHandover,
    RequestAreaTransfer,
    RequestHandover,
    VoidEntries,
)
from domain.service.protection_commands import (
    HoldRetention,
    LiftRestriction,
    ReleaseHolds,
    Restrict,
)
from domain.service.settings import Settings
from domain.service.transcoder import OrjsonTranscoder
from tests.conftest import at, prov
from tests.helpers import leeds_to_moorland, released_to_probation, to_court_and_back

NOMS = "A1234BC"
OTHER = "Z9999ZZ"
LONDON_SUMMER = timezone(timedelta(hours=1))


def typed(value: object) -> object:
    """A value with the type of every part spelled out, so 1 == 1.0 or a date == str differ."""
    if isinstance(value, dict):
        return {typed(k): typed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return (type(value).__name__, [typed(v) for v in value])
    if isinstance(value, datetime):
        return ("datetime", value.isoformat(), value.utcoffset())
    return (type(value).__name__, value)


def round_trip(value: object) -> Any:
    transcoder = OrjsonTranscoder()
    return transcoder.decode(transcoder.encode(value))


# ---- values ----


def test_nested_values_round_trip_with_their_types() -> None:
    value = {
        "occurred_at": datetime(2024, 3, 31, 0, 30, tzinfo=UTC),
        "local": datetime(2024, 7, 1, 9, 15, 30, 123456, tzinfo=LONDON_SUMMER),
        "birth": date(1980, 5, 17),
        "nothing": None,
        "flag": True,
        "count": 3,
        "ratio": 0.25,
        "name": "Zoë Ní Bhriain — 東京 🚀",
        "items": [1, "two", None, date(2024, 1, 1), [datetime(2024, 1, 2, tzinfo=UTC)]],
        "nested": {"deeper": {"when": date(2025, 9, 1), "list": []}, "empty": {}},
    }
    back = round_trip(value)
    assert back == value
    assert typed(back) == typed(value)
    # Check a datetime stays a datetime (not a date) and keeps its offset.
    assert type(back["local"]) is datetime
    assert back["local"].utcoffset() == timedelta(hours=1)
    assert type(back["birth"]) is date


def test_key_dates_inside_a_dict_value_round_trip() -> None:
    value = {
        "dates": {"CRD": date(2024, 9, 1), "SED": date(2025, 9, 1), "HDCED": None},
        "entries": [2, 3],
        "target_batch": None,
    }
    back = round_trip(value)
    assert typed(back) == typed(value)
    assert type(back["dates"]["CRD"]) is date


def test_unicode_is_stored_as_utf8_json() -> None:
    encoded = OrjsonTranscoder().encode({"name": "Siân"})
    assert encoded == '{"name":"Siân"}'.encode()


def test_datetimes_and_dates_are_tagged_in_the_stored_bytes() -> None:
    encoded = OrjsonTranscoder().encode(
        {"a": datetime(2024, 1, 8, 9, 0, tzinfo=UTC), "b": date(2024, 1, 8)}
    )
    assert encoded == b'{"a":{"_dt_":"2024-01-08T09:00:00+00:00"},"b":{"_d_":"2024-01-08"}}'


class Opaque:
    """Something with no faithful JSON form."""


@dataclass(frozen=True)
class Point:
    """orjson would store a dataclass as a dict, which decodes as a dict, not a Point."""

    x: int


class Colour(Enum):
    """orjson would store an enum as its value, which decodes as the bare value."""

    RED = "red"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(uuid.UUID("6f1c3b0e-5d2a-4d8e-9a57-2f0c8e4b7a11"), id="uuid"),
        pytest.param(Decimal("12.50"), id="decimal"),
        pytest.param(Opaque(), id="object"),
        pytest.param({"nested": [Opaque()]}, id="nested-object"),
        pytest.param(Point(1), id="dataclass"),
        pytest.param(Colour.RED, id="enum"),
    ],
)
def test_values_it_cannot_decode_faithfully_are_refused(value: object) -> None:
    # Each would come back as another type (a UUID as a str): refuse it, do not change it.
    with pytest.raises(TypeError):
        OrjsonTranscoder().encode({"value": value})


# ---- every event through a real store ----


def every_event_journey(app: JourneyApp) -> str:
    """One journey that records every kind of event a person's history can hold."""
    result = app.register(
        prov(at(-1), ref="reg-1", source="NOMIS"),
        given_name="Siân",
        family_name="O'Brien-Łukasz",
        date_of_birth=date(1980, 5, 17),
        identifiers={"NOMS": NOMS, "CRN": "X123456"},
        sex="F",
    )
    app.handle(NOMS, [AddIdentifier(kind="PNC", value="12/394773H")], prov(at(-0.5)))
    app.handle(
        NOMS, [Admit(prison="LEI", movement_reason="N")], prov(at(0), ref="mv-1", source="NOMIS")
    )
    to_court_and_back(app, NOMS)
    app.handle(
        NOMS,
        [
            RecordKeyDates(
                dates={"CRD": date(2024, 9, 1), "SED": date(2025, 9, 1), "HDCED": date(2024, 7, 1)}
            )
        ],
        prov(at(6), batch="kd-1"),
    )
    leeds_to_moorland(app, NOMS)
    risk = app.handle(NOMS, [EscalateRisk(level="HIGH")], prov(at(120), reason="threats to staff"))
    app.handle(NOMS, [RecordKeyDates(dates={"HDCED": None})], prov(at(130)))
    released_to_probation(app, NOMS)
    app.handle(NOMS, [RequestAreaTransfer(region="N55", pdu="N55SHF")], prov(at(240)))
    app.handle(NOMS, [AcceptAreaTransfer()], prov(at(241)))
    app.handle(NOMS, [RequestAreaTransfer(region="N55", pdu="N55LEE", team="LEE2")], prov(at(250)))
    app.handle(NOMS, [RejectAreaTransfer()], prov(at(251), reason="no capacity"))
    app.handle(NOMS, [RequestHandover(to="custody")], prov(at(260)))
    app.handle(NOMS, [RejectHandover()], prov(at(261), reason="not ready"))
    app.handle(NOMS, [VoidEntries(entries=(risk.entry,))], prov(at(270), reason="raised in error"))
    app.handle(
        NOMS, [ReinstateEntries(entries=(risk.entry,))], prov(at(271), reason="was right after all")
    )
    # A second record of the same person, merged in and the merge reversed.
    app.register(
        prov(at(-1), source="NOMIS"),
        given_name=None,
        family_name=None,
        date_of_birth=None,
        identifiers={"NOMS": OTHER},
    )
    app.merge(NOMS, OTHER, prov(at(272), reason="NOMIS merge"))
    app.unmerge(NOMS, OTHER, prov(at(273), reason="not the same person"))
    # Restricted and lifted, held and released, each with its reason.
    acts = (Restrict(), LiftRestriction(), HoldRetention(), ReleaseHolds())
    for act, why in zip(acts, ("contested", "corrected", "civil claim", "settled"), strict=True):
        app.handle(NOMS, [act], prov(at(274), reason=why))
    return result.person_id


def other_id(made: list[Any], pid: str) -> str:
    """The second record's person id: the one whose history holds a MergedInto."""
    return next(str(e.originator_id) for e in made if type(e).__name__ == "MergedInto")


def person_event_classes() -> set[str]:
    return {
        name
        for name, cls in inspect.getmembers(ev, inspect.isclass)
        if issubclass(cls, ev.PersonEvent) and cls is not ev.PersonEvent
    }


def test_every_event_survives_a_store_round_trip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path}/j.sqlite"
    writer = JourneyApp(Settings(database_url=url))
    # Keep the events exactly as they were made in memory, before any encoding.
    made: list[Any] = []
    save: Callable[..., Any] = writer.save

    def spy(*objs: Any, **kwargs: Any) -> Any:
        recordings = save(*objs, **kwargs)
        made.extend(r.domain_event for r in recordings)
        return recordings

    monkeypatch.setattr(writer, "save", spy)
    try:
        pid = every_event_journey(writer)
        written_state = writer.state(NOMS)
        written_timeline = writer.timeline(NOMS)
    finally:
        writer.close()

    reader = JourneyApp(Settings(database_url=url))
    try:
        read_state = reader.state(NOMS)
        read_timeline = reader.timeline(NOMS)
        stored = list(reader.events.get(uuid.UUID(pid)))
    finally:
        reader.close()

    # Check the journey is the one intended, so the comparison below means something.
    assert written_state is not None and read_state is not None
    assert read_state.version == 35
    assert read_state.anomalies == ()
    assert read_state.ownership.pdu == "N55SHF"
    assert read_state.ownership.risk_level == "HIGH"
    assert read_state.key_dates == {"CRD": date(2024, 9, 1), "SED": date(2025, 9, 1)}
    assert read_state.identifiers == {
        "NOMS": (NOMS,),
        "CRN": ("X123456",),
        "PNC": ("2012/0394773H",),
    }

    # Check a second application on the same file sees the same state and timeline.
    assert asdict(read_state) == asdict(written_state)
    assert typed(asdict(read_state)) == typed(asdict(written_state))
    assert [e.details for e in read_timeline] == [e.details for e in written_timeline]
    assert typed([e.details for e in read_timeline]) == typed([e.details for e in written_timeline])
    assert read_timeline == written_timeline

    # Check every stored event decodes to exactly what was made in memory, types included.
    originals = [e for e in made if str(e.originator_id) == pid]
    assert [e.originator_version for e in originals] == list(range(1, 36))
    assert len(stored) == len(originals)
    for original, decoded in zip(originals, stored, strict=True):
        assert type(decoded) is type(original)
        assert typed(vars(decoded)) == typed(vars(original)), type(original).__name__

    # Check every kind of person event was exercised (the merged record holds two of them).
    reader = JourneyApp(Settings(database_url=url))
    try:
        other = reader.timeline(reader.person(uuid.UUID(other_id(made, pid))).id)
    finally:
        reader.close()
    kinds = {e.kind for e in read_timeline} | {e.kind for e in other}
    assert kinds == person_event_classes()
    assert len(person_event_classes()) == 24


def test_identifier_claims_survive_a_store_round_trip(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/j.sqlite"
    writer = JourneyApp(Settings(database_url=url))
    try:
        pid = every_event_journey(writer)
    finally:
        writer.close()
    reader = JourneyApp(Settings(database_url=url))
    try:
        for ref in (NOMS, "X123456", "2012/0394773H"):
            assert str(reader.resolve(ref)) == pid
    finally:
        reader.close()
