"""Histories that start part way through custody: the opening position a first movement
presumes.

Every real extract starts somewhere: a person's first record may be a transfer out of LEI, a
return from court or a release. Before such a record, with no movement on record at all, the
fold presumes the position the record needs (in LEI; at that court, held by the prison returned
to) and marks it as inferred from that record. An earlier record loaded later comes first in
effective time, so the inference gives way to it; once any movement is on record, nothing is
presumed, and a record that contradicts the history is refused as before.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.person import events as ev
from domain.person.appliers import kind_of
from domain.person.fold_state import JourneyState
from domain.person.state import Location, Opening, evolve
from domain.person.vocabulary import (
    ARRIVALS_FROM_ABSENCE,
    CUSTODY,
    IN_TRANSIT,
    TRANSFER_IN,
    AgencyKind,
    Direction,
    MovementType,
    Responsibility,
    Status,
)


@dataclass(frozen=True)
class _Presumed:
    status: Status
    agency: str | None
    kind: AgencyKind | None
    prison: str | None
    destination: str | None = None


def presume_opening(fold: JourneyState, entry: ev.PersonEvent) -> None:
    """Before a person's first movement, take the position it presumes as the opening."""
    if "location" in fold.last or fold.opening is not None:
        return  # a movement is on record: nothing is presumed
    if not isinstance(entry, ev.MovementRecorded):
        return
    presumed = _presumed(entry)
    if presumed is None:
        return
    location = Location(
        presumed.status,
        presumed.agency,
        presumed.kind,
        presumed.prison,
        presumed.destination,
    )
    fold.location = location
    fold.opening = Opening(location, entry.originator_version)
    if presumed.status in CUSTODY and fold.ownership.responsibility is None:
        fold.ownership = evolve(
            fold.ownership, responsibility=Responsibility.CUSTODY, since=entry.occurred_at
        )
        fold.last["responsibility"] = entry


def _presumed(entry: ev.MovementRecorded) -> _Presumed | None:
    """Where the person must have been for this movement to happen; None: anywhere."""
    source, to = entry.from_agency, entry.to_agency
    movement = (entry.movement_type, entry.direction)
    if movement == (MovementType.ADM, Direction.IN):
        away = ARRIVALS_FROM_ABSENCE.get(entry.reason_code)
        if away is not None:
            return _Presumed(away, None, None, source)
        if entry.reason_code == TRANSFER_IN:
            held = source if kind_of(source) is AgencyKind.PRISON else None
            return _Presumed(Status.TRANSIT, IN_TRANSIT, AgencyKind.TRANSIT, held, to)
        return None
    kind = kind_of(source)
    if movement == (MovementType.CRT, Direction.IN):
        return _Presumed(Status.COURT, source, AgencyKind.COURT, to)
    if movement == (MovementType.TAP, Direction.IN):
        # Away where the absence took them, told by the registers as a departure tells it.
        return _Presumed(Status.TAP, source, kind, to)
    if kind == AgencyKind.PRISON:
        return _Presumed(Status.IN, source, AgencyKind.PRISON, source)
    if kind == AgencyKind.COURT:
        return _Presumed(Status.COURT, source, AgencyKind.COURT, None)
    if kind == AgencyKind.HOSPITAL and movement == (MovementType.REL, Direction.OUT):
        # A restricted patient's release from the hospital they were released to.
        return _Presumed(Status.RELEASED, source, AgencyKind.HOSPITAL, None)
    return None
