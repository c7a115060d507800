"""Probation allocation changes as CSV (CRN, region, PDU, team, officer code, effective
date), and as Delius's workforce allocations write them (JSON array or JSON Lines of `crn`,
`providerCode`, `teamCode`, `staffCode`, `createdDate` with its offset): those name no PDU, so
the team register gives the team's PDU, or, for a team it does not hold, the case's own PDU in
that provider takes the officer (`replay.allocation`); how the PDU was found is said with the
entry."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any

from domain.identifiers import normalise
from replay.formats import community, keyed, streams
from replay.formats.placing import team_pdu
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


# Delius's workforce allocation: the fields a load needs.
DELIUS_FIELDS = ("crn", "providerCode", "teamCode", "staffCode", "createdDate")


def read(stream: IO[bytes]) -> Iterator[Parsed]:
    head = stream.read(4096)
    rest = head.lstrip()
    if rest.startswith(b"["):
        yield from streams.json_items(head + stream.read(), _delius)
    elif keyed.BY_CRN.match(rest):
        yield from keyed.read(head + stream.read(), "crn", community.offender_manager)
    elif rest.startswith(b"{"):
        for number, text in streams.lines(io.BufferedReader(streams.Rewound(head, stream))):
            yield streams.unreadable(number, text) or guarded(
                number, text, _delius_line, number, text
            )
    else:
        yield from _allocation_rows(decoded(io.BufferedReader(streams.Rewound(head, stream))))


def _delius_line(number: int, text: str) -> Record:
    return _delius(number, streams.json_object(text))


def _delius(number: int, item: dict[str, Any]) -> Record:
    """A workforce allocation: the officer (staff code) and team in a provider, from a time."""
    values = {}
    for name in DELIUS_FIELDS:
        value = item.get(name)
        if not isinstance(value, str) or not value.strip():
            raise Bad(name, "is required")
        values[name] = value.strip()
    crn = normalise("CRN", values["crn"], "crn")
    try:
        effective = datetime.fromisoformat(values["createdDate"])
    except ValueError:
        raise Bad(
            "createdDate", "must be a time with its offset, as 2022-07-28T10:30:54+01:00"
        ) from None
    if effective.tzinfo is None:
        raise Bad("createdDate", "must give its offset from UTC, as +01:00 or Z")
    region, team = values["providerCode"].upper(), values["teamCode"].upper()
    officer = values["staffCode"]
    key = "|".join([crn, effective.isoformat(), region, team, officer])
    pdu, said = team_pdu(region, team)
    step = Step(CommunityAllocation(region, pdu, team, officer), effective, key, said)
    return Record(number, f"CRN:{crn}", (step,), {"occurred_at": effective})


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
