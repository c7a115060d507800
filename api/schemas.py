"""Response bodies: what the API says about a person, built from read models or history."""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, BeforeValidator, Field

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


def person_from_state(
    state: PersonState, as_of: datetime | None, as_known_at: datetime | None
) -> Person:
    loc, own = state.location, state.ownership
    handover, transfer = own.pending_handover, own.pending_area_transfer
    return Person(
        person_id=state.person_id,
        version=state.version,
        given_name=state.given_name,
        family_name=state.family_name,
        date_of_birth=state.date_of_birth,
        sex=state.sex,
        identifiers={k: list(v) for k, v in state.identifiers.items()},
        location=Location(**{k: v for k, v in asdict(loc).items() if k != "entry"}),
        ownership=Ownership(
            responsibility=own.responsibility,
            owner=state.owner,
            region=own.region,
            pdu=own.pdu,
            team=own.team,
            pom=own.pom,
            pom_unit=own.pom_unit,
            com=own.com,
            com_unit=own.com_unit,
            since=own.since,
            handover_to=handover.to if handover else None,
            handover_requested_at=handover.requested_at if handover else None,
            transfer_region=transfer.to if transfer else None,
            transfer_pdu=transfer.pdu if transfer else None,
            transfer_team=transfer.team if transfer else None,
            transfer_requested_at=transfer.requested_at if transfer else None,
            risk_level=own.risk_level,
            risk_escalated_at=own.risk_escalated_at,
        ),
        key_dates=state.key_dates,
        as_of=as_of,
        as_known_at=as_known_at,
        anomalies=list(state.anomalies),
    )


class Void(BaseModel):
    voided_by: str
    reason: str | None
    at: datetime
    correction: int
    batch: str | None


class Entry(BaseModel):
    """One recorded event, with its provenance and whether it is voided."""

    entry: int
    kind: str = Field(examples=["MovementRecorded"])
    occurred_at: datetime
    recorded_at: datetime
    recorded_by: str
    source: str
    batch_id: str | None
    source_ref: str | None
    reason: str | None
    correlation_id: str | None
    details: dict[str, Any]
    voided: Void | None


def entry_view(entry: TimelineEntry) -> Entry:
    mark = entry.voided
    return Entry(
        **{
            **asdict(entry),
            "voided": Void(
                voided_by=mark.voided_by,
                reason=mark.reason,
                at=mark.at,
                correction=mark.correction,
                batch=mark.batch,
            )
            if mark
            else None,
        }
    )


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
    return CommandOutcome(
        person_id=result.person_id,
        entry=result.entry,
        version=result.person_version,
        position=result.position,
        changed=result.changed,
    )
