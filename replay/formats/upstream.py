"""The other shapes upstream services write NOMIS movements in, each told by its own fields and
read as the prison API's `Movement` record (tests/corpus/vocabulary.md has where each comes
from):

- the daily movements feed (`GET /api/movements`): no reason code; the reason the journey
  takes instead is recorded with the entry;
- `OffenderMovement`: the reason code in `movementReason`, with the person's name and date of
  birth, which register someone not yet known;
- the prisoner-events message `EXTERNAL_MOVEMENT_RECORD-INSERTED`, bare or in the SNS
  notification that carries it (`Message` holds it as JSON text);
- the HMPPS domain events saying a prisoner was received or released, with their reason: a
  notice whose movement the person's history tells (`replay.notices`);
- `BookingMovement` (`GET /api/movements/booking/{bookingId}`): no NOMS number, so the person
  is whoever holds the booking id (`keyed.py` reads the answers keyed by booking id).

The prisoner-events message and `OffenderMovement` name the booking beside the NOMS number: the
person is given the booking id, so later records naming only the booking find them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from domain import reference
from replay.formats.records import Bad, PrisonNotice
from replay.formats.streams import json_object

MOVEMENT_EVENT = "EXTERNAL_MOVEMENT_RECORD-INSERTED"
# The prisoner-events message's names for the `Movement` record's fields.
EVENT_FIELDS = {
    "offenderIdDisplay": "offenderNo",
    "movementType": "movementType",
    "directionCode": "directionCode",
    "movementReasonCode": "movementReasonCode",
    "fromAgencyLocationId": "fromAgency",
    "toAgencyLocationId": "toAgency",
    "eventDatetime": "createDateTime",
}
# `BookingMovement`'s names for the `Movement` record's fields (the rest are spelled alike).
BOOKING_FIELDS = {"createdDateTime": "createDateTime"}
BOOKING_SHAPE = ("sequence", "movementDateTime")  # the fields that tell a BookingMovement
# The reason taken when a record gives none, by movement type (ADM from a prison: INT).
DEFAULT_REASONS = {
    "ADM": ("N", "Unconvicted Remand, the commonest reception"),
    "TRN": ("NOTR", "Normal Transfer"),
    "CRT": ("CRT", "Court Appearance"),
    "TAP": ("TAP", "ROTL"),
    "REL": ("REL", "Release"),
}


# HMPPS domain events saying a prisoner was received or released, by their event types.
NOTICES = {
    "prisoner-offender-search.prisoner.received": True,
    "prisoner-offender-search.prisoner.released": False,
    "prison-offender-events.prisoner.received": True,
    "prison-offender-events.prisoner.released": False,
}


@dataclass
class Upstream:
    """A record as the `Movement` record names its fields, what the journey took for values
    it lacked, and who it names when it says; or a notification of a movement."""

    item: dict[str, Any]
    defaults: list[str] = field(default_factory=list)
    registration: dict[str, Any] = field(default_factory=dict)
    notice: PrisonNotice | None = None
    occurred: datetime | None = None  # a notification's own time, with its offset
    booking: str | None = None  # the NOMIS booking id the record names, if any


def as_movement(item: dict[str, Any]) -> Upstream:
    """Any upstream movement record as a `Movement` record."""
    if item.get("Type") == "Notification" and "Message" in item:
        return as_movement(_message(item["Message"]))
    if item.get("eventType") in NOTICES:
        return _notice(item)
    if "offenderIdDisplay" in item or "eventType" in item:
        found = _event(item)
    elif all(name in item for name in BOOKING_SHAPE) and "offenderNo" not in item:
        found = _booking_movement(item)
    else:
        found = _movement(item)
    found.booking = _booking_id(item.get("bookingId"))
    return found


def _movement(item: dict[str, Any]) -> Upstream:
    found = Upstream(dict(item))
    if "movementReasonCode" not in item and "movementReason" in item:
        found.item["movementReasonCode"] = item["movementReason"]  # OffenderMovement
        found.registration = _named(item)
    if not _given(found.item, "movementReasonCode"):
        _default_reason(found)
    return found


def _message(text: object) -> dict[str, Any]:
    if not isinstance(text, str):
        raise Bad("Message", "must be the notification's message as JSON text")
    return json_object(text, "Message")


def _event(item: dict[str, Any]) -> Upstream:
    kind = item.get("eventType")
    if kind != MOVEMENT_EVENT:
        what = f"{kind!r} is not a movement record" if kind else "is required"
        raise Bad("eventType", f"{what}: load {MOVEMENT_EVENT} messages")
    moved = {ours: item[theirs] for theirs, ours in EVENT_FIELDS.items() if theirs in item}
    return _timed(moved, item.get("movementDateTime"))


def _booking_movement(item: dict[str, Any]) -> Upstream:
    """A `BookingMovement`: the `Movement` record's names, its time in one field."""
    moved = {BOOKING_FIELDS.get(name, name): value for name, value in item.items()}
    return _timed(moved, item.get("movementDateTime"))


def _timed(moved: dict[str, Any], when: object) -> Upstream:
    if not isinstance(when, str) or "T" not in when:
        raise Bad("movementDateTime", "is required, as 2024-09-30T19:02:47")
    moved["movementDate"], moved["movementTime"] = when.split("T", 1)
    found = Upstream(moved)
    if not _given(moved, "movementReasonCode"):
        _default_reason(found)
    return found


def _booking_id(value: object) -> str | None:
    """The booking id a record names (a number, or its digits as text), or None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise Bad("bookingId", "must be a NOMIS booking number, as 1102305")
    return str(value).strip()


def _notice(item: dict[str, Any]) -> Upstream:
    """A prisoner received or released notification, as a `Movement` record's person and time
    with the notice it gives."""
    info = item.get("additionalInformation")
    if not isinstance(info, dict):
        raise Bad("additionalInformation", "is required: the person, the prison and the reason")
    values = {}
    for name in ("nomsNumber", "prisonId", "reason"):
        value = info.get(name)
        if not isinstance(value, str) or not value.strip():
            raise Bad(f"additionalInformation.{name}", "is required")
        values[name] = value.strip()
    when = item.get("occurredAt")
    if not isinstance(when, str) or "T" not in when:
        raise Bad("occurredAt", "is required, as 2024-09-30T19:21:30.807375+01:00")
    code = info.get("nomisMovementReasonCode")
    notice = PrisonNotice(
        NOTICES[item["eventType"]],
        values["reason"].upper(),
        values["prisonId"].upper(),
        code.strip().upper() if isinstance(code, str) and code.strip() else None,
    )
    try:
        occurred = datetime.fromisoformat(when)
    except ValueError:
        raise Bad("occurredAt", f"must be a time with its offset, got {when[:40]!r}") from None
    if occurred.tzinfo is None:
        raise Bad("occurredAt", "must give its offset from UTC, as +01:00 or Z")
    return Upstream({"offenderNo": values["nomsNumber"]}, notice=notice, occurred=occurred)


def _named(item: dict[str, Any]) -> dict[str, Any]:
    """The name and date of birth an `OffenderMovement` gives."""
    named: dict[str, Any] = {}
    for theirs, ours in (("firstName", "given_name"), ("lastName", "family_name")):
        if isinstance(item.get(theirs), str) and item[theirs].strip():
            named[ours] = item[theirs].strip()
    born = item.get("dateOfBirth")
    if isinstance(born, str) and born.strip():
        try:
            named["date_of_birth"] = date.fromisoformat(born.strip())
        except ValueError:
            raise Bad("dateOfBirth", "must be a date, as 1999-07-28") from None
    return named


def _given(item: dict[str, Any], name: str) -> bool:
    value = item.get(name)
    return isinstance(value, str | int) and bool(str(value).strip())


def _default_reason(found: Upstream) -> None:
    """A record with no reason code (the daily feed has none) takes the type's commonest, or
    INT for an arrival from a prison, and says so with the entry."""
    kind = str(found.item.get("movementType") or "").strip().upper()
    source = str(found.item.get("fromAgency") or "").strip().upper()
    if kind not in DEFAULT_REASONS:
        return  # the movement type is refused by the reader, naming it
    code, meaning = DEFAULT_REASONS[kind]
    if kind == "ADM" and reference.is_prison(source):
        code, meaning = "INT", "Transfer In from Other Establishment, arriving from a prison"
    found.item["movementReasonCode"] = code
    found.defaults.append(f"movementReasonCode not given; taken as {code} ({meaning})")
