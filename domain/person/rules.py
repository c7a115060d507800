"""Journey rules: whether an entry is possible in the state just before it.

Each guard raises `Conflict`, naming the field at fault and the entry that blocks it, and
`FoldError` for a movement the journey has no rule for.
"""

from __future__ import annotations

from collections.abc import Callable

from domain.person import events as ev
from domain.person.fold_state import FoldError, JourneyState, describe, known_movement
from domain.person.vocabulary import (
    ARRIVALS_FROM_ABSENCE,
    CUSTODY,
    TRANSFER_IN,
    AgencyKind,
    Direction,
    Movement,
    MovementType,
    Status,
)


class Conflict(Exception):
    """An entry that is impossible at its effective time."""

    def __init__(self, field: str, reason: str, blocking: int | None) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason
        self.blocking = blocking


def misplaced(fold: JourneyState, field: str, what: str) -> Conflict:
    """The entry cannot happen where the person is: blamed on the entry that put them there."""
    return Conflict(field, f"{what}: {fold.where()}", fold.blame("location"))


def check_movement(fold: JourneyState, entry: ev.PersonEvent) -> None:
    assert isinstance(entry, ev.MovementRecorded)
    movement = known_movement(entry)
    guard = MOVEMENT_GUARDS.get(movement)
    if guard is None:
        msg = f"no guard for a {movement[0]} {movement[1]} movement"
        raise FoldError(msg)
    guard(fold, entry)


def check_leaving(fold: JourneyState, entry: ev.MovementRecorded) -> None:
    """Leaving for another prison, a court or a temporary absence: only from a prison one is in."""
    require_in(fold, entry.from_agency, "from_agency")


def check_court_return(fold: JourneyState, entry: ev.MovementRecorded) -> None:
    loc = fold.location
    if loc.status is not Status.COURT or loc.agency != entry.from_agency:
        raise misplaced(fold, "from_agency", f"cannot return from court {entry.from_agency}")


def check_absence_return(fold: JourneyState, entry: ev.MovementRecorded) -> None:
    loc = fold.location
    if loc.status is not Status.TAP or loc.prison != entry.to_agency:
        what = f"cannot return from temporary absence to {entry.to_agency}"
        raise misplaced(fold, "to_agency", what)


def check_admission(fold: JourneyState, entry: ev.MovementRecorded) -> None:
    loc = fold.location
    away = ARRIVALS_FROM_ABSENCE.get(entry.reason_code)
    if away is not None:
        if loc.status is not away or loc.prison != entry.from_agency:
            what = f"cannot arrive via {away.value} from {entry.from_agency}"
            raise misplaced(fold, "from_agency", what)
    elif entry.reason_code == TRANSFER_IN:
        if loc.status is not Status.TRANSIT:
            raise misplaced(fold, "reason", f"cannot arrive on transfer at {entry.to_agency}")
        if loc.destination != entry.to_agency:
            what = f"the transfer was to {loc.destination}, not {entry.to_agency}"
            raise misplaced(fold, "to_agency", what)
    elif loc.status in CUSTODY:
        raise Conflict(
            "to_agency",
            f"cannot admit to {entry.to_agency}: already in custody; {fold.where()}",
            fold.blame("location"),
        )


def check_release(fold: JourneyState, entry: ev.MovementRecorded) -> None:
    """From the prison or court one is held at, or, for a restricted patient, from the
    hospital one was released to."""
    loc = fold.location
    held_at = {Status.IN: loc.agency, Status.COURT: loc.agency, Status.TAP: loc.prison}
    if loc.status is Status.RELEASED and loc.agency_kind is AgencyKind.HOSPITAL:
        held_at[Status.RELEASED] = loc.agency
    if loc.status not in held_at or entry.from_agency not in {held_at[loc.status], loc.prison}:
        raise misplaced(fold, "from_agency", f"cannot release from {entry.from_agency}")


def require_in(fold: JourneyState, agency: str, field: str) -> None:
    loc = fold.location
    if loc.status is not Status.IN or loc.agency != agency:
        raise misplaced(fold, field, f"the person is not in {agency}")


def check_cell(fold: JourneyState, entry: ev.PersonEvent) -> None:
    assert isinstance(entry, ev.CellMoved)
    require_in(fold, entry.agency, "agency")


def check_area_request(fold: JourneyState, entry: ev.PersonEvent) -> None:
    assert isinstance(entry, ev.AreaTransferRequested)
    own = fold.ownership
    if own.pdu is None:
        raise Conflict("pdu", "no probation supervision on record to transfer", None)
    if own.pending_area_transfer is not None:
        raise Conflict(
            "pdu",
            f"an area transfer is already pending since {describe(fold.last['area_transfer'])}",
            own.pending_area_transfer.entry,
        )
    if own.pdu == entry.pdu:
        raise Conflict("pdu", f"the case is already held by {entry.pdu}", fold.blame("community"))


def check_area_answer(fold: JourneyState, entry: ev.PersonEvent) -> None:
    if fold.ownership.pending_area_transfer is None:
        raise Conflict("area_transfer", "no area transfer is pending", fold.blame("area_transfer"))


def check_handover_request(fold: JourneyState, entry: ev.PersonEvent) -> None:
    assert isinstance(entry, ev.HandoverRequested)
    own = fold.ownership
    if own.pending_handover is not None:
        raise Conflict(
            "to",
            f"a handover is already pending since {describe(fold.last['handover'])}",
            own.pending_handover.entry,
        )
    if own.responsibility is not None and own.responsibility.value == entry.to:
        raise Conflict("to", f"responsibility is already {entry.to}", fold.blame("responsibility"))


def check_handover_answer(fold: JourneyState, entry: ev.PersonEvent) -> None:
    if fold.ownership.pending_handover is None:
        raise Conflict("handover", "no handover is pending", fold.blame("handover"))


def no_check(fold: JourneyState, entry: ev.PersonEvent) -> None:
    return None


MovementGuard = Callable[[JourneyState, ev.MovementRecorded], None]

MOVEMENT_GUARDS: dict[Movement, MovementGuard] = {
    (MovementType.ADM, Direction.IN): check_admission,
    (MovementType.TRN, Direction.OUT): check_leaving,
    (MovementType.CRT, Direction.OUT): check_leaving,
    (MovementType.CRT, Direction.IN): check_court_return,
    (MovementType.TAP, Direction.OUT): check_leaving,
    (MovementType.TAP, Direction.IN): check_absence_return,
    (MovementType.REL, Direction.OUT): check_release,
}

Guard = Callable[[JourneyState, ev.PersonEvent], None]

GUARDS: dict[type[ev.PersonEvent], Guard] = {
    ev.MovementRecorded: check_movement,
    ev.CellMoved: check_cell,
    ev.IdentifierAdded: no_check,
    ev.SupervisionStarted: no_check,
    ev.AreaTransferRequested: check_area_request,
    ev.AreaTransferAccepted: check_area_answer,
    ev.AreaTransferRejected: check_area_answer,
    ev.OffenderManagerAllocated: no_check,
    ev.HandoverRequested: check_handover_request,
    ev.HandoverAccepted: check_handover_answer,
    ev.HandoverRejected: check_handover_answer,
    ev.RiskEscalated: no_check,
    ev.KeyDatesRecorded: no_check,
}
