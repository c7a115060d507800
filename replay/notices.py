"""The movement a prisoner received or released notification announces, read from where the
person's history says they were: an arrival from court is a court return, or a transfer via
court when it is another prison; a notification of what is already on record confirms it and
records nothing. A notification that names too little to record (a transfer out or a court
visit, with no destination) and has no movement on record to confirm is refused, naming what
is missing. What the journey takes for a value the notification lacks is said with the entry.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from domain.errors import InvalidValue
from domain.person.aggregate import Person
from domain.person.events import MovementRecorded
from domain.person.journey import ENDS_ABSENCE
from domain.person.state import Location, Status
from domain.person.vocabulary import Direction, MovementType
from domain.service.catalogue import (
    Admit,
    Arrive,
    CourtReturn,
    Release,
    TapOut,
    TapReturn,
    TransferViaCourt,
)
from domain.service.command import Command
from domain.service.movement_commands import TransferViaTemporaryAbsence
from replay.formats.records import PrisonNotice

# What the journey records, or None when the notice only confirms the record.
Taken = tuple[Command, str] | None
Reading = Callable[[Location, PrisonNotice], Taken]

ADMISSIONS = {
    "NEW_ADMISSION",
    "READMISSION",
    "READMISSION_SWITCH_BOOKING",
    "POST_MERGE_ADMISSION",
    "ADMISSION",
}


# A notification follows the movement it announces, usually within minutes; the movement's
# own time may be earlier (entered late) or, by clock skew, a little later.
WINDOW = timedelta(days=1)


def announced(person: Person, at: datetime, notice: PrisonNotice) -> Taken:
    """The command a notice stands for with the person where they are, and what was taken for
    what the notice lacks; None if the movement it announces is already on record."""
    if any(_announces(notice, m) for m in person.movements_near(at, WINDOW)):
        return None
    return reading_of(notice)(person.position(at), notice)


def _announces(notice: PrisonNotice, m: MovementRecorded) -> bool:
    """Whether a recorded movement is the one a notice announces."""
    kind = (m.movement_type, m.direction)
    if notice.received:
        if m.to_agency != notice.prison or m.direction != Direction.IN:
            return False
        arrival = m.movement_type == MovementType.ADM and m.reason_code in ENDS_ABSENCE
        return {
            "TRANSFERRED": arrival,
            "RETURN_FROM_COURT": kind == (MovementType.CRT, Direction.IN),
            "TEMPORARY_ABSENCE_RETURN": kind == (MovementType.TAP, Direction.IN),
        }.get(notice.reason, m.movement_type == MovementType.ADM and not arrival)
    if m.from_agency != notice.prison or m.direction != Direction.OUT:
        return False
    return {
        "TRANSFERRED": MovementType.TRN,
        "SENT_TO_COURT": MovementType.CRT,
        "TEMPORARY_ABSENCE_RELEASE": MovementType.TAP,
    }.get(notice.reason, MovementType.REL) == m.movement_type


def reading_of(notice: PrisonNotice) -> Reading:
    readings = RECEIVED if notice.received else RELEASED
    reading = readings.get(notice.reason)
    if reading is None and notice.received and notice.reason in ADMISSIONS:
        reading = _admitted
    if reading is None:
        way = "received" if notice.received else "released"
        raise InvalidValue(
            "additionalInformation.reason", f"{notice.reason!r} is no reason a prisoner is {way}"
        )
    return reading


def _in(where: Location, prison: str) -> bool:
    return where.status is Status.IN and where.agency == prison


def _away_from(where: Location, status: Status, prison: str) -> bool:
    return where.status is status and where.prison == prison


def _admitted(where: Location, notice: PrisonNotice) -> Taken:
    if _in(where, notice.prison):
        return None
    code = notice.movement_reason or "N"
    said = "" if notice.movement_reason else "reason not given; taken as N (Unconvicted Remand)"
    return Admit(prison=notice.prison, movement_reason=code), said


def _transferred_in(where: Location, notice: PrisonNotice) -> Taken:
    prison = notice.prison
    if _in(where, prison):
        return None
    held = where.prison
    if where.status is Status.COURT and held and held != prison:
        return TransferViaCourt(from_prison=held, prison=prison), f"from court, left from {held}"
    if where.status is Status.TAP and held and held != prison:
        return TransferViaTemporaryAbsence(from_prison=held, prison=prison), f"left from {held}"
    return Arrive(prison=prison, from_prison=held if where.status is Status.TRANSIT else None), ""


def _back_from_court(where: Location, notice: PrisonNotice) -> Taken:
    if _in(where, notice.prison):
        return None
    if where.status is not Status.COURT or where.agency is None:
        raise InvalidValue(
            "additionalInformation.reason",
            "returned from court, but no court visit is on record and the notification names "
            "no court: load the movement record",
        )
    return CourtReturn(court=where.agency, prison=notice.prison), f"court {where.agency} on record"


def _back_from_absence(where: Location, notice: PrisonNotice) -> Taken:
    if _in(where, notice.prison):
        return None
    source = where.agency if where.status is Status.TAP and where.agency else "OUT"
    command = TapReturn(prison=notice.prison, movement_reason="TAP", from_agency=source)
    return command, "reason not given; taken as TAP (ROTL)"


def _confirmed_only(status: Status, missing: str) -> Reading:
    """A departure the notice cannot record (it names no destination): only confirmed."""

    def reading(where: Location, notice: PrisonNotice) -> Taken:
        if _away_from(where, status, notice.prison):
            return None
        raise InvalidValue(
            "additionalInformation.reason",
            f"{notice.reason} names no {missing}, and no such movement from {notice.prison} is "
            "on record: load the movement record",
        )

    return reading


def _on_absence(where: Location, notice: PrisonNotice) -> Taken:
    if _away_from(where, Status.TAP, notice.prison):
        return None
    command = TapOut(prison=notice.prison, movement_reason="TAP")
    return command, "reason not given; taken as TAP (ROTL)"


def _released(code: str, meaning: str) -> Reading:
    def reading(where: Location, notice: PrisonNotice) -> Taken:
        out = {Status.RELEASED, Status.DIED, Status.UAL}
        if where.status in out and where.prison == notice.prison:
            return None
        given = notice.movement_reason
        said = "" if given else f"reason not given; taken as {code} ({meaning})"
        return Release(from_agency=notice.prison, movement_reason=given or code), said

    return reading


RECEIVED: dict[str, Reading] = {
    "TRANSFERRED": _transferred_in,
    "RETURN_FROM_COURT": _back_from_court,
    "TEMPORARY_ABSENCE_RETURN": _back_from_absence,
}
RELEASED: dict[str, Reading] = {
    "TRANSFERRED": _confirmed_only(Status.TRANSIT, "destination"),
    "SENT_TO_COURT": _confirmed_only(Status.COURT, "court"),
    "TEMPORARY_ABSENCE_RELEASE": _on_absence,
    "RELEASED_TO_HOSPITAL": _released("HP", "Final Discharge To Hospital-Psychiatric"),
    "RELEASED": _released("REL", "Release"),
}
