"""Response bodies: what the API says about a person, built from read models or history."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, BeforeValidator, Field
from pydantic.dataclasses import dataclass as pydantic_dataclass

from domain.person.state import PersonState
from domain.person.timeline import TimelineEntry
from domain.service.results import CommandResult
from projections.queries import PersonRecord, PersonRow

ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}")


def iso_text(value: object) -> object:
    """A date-time given as ISO 8601 text: pydantic would read a bare number as seconds since
    1970, which no caller means."""
    if isinstance(value, str) and not ISO_DAY.match(value):
        raise ValueError("must be an ISO 8601 date-time with a time zone, e.g. 2024-06-01T10:00Z")
    return value


# A moment asked about: ISO 8601 text with a time zone (a zone-less time is ambiguous).
Moment = Annotated[AwareDatetime, BeforeValidator(iso_text)]
# A calendar day asked about, likewise only as ISO 8601 text.
Day = Annotated[date, BeforeValidator(iso_text)]


@dataclass(frozen=True)
class TimeAxes:
    """When a question is about: effective time (`as_of`) and knowledge time (`as_known_at`),
    each None for now."""

    as_of: datetime | None = None
    as_known_at: datetime | None = None

    @property
    def now(self) -> bool:
        """Both at now: the read models answer; otherwise the history, replayed."""
        return self.as_of is None and self.as_known_at is None


NOW = TimeAxes()


class Location(BaseModel):
    status: str = Field(examples=["in"])
    agency: str | None = Field(default=None, examples=["LEI"])
    agency_kind: str | None = Field(default=None, examples=["prison"])
    prison: str | None = Field(default=None, examples=["LEI"])
    destination: str | None = None
    cell: str | None = Field(default=None, examples=["A-1-001"])
    since: datetime | None = None
    movement_type: str | None = Field(default=None, examples=["ADM"])
    direction: str | None = Field(default=None, examples=["IN"])
    reason_code: str | None = Field(default=None, examples=["N"])


class Ownership(BaseModel):
    responsibility: str | None = Field(default=None, examples=["custody"])
    owner: str | None = Field(default=None, examples=["LEI"])
    region: str | None = None
    pdu: str | None = None
    team: str | None = None
    pom: str | None = None
    pom_unit: str | None = None
    com: str | None = None
    com_unit: str | None = None
    since: datetime | None = None
    handover_to: str | None = None
    handover_requested_at: datetime | None = None
    transfer_region: str | None = None
    transfer_pdu: str | None = None
    transfer_team: str | None = None
    transfer_requested_at: datetime | None = None
    risk_level: str | None = None
    risk_escalated_at: datetime | None = None


class Person(BaseModel):
    """Where a person is, who holds the case, key dates and every identifier, in one answer."""

    person_id: str
    version: int
    given_name: str | None
    family_name: str | None
    date_of_birth: date | None
    sex: str | None
    identifiers: dict[str, list[str]] = Field(examples=[{"NOMS": ["A1234BC"]}])
    location: Location
    ownership: Ownership
    key_dates: dict[str, date] = Field(examples=[{"CRD": "2025-09-01"}])
    as_of: datetime | None = None
    as_known_at: datetime | None = None
    anomalies: list[str] = []


def person_from_record(person_id: str, record: PersonRecord) -> Person:
    p = record.person
    return Person(
        person_id=person_id,
        version=p["version"],
        given_name=p["given_name"],
        family_name=p["family_name"],
        date_of_birth=p["date_of_birth"],
        sex=p["sex"],
        identifiers=record.identifiers,
        location=Location(**record.location),
        ownership=Ownership(**record.ownership),
        key_dates=record.key_dates,
    )


def person_from_state(state: PersonState, times: TimeAxes) -> Person:
    """The answer derived from a person's history at those times."""
    derived = {**vars(state), "ownership": ownership_from_state(state), **asdict(times)}
    return Person.model_validate(derived, from_attributes=True)


def ownership_from_state(state: PersonState) -> Ownership:
    """The domain's ownership, with who holds the case and any pending handover or area
    transfer spelled out as the read models hold them."""
    own = state.ownership
    handover, transfer = own.pending_handover, own.pending_area_transfer
    return Ownership.model_validate(
        {
            **vars(own),
            "owner": state.owner,
            "handover_to": handover.to if handover else None,
            "handover_requested_at": handover.requested_at if handover else None,
            "transfer_region": transfer.to if transfer else None,
            "transfer_pdu": transfer.pdu if transfer else None,
            "transfer_team": transfer.team if transfer else None,
            "transfer_requested_at": transfer.requested_at if transfer else None,
        }
    )


class Void(BaseModel):
    voided_by: str
    reason: str | None
    at: datetime
    correction: int
    batch: str | None


@pydantic_dataclass(frozen=True)
class Entry(TimelineEntry):
    """One recorded event, with its provenance and whether it is voided."""

    # The domain's entry, field for field, as a pydantic dataclass: the schema follows it.

    kind: Annotated[str, Field(examples=["MovementRecorded"])]
    # The mark without the entry number it is on: the entry itself says that.
    voided: Void | None  # type: ignore[assignment]


def entry_view(entry: TimelineEntry) -> Entry:
    return Entry(**asdict(entry))


class Timeline(BaseModel):
    person_id: str
    entries: list[Entry]
    total: int
    next_offset: int | None


class PersonLine(BaseModel):
    """One line of a list: who, where, who holds the case."""

    person_id: str
    given_name: str | None
    family_name: str | None
    date_of_birth: date | None
    noms: str | None
    crn: str | None
    pnc: str | None
    cro: str | None
    status: str
    agency: str | None
    prison: str | None
    cell: str | None
    since: datetime | None
    responsibility: str | None
    owner: str | None
    pdu: str | None
    com: str | None
    detail: str | None = None


def line(row: PersonRow) -> PersonLine:
    return PersonLine(**asdict(row))


class CommandOutcome(BaseModel):
    """What a command did; `position` is the log position to wait for (read-your-writes)."""

    person_id: str
    entry: int
    version: int
    position: int | None
    changed: bool


def outcome(result: CommandResult) -> CommandOutcome:
    # Field by field: `asdict` copies every value deeply, a fortieth of a command's CPU.
    return CommandOutcome(
        person_id=result.person_id,
        entry=result.entry,
        version=result.person_version,
        position=result.position,
        changed=result.changed,
    )
