"""Loading files as batches, on every store: formats, idempotency, all-or-nothing, rejects."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from domain.errors import InvalidValue, NotFound
from domain.service.application import JourneyApp
from replay import registry
from replay.formats import NOMIS_FIELDS
from replay.importer import Importer, ImportOptions
from tests.helpers import JSONL_COMMANDS, nomis_movement


def movement(*values: str) -> dict[str, Any]:
    """A NOMIS movement from (number, day, time, type, direction, from, to, reason)."""
    noms, day, clock, *codes = values
    return nomis_movement(noms, day, *codes, clock=clock, fromAgencyDescription="ignored")


MOVEMENTS = [
    movement("A1234BC", "2025-01-06", "10:00:00", "ADM", "IN", "OUT", "LEI", "N"),
    movement("A1234BC", "2025-01-20", "08:30:00", "CRT", "OUT", "LEI", "LEEDCC", "CRT"),
    movement("A1234BC", "2025-01-20", "17:10:00", "CRT", "IN", "LEEDCC", "LEI", "CRT"),
    movement("A1234BC", "2025-07-01", "09:00:00", "TRN", "OUT", "LEI", "MDI", "NOTR"),
    movement("A1234BC", "2025-07-01", "14:00:00", "ADM", "IN", "LEI", "MDI", "INT"),
    movement("G5555GG", "2025-02-01", "11:00:00", "ADM", "IN", "OUT", "WYI", "N"),
    movement("G5555GG", "2025-05-01", "10:00:00", "REL", "OUT", "WYI", "OUT", "CR"),
]


def write(path: Path, encoding: str, items: list[dict[str, Any]]) -> Path:
    if encoding == "array":
        path.write_bytes(orjson.dumps(items))
    elif encoding == "jsonl":
        path.write_bytes(b"\n".join(orjson.dumps(i) for i in items) + b"\n")
    else:
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=NOMIS_FIELDS, extrasaction="ignore")
            writer.writeheader()
            for item in items:
                writer.writerow({k: ("" if v is None else v) for k, v in item.items()})
    return path


def person_events(app: JourneyApp) -> int:
    """Events in people's histories (the batch registry's own events are not counted)."""
    return sum(
        1
        for n in app.notification_log.select(start=1, limit=1000)
        if n.topic.startswith("domain.person")
    )


@pytest.mark.parametrize("encoding", ["array", "jsonl", "csv"])
def test_nomis_movements_register_new_people_and_follow_the_journey(
    app: JourneyApp, tmp_path: Path, encoding: str
) -> None:
    path = write(tmp_path / f"moves.{encoding}", encoding, MOVEMENTS)
    report = Importer(app).run(path, ImportOptions("NOMIS", "nomis", "loader"))
    assert report.outcome == "recorded", report.rejects
    assert (report.registered, report.entries, report.people) == (2, 9, 2)
    state = app.state("A1234BC")
    assert state is not None
    assert (state.location.status.value, state.location.prison) == ("in", "MDI")
    assert state.name == "(name not recorded)"
    released = app.state("G5555GG")
    assert released is not None
    assert released.location.status.value == "released"
    # Check British summer time: 14:00 in London on 1 July is 13:00 UTC.
    assert state.location.since == datetime(2025, 7, 1, 13, tzinfo=UTC)
    # Check each entry carries the batch, the source and a natural key.
    entries = app.timeline("A1234BC")
    assert {e.batch_id for e in entries} == {report.batch_id}
    assert all(e.source == "NOMIS" and e.source_ref for e in entries)


def test_reimporting_a_file_records_nothing(app: JourneyApp, tmp_path: Path) -> None:
    path = write(tmp_path / "moves.jsonl", "jsonl", MOVEMENTS)
    first = Importer(app).run(path, ImportOptions("NOMIS", "nomis", "loader"))
    before = person_events(app)
    again = Importer(app).run(path, ImportOptions("NOMIS", "nomis", "loader"))
    assert again.outcome == "already imported"
    assert again.batch_id == first.batch_id
    assert person_events(app) == before
    assert len(registry.batches(app)) == 1


def test_records_present_from_another_batch_are_not_duplicated(
    app: JourneyApp, tmp_path: Path
) -> None:
    Importer(app).run(
        write(tmp_path / "a.csv", "csv", MOVEMENTS[:3]), ImportOptions("NOMIS", "nomis", "loader")
    )
    before = person_events(app)
    # A later extract repeats the first three movements and adds two.
    later = write(tmp_path / "b.csv", "csv", MOVEMENTS[:5])
    report = Importer(app).run(later, ImportOptions("NOMIS", "nomis", "loader"))
    assert (report.entries, report.duplicates) == (2, 3)
    assert person_events(app) == before + 2
    state = app.state("A1234BC")
    assert state is not None
    assert state.location.prison == "MDI"


FUTURE = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
BAD_LINES = [
    movement("A1234BC", "2025-01-06", "10:00:00", "ADM", "IN", "OUT", "LEI", "N"),
    movement("A1234B", "2025-01-06", "10:00:00", "ADM", "IN", "OUT", "LEI", "N"),
    movement("B2222BB", "2025-01-06", "10:00:00", "ADM", "IN", "OUT", "XXX", "N"),
    movement("A1234BC", "2025-02-06", "10:00:00", "ADM", "IN", "OUT", "MDI", "N"),
    movement("C3333CC", FUTURE, "10:00:00", "ADM", "IN", "OUT", "LEI", "N"),
    movement("D4444DD", "2025-03-01", "10:00:00", "ADM", "IN", "OUT", "WYI", "N"),
]
EXPECTED_REJECTS = {
    3: ("offenderNo", "NOMS"),
    4: ("prison", "XXX"),
    5: ("to_agency", "already in custody"),
    6: ("occurred_at", "future"),
}


def test_a_file_with_bad_lines_is_refused_whole(app: JourneyApp, tmp_path: Path) -> None:
    path = write(tmp_path / "bad.csv", "csv", BAD_LINES)
    before = person_events(app)
    report = Importer(app).run(path, ImportOptions("NOMIS", "nomis", "loader"))
    assert report.outcome == "refused"
    assert person_events(app) == before
    with pytest.raises(NotFound):
        app.resolve("D4444DD")
    got = {r.line: (r.field, r.reason) for r in report.rejects}
    assert set(got) == set(EXPECTED_REJECTS)
    for line, (field, word) in EXPECTED_REJECTS.items():
        assert got[line][0] == field
        assert word.lower() in got[line][1].lower(), got[line]
    # Check the refusal is on record, with every rejected line and its reason.
    batch = registry.batch(app, report.batch_id)
    assert batch.status == "refused"
    assert [r.line for r in batch.rejects] == sorted(EXPECTED_REJECTS)


def test_accept_valid_records_the_rest_and_keeps_the_rejects(
    app: JourneyApp, tmp_path: Path
) -> None:
    path = write(tmp_path / "bad.csv", "csv", BAD_LINES)
    options = ImportOptions("NOMIS", "nomis", "loader", accept_valid=True)
    report = Importer(app).run(path, options)
    assert report.outcome == "partly recorded"
    assert {r.line for r in report.rejects} == set(EXPECTED_REJECTS)
    assert (report.registered, report.entries) == (2, 4)
    state = app.state("D4444DD")
    assert state is not None
    assert state.location.prison == "WYI"
    batch = registry.batch(app, report.batch_id)
    assert {r.line for r in batch.rejects} == set(EXPECTED_REJECTS)
    assert all(r.reason and r.field for r in batch.rejects)
    assert batch.counts.people == 2


def test_a_refused_file_corrected_then_loads(app: JourneyApp, tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.csv", "csv", BAD_LINES)
    assert Importer(app).run(bad, ImportOptions("NOMIS", "nomis", "l")).outcome == "refused"
    good = write(tmp_path / "good.csv", "csv", [BAD_LINES[0], BAD_LINES[5]])
    assert Importer(app).run(good, ImportOptions("NOMIS", "nomis", "l")).outcome == "recorded"


def test_dry_run_records_nothing(app: JourneyApp, tmp_path: Path) -> None:
    path = write(tmp_path / "bad.csv", "csv", BAD_LINES)
    report = Importer(app).run(path, ImportOptions("NOMIS", "nomis", "l", dry_run=True))
    assert report.outcome == "dry run"
    assert {r.line for r in report.rejects} == set(EXPECTED_REJECTS)
    assert person_events(app) == 0
    assert registry.batches(app) == []


def test_probation_allocations_start_move_and_allocate(app: JourneyApp, tmp_path: Path) -> None:
    app.register(
        _prov(),
        given_name="Ann",
        family_name="Other",
        date_of_birth=datetime(1990, 1, 1).date(),
        identifiers={"CRN": "X123456"},
    )
    path = tmp_path / "alloc.csv"
    path.write_text(
        "CRN,Region,PDU,Team,Officer code,Effective date\n"
        "X123456,N55,N55BAC,T1,N55A001,2025-04-01\n"
        "X123456,N55,N55DNR,,N55B002,2025-06-01\n"
        "X123456,N55,N55DNR,T2,N55B003,2025-06-20\n"
        "X999999,N55,N55XXX,T1,N55A001,2025-04-01\n"
    )
    with path.open("ab") as handle:
        handle.write(b"X123456,N55,N55DNR,T2,\xff\xfe,2025-07-01\n")
    options = ImportOptions("DELIUS", "allocations", "loader", accept_valid=True)
    report = Importer(app).run(path, options)
    assert [(r.line, r.field) for r in report.rejects] == [(5, "pdu"), (6, "line")]
    state = app.state("X123456")
    assert state is not None
    assert (state.ownership.region, state.ownership.pdu) == ("N55", "N55DNR")
    assert state.ownership.com == "N55B003"
    kinds = [e.kind for e in app.timeline("X123456")]
    assert kinds.count("SupervisionStarted") == 1
    assert kinds.count("AreaTransferAccepted") == 1
    # Check loading it again records nothing.
    path.write_bytes(path.read_bytes() + b"\n")  # a different file with the same records
    again = Importer(app).run(path, options)
    assert again.entries == 0


def test_jsonl_uses_the_http_command_schema(app: JourneyApp, tmp_path: Path) -> None:
    lines = [
        *JSONL_COMMANDS,  # lines 1 and 2
        {"command": "admissions", "person": "A1234BC", "prison": "LEI",
         "occurred_at": "2025-01-03T09:00:00+00:00"},
        {"command": "teleport", "person": "A1234BC", "occurred_at": "2025-01-03T09:00:00Z"},
        {"command": "voids", "person": "A1234BC", "entries": [2],
         "occurred_at": "2025-01-03T09:00:00Z"},
    ]  # fmt: skip
    path = tmp_path / "cmds.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(x) for x in lines) + b"\nnot json\n")
    report = Importer(app).run(path, ImportOptions("NOMIS", "jsonl", "l", accept_valid=True))
    got = {r.line: r.field for r in report.rejects}
    assert got == {3: "movement_reason", 4: "command", 5: "command", 6: "line"}
    state = app.state("A1234BC")
    assert state is not None
    assert state.location.prison == "LEI"
    assert state.identifiers["CRN"] == ("X123456",)


def test_bad_options_are_refused_naming_the_field(app: JourneyApp, tmp_path: Path) -> None:
    path = write(tmp_path / "m.csv", "csv", MOVEMENTS)
    with pytest.raises(InvalidValue) as caught:
        Importer(app).run(path, ImportOptions("NOMIS", "excel", "l"))
    assert caught.value.field == "format"
    with pytest.raises(InvalidValue) as caught:
        Importer(app).run(path, ImportOptions("nomis feed", "nomis", "l"))
    assert caught.value.field == "source"


def _prov() -> Any:
    from domain.provenance import Provenance

    return Provenance("clerk", "DELIUS", datetime(2025, 1, 1, tzinfo=UTC))
