"""Journey appliers: how each entry changes location and ownership.

Appliers always succeed on the entries the journey knows, so any non-voided history, however
odd, has a state; an entry it has no rule for raises `FoldError`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache, lru_cache

from domain import reference
from domain.person import events as ev
from domain.person.fold_state import FoldError, JourneyState, known_movement, known_movements
from domain.person.state import Location, Ownership, Pending, evolve, located, stay
from domain.person.vocabulary import (
    COMMUNITY_RELEASES,
    CUSTODY,
    DEATH_REASONS,
    HOSPITAL_REASONS,
    IN_TRANSIT,
    TRANSFER_IN,
    UAL_REASONS,
    UNSUPERVISED_RELEASES,
    AgencyKind,
    Direction,
    Movement,
    MovementType,
    Responsibility,
    Status,
)

# The reason groups are re-exported for the pages' wording, which still takes them from here.
__all__ = ["APPLIERS", "DEATH_REASONS", "HOSPITAL_REASONS", "PLACES", "UAL_REASONS", "Applier"]


def apply_movement(fold: JourneyState, entry: ev.PersonEvent) -> None:
    assert isinstance(entry, ev.MovementRecorded)
    status, agency, kind, prison, destination, cell = _moved(fold.location, entry)
    fold.location = located(
        status=status,
        agency=agency,
        agency_kind=kind,
        prison=prison,
        destination=destination,
        cell=cell,
        since=entry.occurred_at,
        movement_type=entry.movement_type,
        direction=entry.direction,
        reason_code=entry.reason_code,
        entry=entry.originator_version,
    )
    fold.last["location"] = entry
    track_stay(fold, status, prison, entry.occurred_at)
    if entry.reason_code in DEATH_REASONS:
        fold.died = entry
    if (
        entry.movement_type == MovementType.ADM
        and entry.reason_code != TRANSFER_IN
        and fold.ownership.responsibility is None
    ):
        hold(fold, entry, Responsibility.CUSTODY)
    elif entry.movement_type == MovementType.REL:
        released(fold, entry)


def released(fold: JourneyState, entry: ev.MovementRecorded) -> None:
    """After a release the prison no longer holds the case: the community does, on licence or
    supervision, or nobody; an escape or a move to hospital leaves it as it was."""
    if fold.ownership.responsibility is not Responsibility.CUSTODY:
        return
    if entry.reason_code in COMMUNITY_RELEASES:
        hold(fold, entry, Responsibility.COMMUNITY)
    elif entry.reason_code in UNSUPERVISED_RELEASES:
        hold(fold, entry, None)


def hold(fold: JourneyState, entry: ev.PersonEvent, by: Responsibility | None) -> None:
    fold.ownership = evolve(fold.ownership, responsibility=by, since=entry.occurred_at)
    fold.last["responsibility"] = entry


def track_stay(fold: JourneyState, status: Status, prison: str | None, at: datetime) -> None:
    """Close the open spell on a roll when the person leaves it; open one when they join."""
    on_roll = prison if status in CUSTODY else None
    current = fold.stays[-1] if fold.stays and fold.stays[-1].end is None else None
    if current is not None and current.prison == on_roll:
        return
    if current is not None:
        fold.stays[-1] = stay(current.prison, current.start, at)
    if on_roll is not None:
        fold.stays.append(stay(on_roll, at, None))


Where = tuple[Status, str, AgencyKind, str | None, str | None, str | None]


def _moved(before: Location, entry: ev.MovementRecorded) -> Where:
    """Status, agency, agency kind, holding prison, destination and cell after a movement."""
    place = _places().get((entry.movement_type, entry.direction, entry.reason_code))
    if place is None:
        movement = known_movement(entry)  # raises FoldError for a movement it does not know
        msg = f"no applier for a {movement[0]} {movement[1]} movement"
        raise FoldError(msg)
    return place(before, entry)


Place = Callable[[Location, ev.MovementRecorded], Where]


@cache
def _places() -> dict[tuple[str, str, str], Place]:
    """The applier of every movement the journey knows, by type, direction and reason: one
    lookup per movement in the fold, where the known movement and then its applier were two."""
    known = known_movements()
    return {key: PLACES[movement] for key, movement in known.items() if movement in PLACES}


def _arrived(before: Location, entry: ev.MovementRecorded) -> Where:
    """Admitted, arrived on transfer, or back from court or a temporary absence."""
    to = entry.to_agency
    cell = before.cell if before.prison == to else None
    return Status.IN, to, AgencyKind.PRISON, to, None, cell


def _in_transit(before: Location, entry: ev.MovementRecorded) -> Where:
    held = entry.from_agency
    return Status.TRANSIT, IN_TRANSIT, AgencyKind.TRANSIT, held, entry.to_agency, None


def _at_court(before: Location, entry: ev.MovementRecorded) -> Where:
    return Status.COURT, entry.to_agency, AgencyKind.COURT, entry.from_agency, None, before.cell


def _on_absence(before: Location, entry: ev.MovementRecorded) -> Where:
    kind = kind_of(entry.to_agency)
    return Status.TAP, entry.to_agency, kind, entry.from_agency, None, before.cell


def _released(before: Location, entry: ev.MovementRecorded) -> Where:
    held: str | None = entry.from_agency
    if before.status is Status.COURT and held == before.agency:
        held = before.prison  # released at court: still the prison's prisoner until now
    reason = entry.reason_code
    return (
        _release_status(reason),
        entry.to_agency,
        _release_kind(reason, entry.to_agency),
        held,
        None,
        None,
    )


PLACES: dict[Movement, Place] = {
    (MovementType.ADM, Direction.IN): _arrived,
    (MovementType.TRN, Direction.OUT): _in_transit,
    (MovementType.CRT, Direction.OUT): _at_court,
    (MovementType.CRT, Direction.IN): _arrived,
    (MovementType.TAP, Direction.OUT): _on_absence,
    (MovementType.TAP, Direction.IN): _arrived,
    (MovementType.REL, Direction.OUT): _released,
}


def _release_status(reason: str) -> Status:
    if reason in DEATH_REASONS:
        return Status.DIED
    if reason in UAL_REASONS:
        return Status.UAL
    return Status.RELEASED


def _release_kind(reason: str, to: str) -> AgencyKind:
    return AgencyKind.HOSPITAL if reason in HOSPITAL_REASONS else kind_of(to)


@lru_cache(maxsize=4096)
def kind_of(agency: str) -> AgencyKind:
    """What kind of place an agency code names, by the registers (fixed while the process
    runs: kept for the codes met most, as the fold asks on every release and absence)."""
    return AgencyKind(reference.agency(agency).kind)


def apply_cell(fold: JourneyState, entry: ev.PersonEvent) -> None:
    assert isinstance(entry, ev.CellMoved)
    fold.location = evolve(fold.location, cell=entry.cell)


def apply_identifier(fold: JourneyState, entry: ev.PersonEvent) -> None:
    assert isinstance(entry, ev.IdentifierAdded)
    values = fold.identifiers.setdefault(entry.kind, [])
    if entry.value not in values:
        values.append(entry.value)


def apply_supervision(fold: JourneyState, entry: ev.PersonEvent) -> None:
    assert isinstance(entry, ev.SupervisionStarted)
    own = fold.ownership
    responsibility = own.responsibility or Responsibility.COMMUNITY
    since = own.since if own.responsibility else entry.occurred_at
    fold.ownership = evolve(
        own,
        region=entry.region,
        pdu=entry.pdu,
        team=entry.team,
        responsibility=responsibility,
        since=since,
    )
    fold.last["community"] = entry


def apply_area_request(fold: JourneyState, entry: ev.PersonEvent) -> None:
    assert isinstance(entry, ev.AreaTransferRequested)
    pending = Pending(
        to=entry.region,
        pdu=entry.pdu,
        team=entry.team,
        requested_at=entry.occurred_at,
        entry=entry.originator_version,
    )
    fold.ownership = evolve(fold.ownership, pending_area_transfer=pending)
    fold.last["area_transfer"] = entry


def apply_area_accept(fold: JourneyState, entry: ev.PersonEvent) -> None:
    def moved(own: Ownership, to: Pending) -> Ownership:
        return evolve(own, region=to.to, pdu=to.pdu, team=to.team, com=None, com_unit=None)

    answer(fold, entry, "area_transfer", ("community", moved))


def apply_area_reject(fold: JourneyState, entry: ev.PersonEvent) -> None:
    answer(fold, entry, "area_transfer", None)


def apply_allocation(fold: JourneyState, entry: ev.PersonEvent) -> None:
    assert isinstance(entry, ev.OffenderManagerAllocated)
    if entry.role == "POM":
        fold.ownership = evolve(fold.ownership, pom=entry.officer, pom_unit=entry.unit)
    else:
        fold.ownership = evolve(fold.ownership, com=entry.officer, com_unit=entry.unit)


def apply_handover_request(fold: JourneyState, entry: ev.PersonEvent) -> None:
    assert isinstance(entry, ev.HandoverRequested)
    pending = Pending(to=entry.to, requested_at=entry.occurred_at, entry=entry.originator_version)
    fold.ownership = evolve(fold.ownership, pending_handover=pending)
    fold.last["handover"] = entry


def apply_handover_accept(fold: JourneyState, entry: ev.PersonEvent) -> None:
    def handed(own: Ownership, to: Pending) -> Ownership:
        return evolve(own, responsibility=Responsibility(to.to), since=entry.occurred_at)

    answer(fold, entry, "handover", ("responsibility", handed))


def apply_handover_reject(fold: JourneyState, entry: ev.PersonEvent) -> None:
    answer(fold, entry, "handover", None)


Taking = tuple[str, Callable[[Ownership, Pending], Ownership]]


def answer(fold: JourneyState, entry: ev.PersonEvent, asked: str, taking: Taking | None) -> None:
    """Answer the pending `asked` (handover, area_transfer): accepted, `taking` says which part
    of the state it sets and how; rejected, it only clears."""
    own = fold.ownership
    pending = getattr(own, f"pending_{asked}")
    if taking is not None and pending is not None:
        part, take = taking
        own = take(own, pending)
        fold.last[part] = entry
    fold.ownership = evolve(own, **{f"pending_{asked}": None})
    fold.last[asked] = entry


def apply_risk(fold: JourneyState, entry: ev.PersonEvent) -> None:
    assert isinstance(entry, ev.RiskEscalated)
    fold.ownership = evolve(
        fold.ownership, risk_level=entry.level, risk_escalated_at=entry.occurred_at
    )


def apply_key_dates(fold: JourneyState, entry: ev.PersonEvent) -> None:
    assert isinstance(entry, ev.KeyDatesRecorded)
    for code, value in entry.dates.items():
        if value is None:
            fold.key_dates.pop(code, None)
        else:
            fold.key_dates[code] = value


Applier = Callable[[JourneyState, ev.PersonEvent], None]

APPLIERS: dict[type[ev.PersonEvent], Applier] = {
    ev.MovementRecorded: apply_movement,
    ev.CellMoved: apply_cell,
    ev.IdentifierAdded: apply_identifier,
    ev.SupervisionStarted: apply_supervision,
    ev.AreaTransferRequested: apply_area_request,
    ev.AreaTransferAccepted: apply_area_accept,
    ev.AreaTransferRejected: apply_area_reject,
    ev.OffenderManagerAllocated: apply_allocation,
    ev.HandoverRequested: apply_handover_request,
    ev.HandoverAccepted: apply_handover_accept,
    ev.HandoverRejected: apply_handover_reject,
    ev.RiskEscalated: apply_risk,
    ev.KeyDatesRecorded: apply_key_dates,
}
