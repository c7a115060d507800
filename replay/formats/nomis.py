"""NOMIS external movements as the prison API's `Movement` record names its fields, in a
JSON array, JSON Lines or CSV; the other upstream shapes are read as that record first
(`upstream.py`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any

from domain.identifiers import normalise
from domain.person.vocabulary import MovementType
from domain.service.catalogue import AddIdentifier, Movement, NomisRecord, movement_for
from domain.source_refs import movement_ref
from replay.formats import keyed, upstream
from replay.formats.records import Bad, Parsed, Record, Step, guarded, reject
from replay.formats.streams import (
    Rewound,
    created_moment,
    csv_header,
    decoded,
    json_items,
    json_object,
    lines,
    local_moment,
    unreadable,
)

NOMIS_FIELDS = (
    "offenderNo",
    "createDateTime",
    "fromAgency",
    "toAgency",
    "movementType",
    "directionCode",
    "movementDate",
    "movementTime",
    "movementReasonCode",
    "commentText",
)


NOMIS_REQUIRED = ("offenderNo", "movementType", "directionCode", "movementDate", "movementTime")


def read(stream: IO[bytes]) -> Iterator[Parsed]:
    head = stream.read(4096)
    rest = head.lstrip()
    if rest.startswith(b"["):
        yield from json_items(head + stream.read(), _movement)
    elif keyed.BY_BOOKING.match(rest):
        yield from keyed.read(head + stream.read(), "bookingId", _movement)
    elif rest.startswith(b"{"):
        yield from _nomis_jsonl(io.BufferedReader(Rewound(head, stream)))
    else:
        yield from _nomis_csv(io.BufferedReader(Rewound(head, stream)))


def _nomis_jsonl(stream: IO[bytes]) -> Iterator[Parsed]:
    for number, text in lines(stream):
        yield unreadable(number, text) or guarded(number, text, _movement_line, number, text)


def _nomis_csv(stream: IO[bytes]) -> Iterator[Parsed]:
    yield from _nomis_rows(decoded(stream))


def _nomis_rows(text: Iterator[str]) -> Iterator[Parsed]:
    reader = csv.reader(text)
    header = csv_header(reader) or []
    missing = [f for f in NOMIS_REQUIRED if f not in header]
    if missing:
        yield reject(max(reader.line_num, 1), missing[0], "the CSV header lacks this column", "")
        return
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        number = reader.line_num
        raw = ",".join(row)
        if "\ufffd" in raw:
            yield reject(number, "line", "is not UTF-8 text", raw)
            continue
        yield guarded(number, raw, _movement, number, dict(zip(header, row, strict=False)))


def _movement_line(number: int, text: str) -> Record:
    return _movement(number, json_object(text))


def text_of(item: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = item.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise Bad(name, "is required")
        return None
    if not isinstance(value, str | int):
        raise Bad(name, "must be text")
    return str(value).strip()


def _movement(number: int, given: dict[str, Any]) -> Record:
    found = upstream.as_movement(given)
    if found.notice is not None:
        return _notice(number, found)
    item = found.item
    noms = text_of(item, "offenderNo", required=found.booking is None)
    kind = (text_of(item, "movementType", required=True) or "").upper()
    direction = (text_of(item, "directionCode", required=True) or "").upper()
    day = text_of(item, "movementDate", required=True)
    assert day is not None
    clock = text_of(item, "movementTime")
    if "T" in day:  # some exports give the date and time together
        day, clock = day.split("T", 1)[0], clock or day.split("T", 1)[1]
    occurred = local_moment(day, clock, "movementDate")
    source = text_of(item, "fromAgency")
    to = text_of(item, "toAgency")
    reason_code = text_of(item, "movementReasonCode")
    command = movement_command(kind, direction, source, to, reason_code)
    key = movement_ref(occurred, kind, direction, source, to)
    # A value the record lacked and the journey took is said with the entry, never silently.
    noted = "; ".join(filter(None, [text_of(item, "commentText"), *found.defaults])) or None
    created = created_moment(text_of(item, "createDateTime"), "createDateTime")
    step = Step(command, occurred, key, noted, created_at=created)
    booking = normalise("BOOKING", found.booking, "bookingId") if found.booking else None
    if noms is None:
        assert booking is not None
        return Record(number, f"BOOKING:{booking}", (step,), unheld=("bookingId", unheld(booking)))
    noms = normalise("NOMS", noms, "offenderNo")
    registration = {"occurred_at": occurred, **found.registration}
    if booking is None:
        return Record(number, f"NOMS:{noms}", (step,), registration)
    # The booking id is the person's from the first record naming it beside the NOMS number;
    # as the record's own identifiers, the load's lines naming only the booking join it.
    steps = (_holds(booking, occurred), step)
    held = {"NOMS": noms, "BOOKING": booking}
    return Record(number, f"NOMS:{noms}", steps, registration, identifiers=held)


def _holds(booking: str, occurred: datetime) -> Step:
    return Step(AddIdentifier(kind="BOOKING", value=booking), occurred, f"booking|{booking}")


def unheld(booking: str) -> str:
    return (
        f"no one holds booking {booking}: load first a record naming it with the person's NOMS "
        "number (a prisoner-events movement message or an OffenderMovement), or register them "
        "with it"
    )


def _notice(number: int, found: upstream.Upstream) -> Record:
    """A prisoner received or released notification: its movement is read from the person's
    history when the load applies it (`replay.notices`)."""
    notice, occurred = found.notice, found.occurred
    assert notice is not None and occurred is not None
    noms = normalise("NOMS", str(found.item["offenderNo"]), "additionalInformation.nomsNumber")
    way = "received" if notice.received else "released"
    key = "|".join([noms, occurred.isoformat(), way, notice.reason, notice.prison])
    return Record(number, f"NOMS:{noms}", (Step(notice, occurred, key),), {"occurred_at": occurred})


def movement_command(
    kind: str, direction: str, source: str | None, to: str | None, reason: str | None
) -> Movement:
    """The command a NOMIS movement record stands for."""
    command = movement_for(kind, direction, (reason or "").upper())
    if command is not None:
        return command.from_nomis(NomisRecord(source, to, reason))
    if kind in MovementType.__members__:
        raise Bad("directionCode", f"{kind} movements cannot be {direction!r}")
    raise Bad("movementType", "must be ADM, TRN, CRT, TAP or REL")
