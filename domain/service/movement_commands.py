"""The NOMIS external movements as commands: each says which movement type and direction it
is, how a NOMIS movement record gives its fields, and how it is written as one."""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from typing import Annotated, ClassVar, Self

from domain.errors import InvalidValue
from domain.person.aggregate import Person, Recorded
from domain.person.vocabulary import (
    COURT_APPEARANCE,
    NORMAL_TRANSFER,
    OUTSIDE,
    TRANSFER_IN,
    Direction,
    MovementType,
)
from domain.provenance import Provenance
from domain.service.command import PRISON, Claims, Command, Shape

Agency = Annotated[str, Shape(max_length=20)]
Reason = Annotated[str, Shape(max_length=20)]


@dataclass(frozen=True)
class NomisRecord:
    """A NOMIS movement record's agencies and reason, as read or written."""

    from_agency: str | None
    to_agency: str | None
    reason: str | None


@dataclass(frozen=True)
class Movement(Command):
    """A NOMIS external movement of one type and direction. `agencies` names the fields that
    are the record's `fromAgency` and `toAgency`; a field with no default is required in the
    record, one with a default takes it when the record gives none."""

    roles: ClassVar[tuple[str, ...]] = PRISON
    movement_type: ClassVar[MovementType]
    direction: ClassVar[Direction]
    agencies: ClassVar[tuple[str, str]]
    # The reason that picks this command among those of its type and direction (INT: the
    # arrival end of a transfer, not a reception); None: any other reason.
    nomis_reason: ClassVar[str | None] = None

    @classmethod
    def from_nomis(cls, record: NomisRecord) -> Self:
        """The command a NOMIS movement record of this type and direction stands for."""
        source, to = cls.agencies
        given = {
            source: (record.from_agency, "fromAgency"),
            to: (record.to_agency, "toAgency"),
            "movement_reason": (record.reason, "movementReasonCode"),
        }
        values: dict[str, str | None] = {}
        for spec in fields(cls):
            value, name = given[spec.name]
            if value:
                values[spec.name] = value.upper()
            elif spec.default is MISSING:
                what = f"{cls.movement_type} {cls.direction}"
                raise InvalidValue(name, f"is required for a {what} movement")
            else:
                values[spec.name] = spec.default
        return cls(**values)

    def to_nomis(self) -> NomisRecord:
        """The NOMIS movement record this command stands for."""
        source, to = (getattr(self, name) for name in self.agencies)
        return NomisRecord(
            source or OUTSIDE, to, getattr(self, "movement_reason", self.nomis_reason)
        )


@dataclass(frozen=True)
class Admit(Movement):
    route = "admissions"
    summary = "ADM IN: reception"
    movement_type = MovementType.ADM
    direction = Direction.IN
    agencies = ("from_agency", "prison")

    prison: Annotated[str, Shape(max_length=20, examples=("LEI",))]
    movement_reason: Annotated[str, Shape(max_length=20, examples=("N",))]
    from_agency: Agency = OUTSIDE

    def apply(self, person: Person, provenance: Provenance, claims: Claims) -> Recorded:
        return person.admit(
            provenance,
            prison=self.prison,
            reason=self.movement_reason,
            from_agency=self.from_agency,
        )


@dataclass(frozen=True)
class TransferOut(Movement):
    route = "transfers-out"
    summary = "TRN OUT: leave for a prison"
    movement_type = MovementType.TRN
    direction = Direction.OUT
    agencies = ("from_prison", "to_prison")

    from_prison: Annotated[str, Shape(max_length=20, examples=("LEI",))]
    to_prison: Annotated[str, Shape(max_length=20, examples=("MDI",))]
    movement_reason: Reason = NORMAL_TRANSFER

    def apply(self, person: Person, provenance: Provenance, claims: Claims) -> Recorded:
        return person.transfer_out(
            provenance,
            from_prison=self.from_prison,
            to_prison=self.to_prison,
            reason=self.movement_reason,
        )


@dataclass(frozen=True)
class Arrive(Movement):
    route = "arrivals"
    summary = "ADM IN (INT): arrive on transfer"
    movement_type = MovementType.ADM
    direction = Direction.IN
    agencies = ("from_prison", "prison")
    nomis_reason = TRANSFER_IN

    prison: Annotated[str, Shape(max_length=20, examples=("MDI",))]
    from_prison: Annotated[str | None, Shape(max_length=20)] = None

    def apply(self, person: Person, provenance: Provenance, claims: Claims) -> Recorded:
        return person.arrive(provenance, prison=self.prison, from_prison=self.from_prison)


@dataclass(frozen=True)
class CourtOut(Movement):
    route = "court-departures"
    summary = "CRT OUT: to court"
    movement_type = MovementType.CRT
    direction = Direction.OUT
    agencies = ("prison", "court")

    prison: Annotated[str, Shape(max_length=20, examples=("LEI",))]
    court: Annotated[str, Shape(max_length=20, examples=("LEEDCC",))]
    movement_reason: Reason = COURT_APPEARANCE

    def apply(self, person: Person, provenance: Provenance, claims: Claims) -> Recorded:
        return person.court_out(
            provenance, prison=self.prison, court=self.court, reason=self.movement_reason
        )


@dataclass(frozen=True)
class CourtReturn(Movement):
    route = "court-returns"
    summary = "CRT IN: back from court"
    movement_type = MovementType.CRT
    direction = Direction.IN
    agencies = ("court", "prison")

    court: Annotated[str, Shape(max_length=20, examples=("LEEDCC",))]
    prison: Annotated[str, Shape(max_length=20, examples=("LEI",))]
    movement_reason: Reason = COURT_APPEARANCE

    def apply(self, person: Person, provenance: Provenance, claims: Claims) -> Recorded:
        return person.court_return(
            provenance, court=self.court, prison=self.prison, reason=self.movement_reason
        )


@dataclass(frozen=True)
class TapOut(Movement):
    route = "temporary-absences"
    summary = "TAP OUT: temporary absence"
    movement_type = MovementType.TAP
    direction = Direction.OUT
    agencies = ("prison", "to_agency")

    prison: Annotated[str, Shape(max_length=20, examples=("MDI",))]
    movement_reason: Annotated[str, Shape(max_length=20, examples=("RO",))]
    to_agency: Agency = OUTSIDE

    def apply(self, person: Person, provenance: Provenance, claims: Claims) -> Recorded:
        return person.tap_out(
            provenance, prison=self.prison, reason=self.movement_reason, to_agency=self.to_agency
        )


@dataclass(frozen=True)
class TapReturn(Movement):
    route = "temporary-absence-returns"
    summary = "TAP IN: return"
    movement_type = MovementType.TAP
    direction = Direction.IN
    agencies = ("from_agency", "prison")

    prison: Annotated[str, Shape(max_length=20, examples=("MDI",))]
    movement_reason: Annotated[str, Shape(max_length=20, examples=("RO",))]
    from_agency: Agency = OUTSIDE

    def apply(self, person: Person, provenance: Provenance, claims: Claims) -> Recorded:
        return person.tap_return(
            provenance,
            prison=self.prison,
            reason=self.movement_reason,
            from_agency=self.from_agency,
        )


@dataclass(frozen=True)
class Release(Movement):
    route = "releases"
    summary = "REL OUT: release, escape, death"
    movement_type = MovementType.REL
    direction = Direction.OUT
    agencies = ("from_agency", "to_agency")

    from_agency: Annotated[str, Shape(max_length=20, examples=("MDI",))]
    movement_reason: Annotated[str, Shape(max_length=20, examples=("CR",))]
    to_agency: Agency = OUTSIDE

    def apply(self, person: Person, provenance: Provenance, claims: Claims) -> Recorded:
        return person.release(
            provenance,
            from_agency=self.from_agency,
            reason=self.movement_reason,
            to_agency=self.to_agency,
        )


@dataclass(frozen=True)
class MoveCell(Command):
    """Within a prison: no NOMIS external movement."""

    roles = PRISON
    route = "cell-moves"
    summary = "Move to a wing-landing-cell"
    schema = "CellMove"

    prison: Annotated[str, Shape(max_length=20, examples=("LEI",))]
    cell: Annotated[str, Shape(max_length=30, examples=("A-1-001",))]

    def apply(self, person: Person, provenance: Provenance, claims: Claims) -> Recorded:
        return person.move_cell(provenance, prison=self.prison, cell=self.cell)


MOVEMENTS: tuple[type[Movement], ...] = (
    Admit,
    TransferOut,
    Arrive,
    CourtOut,
    CourtReturn,
    TapOut,
    TapReturn,
    Release,
)
