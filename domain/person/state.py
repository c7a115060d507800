"""What a person's history adds up to at a moment: location, ownership, key dates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar, Protocol, TypeVar

from domain.frozen import held
from domain.person.vocabulary import (
    CUSTODY,
    KEY_DATES,
    AgencyKind,
    Responsibility,
    Status,
)

# The vocabulary is re-exported: the read side takes the state and its words from here.
__all__ = [
    "CUSTODY",
    "KEY_DATES",
    "AgencyKind",
    "Location",
    "Mark",
    "Opening",
    "Ownership",
    "Pending",
    "PersonState",
    "Protection",
    "Responsibility",
    "Status",
    "Stay",
    "evolve",
    "located",
    "stay",
]


class _Dataclass(Protocol):
    __dataclass_fields__: ClassVar[dict[str, Any]]


Frozen = TypeVar("Frozen", bound=_Dataclass)


def located(
    *,
    status: Status,
    agency: str | None,
    agency_kind: AgencyKind | None,
    prison: str | None,
    destination: str | None,
    cell: str | None,
    since: datetime | None,
    movement_type: str | None,
    direction: str | None,
    reason_code: str | None,
    entry: int | None,
) -> Location:
    """A `Location` from all its fields, equal to `Location(...)` with them, without the
    field-by-field frozen `__init__` (the fold makes one per movement)."""
    fields = {
        "status": status,
        "agency": agency,
        "agency_kind": agency_kind,
        "prison": prison,
        "destination": destination,
        "cell": cell,
        "since": since,
        "movement_type": movement_type,
        "direction": direction,
        "reason_code": reason_code,
        "entry": entry,
    }
    return held(Location, fields)


def stay(prison: str, start: datetime, end: datetime | None) -> Stay:
    """A `Stay`, equal to `Stay(prison, start, end)`, made as `located` makes a `Location`."""
    return held(Stay, {"prison": prison, "start": start, "end": end})


def evolve(value: Frozen, **changes: Any) -> Frozen:
    """A copy of a frozen value with some fields changed, as `dataclasses.replace` makes it,
    without its walk over every field and its field-by-field frozen `__init__` (the fold makes
    one or two per entry). These values have no `__post_init__` and no `init=False` fields."""
    if not changes.keys() <= value.__dataclass_fields__.keys():
        unknown = ", ".join(sorted(changes.keys() - value.__dataclass_fields__.keys()))
        msg = f"{type(value).__name__} has no field {unknown}"
        raise TypeError(msg)
    made = object.__new__(type(value))
    fields = value.__dict__.copy()
    fields.update(changes)
    object.__setattr__(made, "__dict__", fields)
    return made


@dataclass(frozen=True)
class Location:
    """Where a person is. `prison` is the establishment holding them, also while at court,
    on temporary absence or in transit (then the prison they left)."""

    status: Status = Status.NONE
    agency: str | None = None
    agency_kind: AgencyKind | None = None
    prison: str | None = None
    destination: str | None = None
    cell: str | None = None
    since: datetime | None = None
    movement_type: str | None = None
    direction: str | None = None
    reason_code: str | None = None
    entry: int | None = None


# `located` and `stay` name every field: a field added to either class must be added there.
if tuple(Location.__dataclass_fields__) != tuple(located.__annotations__)[:-1]:
    raise TypeError("located() must take every field of Location, in order")


@dataclass(frozen=True)
class Opening:
    """Where a history that starts part way through custody presumes the person was before
    its first movement, and that movement (the entry the position is inferred from)."""

    location: Location
    entry: int


@dataclass(frozen=True)
class Pending:
    """A handover or area transfer waiting for an answer."""

    to: str
    requested_at: datetime
    entry: int
    pdu: str | None = None
    team: str | None = None


@dataclass(frozen=True)
class Ownership:
    """Who holds the case."""

    responsibility: Responsibility | None = None
    region: str | None = None
    pdu: str | None = None
    team: str | None = None
    pom: str | None = None
    pom_unit: str | None = None
    com: str | None = None
    com_unit: str | None = None
    since: datetime | None = None
    pending_handover: Pending | None = None
    pending_area_transfer: Pending | None = None
    risk_level: str | None = None
    risk_escalated_at: datetime | None = None


@dataclass(frozen=True)
class Stay:
    """A spell on a prison's roll (in, at court, on temporary absence, or in transit out)."""

    prison: str
    start: datetime
    end: datetime | None = None


if tuple(Stay.__dataclass_fields__) != tuple(stay.__annotations__)[:-1]:
    raise TypeError("stay() must take every field of Stay, in order")


@dataclass(frozen=True)
class Mark:
    """A standing restriction or hold: when it was recorded, by whom, why, and its entry."""

    at: datetime
    by: str
    reason: str | None
    entry: int


@dataclass(frozen=True)
class Protection:
    """What the data-protection rules read of a record besides its journey."""

    restricted: Mark | None = None
    holds: tuple[Mark, ...] = ()
    ever_ual: bool = False  # any live release as escaped or unlawfully at large
    merges: int = 0  # other records of the person merged into this one


@dataclass(frozen=True)
class PersonState:
    """A person's derived state at one effective time and one knowledge point."""

    person_id: str
    given_name: str | None
    family_name: str | None
    date_of_birth: date | None
    sex: str | None
    identifiers: dict[str, tuple[str, ...]]
    location: Location
    ownership: Ownership
    key_dates: dict[str, date]
    version: int
    entries_applied: int
    anomalies: tuple[str, ...] = field(default=())
    stays: tuple[Stay, ...] = field(default=())
    prisons_named: tuple[str, ...] = field(default=())  # in any entry, voided ones too
    merged_into: str | None = None  # this record was merged into that person's
    opening: Opening | None = None  # inferred from the first movement, when it presumes one
    protection: Protection = field(default=Protection())  # restriction, holds, retention facts

    @property
    def name(self) -> str:
        """The name to show; people registered from a movement feed have none on record."""
        parts = [p for p in (self.given_name, self.family_name) if p]
        return " ".join(parts) or "(name not recorded)"

    @property
    def owner(self) -> str | None:
        """The prison or probation unit holding the case."""
        if self.ownership.responsibility is Responsibility.CUSTODY:
            return self.location.prison
        if self.ownership.responsibility is Responsibility.COMMUNITY:
            return self.ownership.pdu or self.ownership.region
        return None
