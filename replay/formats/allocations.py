"""Probation allocation changes as CSV (CRN, region, PDU, team, officer code, effective
date)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import IO

from domain.identifiers import normalise
from replay.formats.records import Bad, CommunityAllocation, Parsed, Record, Step, guarded, reject
from replay.formats.streams import column_key, csv_header, decoded, local_moment

ALLOCATION_COLUMNS = {
    "crn": "CRN",
    "region": "region",
    "pdu": "PDU",
    "team": "team",
    "officercode": "officer code",
    "effectivedate": "effective date",
}


def read(stream: IO[bytes]) -> Iterator[Parsed]:
    yield from _allocation_rows(decoded(stream))


def _allocation_rows(text: Iterator[str]) -> Iterator[Parsed]:
    reader = csv.reader(text)
    header = csv_header(reader)
    if header is None:
        return
    names = [column_key(h) for h in header]
    missing = [label for key, label in ALLOCATION_COLUMNS.items() if key not in names]
    if missing:
        yield reject(
            reader.line_num, missing[0], "the CSV header lacks this column", ",".join(header)
        )
        return
    for row in reader:
        number = reader.line_num
        raw = ",".join(row)
        if not any(cell.strip() for cell in row):
            continue
        if "\ufffd" in raw:
            yield reject(number, "line", "is not UTF-8 text", raw)
            continue
        values = dict(zip(names, row, strict=False))
        yield guarded(number, raw, _allocation, number, values)


def _allocation(number: int, values: dict[str, str]) -> Record:
    def cell(key: str, *, required: bool = True) -> str | None:
        value = (values.get(key) or "").strip()
        if not value and required:
            raise Bad(ALLOCATION_COLUMNS[key], "is required")
        return value or None

    crn = normalise("CRN", cell("crn") or "", "CRN")
    effective = local_moment(cell("effectivedate") or "", None, "effective date")
    region, pdu = (cell("region") or "").upper(), (cell("pdu") or "").upper()
    team, officer = cell("team", required=False), cell("officercode") or ""
    key = "|".join([crn, effective.date().isoformat(), region, pdu, team or "", officer])
    allocation = CommunityAllocation(region, pdu, team.upper() if team else None, officer)
    step = Step(allocation, effective, key)
    return Record(number, f"CRN:{crn}", (step,), {"occurred_at": effective})
