"""Prison movement commands in the NOMIS vocabulary (ADM, TRN, CRT, TAP, REL) and cell moves."""

from __future__ import annotations

import re

from domain import reference
from domain.errors import InvalidValue
from domain.person import events as ev
from domain.person.part import PersonPart
from domain.person.recorded import Recorded
from domain.person.vocabulary import (
    COURT_APPEARANCE,
    IN_TRANSIT,
    NORMAL_TRANSFER,
    OUTSIDE,
    TRANSFER_IN,
    Direction,
    MovementType,
)
from domain.provenance import Provenance

CELL = re.compile(r"^[A-Z0-9]{1,4}(-[A-Z0-9]{1,5}){1,3}$")
AGENCY = re.compile(r"^[A-Z0-9]{2,12}$")


class MovementCommands(PersonPart):
    """Mixin for Person: each command validates its codes, then records one movement."""

    def _movement(
        self,
        provenance: Provenance,
        kind: tuple[MovementType, Direction],
        reason: str,
        from_agency: str,
        to_agency: str,
    ) -> Recorded:
        """One movement of a type and direction, with its reason, from one agency to another."""
        movement_type, direction = kind
        reason = reference.movement_reason(movement_type, code(reason, "reason"), "reason").code
        # Events hold plain strings: what is stored and read back is what was recorded.
        return self.record(
            ev.MovementRecorded,
            provenance,
            movement_type=movement_type.value,
            direction=direction.value,
            reason_code=reason,
            from_agency=from_agency,
            to_agency=to_agency,
        )

    def admit(
        self, provenance: Provenance, *, prison: str, reason: str, from_agency: str = OUTSIDE
    ) -> Recorded:
        """ADM IN: a new reception (remand, sentence, recall), not the end of a transfer."""
        if code(reason, "reason") == TRANSFER_IN:
            raise InvalidValue("reason", f"{TRANSFER_IN} is the arrival of a transfer: use arrive")
        to = prison_code(prison, "prison")
        origin = agency(from_agency, "from_agency")
        return self._movement(provenance, (MovementType.ADM, Direction.IN), reason, origin, to)

    def transfer_out(
        self,
        provenance: Provenance,
        *,
        from_prison: str,
        to_prison: str,
        reason: str = NORMAL_TRANSFER,
    ) -> Recorded:
        """TRN OUT: leaves one prison for another; in transit until the arrival."""
        origin = prison_code(from_prison, "from_prison")
        to = prison_code(to_prison, "to_prison")
        if origin == to:
            raise InvalidValue("to_prison", "a transfer must go to a different prison")
        return self._movement(provenance, (MovementType.TRN, Direction.OUT), reason, origin, to)

    def arrive(
        self, provenance: Provenance, *, prison: str, from_prison: str | None = None
    ) -> Recorded:
        """ADM IN with reason INT: the arrival end of a transfer."""
        to = prison_code(prison, "prison")
        origin = IN_TRANSIT
        if from_prison is not None:
            origin = prison_code(from_prison, "from_prison")
        return self._movement(provenance, (MovementType.ADM, Direction.IN), TRANSFER_IN, origin, to)

    def arrive_from_absence(
        self, provenance: Provenance, *, from_prison: str, prison: str, reason: str
    ) -> Recorded:
        """ADM IN from an absence (TRNCRT: court) straight to another prison; the record's
        fromAgency is the prison the person left."""
        origin = prison_code(from_prison, "from_prison")
        to = prison_code(prison, "prison")
        if origin == to:
            raise InvalidValue("prison", "back to the prison left is a return, not a transfer")
        return self._movement(provenance, (MovementType.ADM, Direction.IN), reason, origin, to)

    def court_out(
        self, provenance: Provenance, *, prison: str, court: str, reason: str = COURT_APPEARANCE
    ) -> Recorded:
        """CRT OUT: leaves a prison for a court."""
        origin = prison_code(prison, "prison")
        to = court_code(court, "court")
        return self._movement(provenance, (MovementType.CRT, Direction.OUT), reason, origin, to)

    def court_return(
        self, provenance: Provenance, *, court: str, prison: str, reason: str = COURT_APPEARANCE
    ) -> Recorded:
        """CRT IN: back from court, to the same or another prison."""
        origin = court_code(court, "court")
        to = prison_code(prison, "prison")
        return self._movement(provenance, (MovementType.CRT, Direction.IN), reason, origin, to)

    def tap_out(
        self, provenance: Provenance, *, prison: str, reason: str, to_agency: str = OUTSIDE
    ) -> Recorded:
        """TAP OUT: temporary absence (release on temporary licence)."""
        origin = prison_code(prison, "prison")
        to = agency(to_agency, "to_agency")
        return self._movement(provenance, (MovementType.TAP, Direction.OUT), reason, origin, to)

    def tap_return(
        self, provenance: Provenance, *, prison: str, reason: str, from_agency: str = OUTSIDE
    ) -> Recorded:
        """TAP IN: back from temporary absence to the prison that was left."""
        to = prison_code(prison, "prison")
        origin = agency(from_agency, "from_agency")
        return self._movement(provenance, (MovementType.TAP, Direction.IN), reason, origin, to)

    def release(
        self, provenance: Provenance, *, from_agency: str, reason: str, to_agency: str = OUTSIDE
    ) -> Recorded:
        """REL OUT: release, escape, absconding, hospital or death, from a prison or a court (or
        a restricted patient's, from the hospital)."""
        origin = agency(from_agency, "from_agency")
        to = agency(to_agency, "to_agency")
        return self._movement(provenance, (MovementType.REL, Direction.OUT), reason, origin, to)

    def move_cell(self, provenance: Provenance, *, prison: str, cell: str) -> Recorded:
        """A move inside a prison to a wing-landing-cell location such as A-1-001."""
        at = prison_code(prison, "prison")
        location = code(cell, "cell")
        if not CELL.match(location):
            raise InvalidValue("cell", "must be wing-landing-cell, e.g. A-1-001")
        return self.record(ev.CellMoved, provenance, agency=at, cell=location)


def code(value: object, field: str) -> str:
    """A reference code, stripped and upper-cased; text required."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(field, "is required")
    cleaned = value.strip().upper()
    if len(cleaned) > 40:
        raise InvalidValue(field, "must be at most 40 characters")
    return cleaned


def prison_code(value: object, field: str) -> str:
    """A prison's code in the register."""
    return reference.prison(code(value, field), field).code


def court_code(value: object, field: str) -> str:
    """A court's code in the register."""
    return reference.court(code(value, field), field).code


def agency(value: str, field: str) -> str:
    """Any well-formed agency code: most hospitals, police stations and other places are in no
    register the journey holds."""
    cleaned = code(value, field)
    if not AGENCY.match(cleaned):
        raise InvalidValue(field, "must be an agency code of 2 to 12 letters or digits")
    return cleaned
