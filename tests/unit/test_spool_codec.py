"""The import spool keeps records as plain values: every record of every format reads back equal,
its moments at the same instant and in the same kind of time zone."""

from __future__ import annotations

import io
from dataclasses import fields
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import orjson

from replay import formats
from replay.formats import Record, Step
from replay.formats.records import PrisonNotice
from replay.spool import Spool
from tests.helpers import JSONL_COMMANDS, nomis_movement


def _records(text: bytes, file_format: str) -> list[Record]:
    parsed = list(formats.read(io.BytesIO(text), file_format))
    assert all(isinstance(p, Record) for p in parsed), parsed
    return [p for p in parsed if isinstance(p, Record)]


def _spooled(records: list[Record]) -> list[Record]:
    with Spool() as spool:
        for record in records:
            spool.add(record)
        spool.finish()
        return sorted((r for _, group in spool.groups() for r in group), key=lambda r: r.line)


def _same(records: list[Record]) -> None:
    back = _spooled(records)
    assert back == records
    for before, after in zip(records, back, strict=True):
        for old, new in zip(before.steps, after.steps, strict=True):
            assert type(new.command) is type(old.command)
            for moment in ("occurred_at", "created_at"):
                was, now = getattr(old, moment), getattr(new, moment)
                assert (was is None) == (now is None)
                if was is not None:
                    assert now.utcoffset() == was.utcoffset()
                    if isinstance(was.tzinfo, ZoneInfo):
                        assert now.tzinfo is was.tzinfo


def test_the_projects_own_lines_read_back_equal() -> None:
    lines = [
        *JSONL_COMMANDS,
        {"command": "identifiers", "person": "A1234BC", "kind": "PNC", "value": "2001/0000001A",
         "occurred_at": "2025-01-02T10:00:00Z"},
        {"command": "key-dates", "person": "A1234BC", "dates": {"SED": "2030-01-01"},
         "occurred_at": "2025-01-03T09:00:00+01:00", "reason": "sentenced",
         "correlation_id": "c-1", "source_ref": "kd-1"},
    ]  # fmt: skip
    _same(_records(b"\n".join(orjson.dumps(line) for line in lines), "jsonl"))


def test_nomis_movements_in_uk_local_time_read_back_in_their_zone() -> None:
    movements = [
        nomis_movement("A1234BC", "2025-01-06", "ADM", "IN", "OUT", "LEI", "N"),
        nomis_movement("A1234BC", "2025-07-01", "TRN", "OUT", "LEI", "MDI", "NOTR"),
        nomis_movement("A1234BC", "2025-07-01", "ADM", "IN", "LEI", "MDI", "INT", clock="14:00"),
    ]
    records = _records(orjson.dumps(movements), "nomis")
    assert any(isinstance(s.occurred_at.tzinfo, ZoneInfo) for r in records for s in r.steps)
    _same(records)


def test_probation_allocations_read_back_equal() -> None:
    text = (
        b"CRN,Region,PDU,Team,Officer code,Effective date\n"
        b"X123456,N55,N55BAC,T1,N55A001,2025-04-01\n"
    )
    _same(_records(text, "allocations"))


def test_every_field_of_a_record_and_step_is_kept() -> None:
    # A field added to either class must be added to the spool's codec too.
    assert [f.name for f in fields(Record)] == [
        "line", "person", "steps", "registration", "identifiers", "text", "unheld",
    ]  # fmt: skip
    assert [f.name for f in fields(Step)] == [
        "command", "occurred_at", "source_ref", "reason", "correlation_id", "created_at",
    ]  # fmt: skip
    at = datetime(2025, 3, 30, 0, 30, tzinfo=UTC)
    notice = PrisonNotice(received=True, reason="ADMISSION", prison="LEI", movement_reason="N")
    step = Step(notice, at, "ref-1", "why", "corr-1", at.astimezone(ZoneInfo("Europe/London")))
    record = Record(
        9,
        "NOMS:A1234BC",
        (step,),
        {"occurred_at": at, "given_name": "Jo"},
        {"NOMS": "A1234BC"},
        "the line",
        ("person", "no one holds it"),
    )
    _same([record])
