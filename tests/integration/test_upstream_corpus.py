"""The corpus of records shaped as the prison API writes them (tests/corpus, with the
provenance of every fact in its README): every real-format record is taken, the deliberately
impossible ones are refused naming the entry they conflict with, every person ends where an
independent model of NOMIS booking status says, the read models show no drift, and the order
and the loads the records come in never change the outcome."""

from __future__ import annotations

import random
import tempfile
from collections import Counter
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.person.state import AgencyKind, PersonState, Status
from domain.service.application import JourneyApp
from domain.service.settings import Settings
from projections.db import ReadDb
from projections.runner import Runner
from replay import formats, sniff
from replay.formats import Record
from replay.importer import Importer, ImportOptions, ImportReport
from tests.helpers import journey_app, no_drift

CORPUS = Path(__file__).parents[1] / "corpus"
MOVEMENTS: list[dict[str, Any]] = orjson.loads((CORPUS / "prison_api_movements.json").read_bytes())
EXPECTED: dict[str, Any] = orjson.loads((CORPUS / "expected.json").read_bytes())
IMPOSSIBLE = {item["index"] for item in EXPECTED["impossible"]}
PEOPLE = sorted({m["offenderNo"] for m in MOVEMENTS})
MEMORY = Settings(database_url="memory://")


def load(app: JourneyApp, records: list[dict[str, Any]], tmp: Path, name: str) -> ImportReport:
    path = tmp / f"{name}.json"
    path.write_bytes(orjson.dumps(records))
    options = ImportOptions("NOMIS", "auto", "corpus.loader", accept_valid=True, file_name=name)
    return Importer(app).run(path, options)


def as_booking(state: PersonState) -> dict[str, Any]:
    """The person's state in the words of the independent model of NOMIS booking status."""
    loc = state.location
    if loc.status is Status.RELEASED:
        hospital = loc.agency_kind is AgencyKind.HOSPITAL
        return {"status": "hospital" if hospital else "out", "agency": loc.agency, "prison": None}
    if loc.status is Status.TRANSIT:
        return {"status": "transit", "agency": loc.destination, "prison": None}
    if loc.status is Status.TAP:
        return {"status": "tap", "agency": None, "prison": loc.prison}
    if loc.status in {Status.DIED, Status.UAL}:
        return {"status": loc.status.value, "agency": loc.agency, "prison": None}
    return {"status": loc.status.value, "agency": loc.agency, "prison": loc.prison}


# Every file of the corpus, in the order an operator would load them: the records naming a
# person only by booking id come after those linking the booking to a NOMS number.
ORDER = (
    "prison_api_movements.json",
    "movements_feed.json",
    "offender_movements.json",
    "prisoner_events.json",
    "domain_events.json",
    "booking_movements.json",
    "delius_allocations.json",
    "community_offender_managers.json",
)


def test_the_whole_corpus_imports_and_everyone_is_where_nomis_says(
    store: tuple[JourneyApp, ReadDb],
) -> None:
    assert {p.name for p in CORPUS.glob("*.json")} == {*ORDER, "expected.json"}
    app, db = store
    cases: set[str] = set()
    for name in ORDER:
        source = "DELIUS" if sniff.format_of(CORPUS / name, "auto") == "allocations" else "NOMIS"
        options = ImportOptions(source, "auto", "corpus.loader", accept_valid=True)
        report = Importer(app).run(CORPUS / name, options)
        # Check only the deliberately impossible records are refused, each naming the entry
        # it conflicts with; every other shape's records are taken.
        refused = {reject.line - 1 for reject in report.rejects}
        assert refused == (IMPOSSIBLE if name == ORDER[0] else set()), (name, report.rejects)
        assert all(reject.history and "entry " in reject.reason for reject in report.rejects)
        if source == "DELIUS":
            cases |= {p.person.split(":", 1)[1] for p in _records(CORPUS / name)}
    # Check every person ends where the independent model says.
    found = {noms: as_booking(app.state(noms)) for noms in PEOPLE}  # type: ignore[arg-type]
    expected = {noms: EXPECTED[noms] for noms in PEOPLE}
    assert found == expected
    # Check the read models match the log.
    Runner(app, db).catch_up()
    no_drift(app, db, len(PEOPLE) + len(cases))


def _records(path: Path) -> list[Record]:
    with open(path, "rb") as stream:
        return [r for r in formats.read(stream, "allocations") if isinstance(r, Record)]


def outcome(app: JourneyApp) -> dict[str, Any]:
    """Each person's state and the entries their history holds, whatever order they came in:
    entry numbers, and the moment a person the records name was registered, follow the order
    records arrive in, so they are left out."""
    seen: dict[str, Any] = {}
    for noms in PEOPLE:
        state = app.state(noms)
        assert state is not None
        entries = Counter(
            (e.kind, None if e.kind == "Registered" else e.occurred_at, canonical(e.details))
            for e in app.timeline(noms)
            if e.voided is None
        )
        opening = state.opening and replace(state.opening.location, entry=None)
        where = replace(state.location, entry=None)
        seen[noms] = (where, state.ownership.responsibility, state.stays, opening, entries)
    return seen


def canonical(details: dict[str, Any]) -> bytes:
    return orjson.dumps(details, option=orjson.OPT_SORT_KEYS)


POSSIBLE = [m for i, m in enumerate(MOVEMENTS) if i not in IMPOSSIBLE]


@cache
def in_file_order() -> dict[str, Any]:
    """The outcome of the possible records loaded once, in the file's order."""
    with journey_app(MEMORY) as app, tempfile.TemporaryDirectory() as tmp:
        report = load(app, POSSIBLE, Path(tmp), "whole")
        assert report.rejected == 0, [r.reason for r in report.rejects]
        return outcome(app)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32 - 1), loads=st.integers(1, 4))
def test_order_and_loads_never_change_the_outcome(tmp_path: Path, seed: int, loads: int) -> None:
    """The records cut into periods at any moments, each period's records in any order, and
    the periods loaded in any order (the later before the earlier, as extracts are). A load
    that leaves a gap in someone's history (a release still to come in another load) has the
    records the gap makes impossible refused, each named; loaded again once every period is
    in, as an operator would, they are taken, and the outcome is the same."""
    rng = random.Random(seed)
    timed = sorted(POSSIBLE, key=lambda m: (m["movementDate"], m["movementTime"]))
    cuts = sorted(rng.sample(range(1, len(timed)), loads - 1))
    parts = [timed[a:b] for a, b in zip([0, *cuts], [*cuts, len(timed)], strict=True)]
    rng.shuffle(parts)
    with journey_app(MEMORY) as app:
        refused: list[dict[str, Any]] = []
        for number, part in enumerate(parts):
            rng.shuffle(part)
            report = load(app, part, tmp_path, f"{seed}-{number}")
            refused += [part[r.line - 1] for r in report.rejects]
            assert all(r.history and "entry " in r.reason for r in report.rejects)
        for again in range(loads):
            if not refused:
                break
            report = load(app, refused, tmp_path, f"{seed}-again-{again}")
            refused = [refused[r.line - 1] for r in report.rejects]
        assert refused == []
        assert outcome(app) == in_file_order()


def same_moment(admitted_first: bool) -> list[dict[str, Any]]:
    """An admission and a release at one moment, both possible in either order; only when
    the prison API created each record says which came first."""
    created = ("2025-03-03T10:01:05.123456789", "2025-03-03T10:02:40.5")
    admission, release = created if admitted_first else created[::-1]
    moment = {"movementDate": "2025-03-03", "movementTime": "10:00:00", "offenderNo": "A7777CT"}
    return [
        {**moment, "movementType": "ADM", "directionCode": "IN", "fromAgency": "OUT",
         "toAgency": "LEI", "movementReasonCode": "N", "createDateTime": admission},
        {**moment, "movementType": "REL", "directionCode": "OUT", "fromAgency": "LEI",
         "toAgency": "OUT", "movementReasonCode": "CR", "createDateTime": release},
    ]  # fmt: skip


@pytest.mark.parametrize("admitted_first", [True, False])
@pytest.mark.parametrize("reversed_file", [False, True])
def test_the_source_s_creation_time_orders_one_moment(
    memory_app: JourneyApp, tmp_path: Path, admitted_first: bool, reversed_file: bool
) -> None:
    lines = same_moment(admitted_first)
    report = load(memory_app, lines[::-1] if reversed_file else lines, tmp_path, "moment")
    assert report.rejected == 0, [r.reason for r in report.rejects]
    state = memory_app.state("A7777CT")
    assert state is not None
    # Check the later-created record stands last, whatever the file's order.
    expected = Status.RELEASED if admitted_first else Status.IN
    assert state.location.status is expected
    # Check each entry keeps its creation time, to the microsecond, in UK time.
    created = sorted(
        e.source_created_at for e in memory_app.timeline("A7777CT") if e.source_created_at
    )
    assert [c.isoformat() for c in created] == [
        "2025-03-03T10:01:05.123456+00:00",
        "2025-03-03T10:02:40.500000+00:00",
    ]
