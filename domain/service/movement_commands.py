"""The NOMIS external movements as commands: each says which movement type and direction it
is, how a NOMIS movement record gives its fields, and how it is written as one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from typing import Annotated, Any, ClassVar, Self

from domain.errors import InvalidValue
from domain.person.aggregate import Person
from domain.person.recorded import Recorded
from domain.person.vocabulary import (
    COURT_APPEARANCE,
    NORMAL_TRANSFER,
    OUTSIDE,
    TRANSFER_IN,
    TRANSFER_VIA_COURT,
    TRANSFER_VIA_TAP,
    Direction,
    MovementType,
)
from domain.provenance import Provenance
from domain.service.command import PRISON, Claims, Command, Shape


def code(*examples: str, max_length: int = 20) -> Shape:
    """An agency or reason code's shape, with examples for the API document."""
    return Shape(max_length=max_length, examples=examples)


Agency = Annotated[str, code()]
Reason = Annotated[str, code()]


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
    renamed: ClassVar[Mapping[str, str]] = {"movement_reason": "reason"}
    # Every movement command with a route, in the order declared: the catalogue lists them so.
    registered: ClassVar[list[type[Movement]]] = []

    def __init_subclass__(
        cls,
        *,
        movement_type: MovementType | None = None,
        direction: Direction | None = None,
        agencies: tuple[str, str] | None = None,
        nomis_reason: str | None = None,
        **declared: Any,
    ) -> None:
        super().__init_subclass__(**declared)
        given = {
            "movement_type": movement_type,
            "direction": direction,
            "agencies": agencies,
            "nomis_reason": nomis_reason,
        }
        for name, value in given.items():
            if value is not None:
                setattr(cls, name, value)
        if "route" in declared:
            Movement.registered.append(cls)

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
class Admit(
    Movement,
    route="admissions",
    summary="ADM IN: reception",
    movement_type=MovementType.ADM,
    direction=Direction.IN,
    agencies=("from_agency", "prison"),
    calls=Person.admit,
):
    prison: Annotated[str, code("LEI")]
    movement_reason: Annotated[str, code("N")]
    from_agency: Agency = OUTSIDE


@dataclass(frozen=True)
class TransferOut(
    Movement,
    route="transfers-out",
    summary="TRN OUT: leave for a prison",
    movement_type=MovementType.TRN,
    direction=Direction.OUT,
    agencies=("from_prison", "to_prison"),
    calls=Person.transfer_out,
):
    from_prison: Annotated[str, code("LEI")]
    to_prison: Annotated[str, code("MDI")]
    movement_reason: Reason = NORMAL_TRANSFER


@dataclass(frozen=True)
class Arrive(
    Movement,
    route="arrivals",
    summary="ADM IN (INT): arrive on transfer",
    movement_type=MovementType.ADM,
    direction=Direction.IN,
    agencies=("from_prison", "prison"),
    nomis_reason=TRANSFER_IN,
    calls=Person.arrive,
):
    prison: Annotated[str, code("MDI")]
    from_prison: Annotated[str | None, code()] = None


@dataclass(frozen=True)
class CourtOut(
    Movement,
    route="court-departures",
    summary="CRT OUT: to court",
    movement_type=MovementType.CRT,
    direction=Direction.OUT,
    agencies=("prison", "court"),
    calls=Person.court_out,
):
    prison: Annotated[str, code("LEI")]
    court: Annotated[str, code("LEEDCC")]
    movement_reason: Reason = COURT_APPEARANCE


@dataclass(frozen=True)
class CourtReturn(
    Movement,
    route="court-returns",
    summary="CRT IN: back from court",
    movement_type=MovementType.CRT,
    direction=Direction.IN,
    agencies=("court", "prison"),
    calls=Person.court_return,
):
    court: Annotated[str, code("LEEDCC")]
    prison: Annotated[str, code("LEI")]
    movement_reason: Reason = COURT_APPEARANCE


@dataclass(frozen=True)
class ArrivalFromAbsence(
    Movement,
    movement_type=MovementType.ADM,
    direction=Direction.IN,
    agencies=("from_prison", "prison"),
):
    """ADM IN at another prison straight from an absence; its reason says which absence, and
    the record's fromAgency is the prison the person left."""

    from_prison: Annotated[str, code("LEI")]
    prison: Annotated[str, code("MDI")]

    def apply(self, person: Person, provenance: Provenance, claims: Claims) -> Recorded:
        reason = str(self.nomis_reason)
        return person.arrive_from_absence(
            provenance, from_prison=self.from_prison, prison=self.prison, reason=reason
        )


@dataclass(frozen=True)
class TransferViaCourt(
    ArrivalFromAbsence,
    route="transfers-via-court",
    summary="ADM IN (TRNCRT): from court to another prison",
    nomis_reason=TRANSFER_VIA_COURT,
):
    """CRT OUT from one prison, then from the court to another."""


@dataclass(frozen=True)
class TransferViaTemporaryAbsence(
    ArrivalFromAbsence,
    route="transfers-via-temporary-absence",
    summary="ADM IN (TRNTAP): from temporary absence to another prison",
    nomis_reason=TRANSFER_VIA_TAP,
):
    """TAP OUT from one prison, then from the absence to another."""


@dataclass(frozen=True)
class TapOut(
    Movement,
    route="temporary-absences",
    summary="TAP OUT: temporary absence",
    movement_type=MovementType.TAP,
    direction=Direction.OUT,
    agencies=("prison", "to_agency"),
    calls=Person.tap_out,
):
    prison: Annotated[str, code("MDI")]
    movement_reason: Annotated[str, code("RO")]
    to_agency: Agency = OUTSIDE


@dataclass(frozen=True)
class TapReturn(
    Movement,
    route="temporary-absence-returns",
    summary="TAP IN: return",
    movement_type=MovementType.TAP,
    direction=Direction.IN,
    agencies=("from_agency", "prison"),
    calls=Person.tap_return,
):
    prison: Annotated[str, code("MDI")]
    movement_reason: Annotated[str, code("RO")]
    from_agency: Agency = OUTSIDE


@dataclass(frozen=True)
class Release(
    Movement,
    route="releases",
    summary="REL OUT: release, escape, death",
    movement_type=MovementType.REL,
    direction=Direction.OUT,
    agencies=("from_agency", "to_agency"),
    calls=Person.release,
):
    from_agency: Annotated[str, code("MDI")]
    movement_reason: Annotated[str, code("CR")]
    to_agency: Agency = OUTSIDE


@dataclass(frozen=True)
class MoveCell(
    Command,
    route="cell-moves",
    roles=PRISON,
    summary="Move to a wing-landing-cell",
    schema="CellMove",
    calls=Person.move_cell,
):
    """Within a prison: no NOMIS external movement."""

    prison: Annotated[str, code("LEI")]
    cell: Annotated[str, code("A-1-001", max_length=30)]
