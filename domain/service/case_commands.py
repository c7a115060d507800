"""Casework as commands: supervision and area transfers, offender managers, handovers, risk,
key dates, identifiers, and the corrections (voiding and reinstating entries)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from domain.errors import IdentifierTaken
from domain.identifiers import claim_key, identifier_kind, normalise
from domain.person.aggregate import Person, Recorded
from domain.provenance import Provenance
from domain.service.command import (
    CASEWORK,
    PRISON,
    PROBATION,
    RECOVERY,
    REGISTRARS,
    Claims,
    Command,
    Shape,
)


@dataclass(frozen=True)
class ProbationUnit(Command, roles=PROBATION, schema="ProbationUnit"):
    """A region, a PDU in it and an optional team."""

    region: Annotated[str, Shape(max_length=20, examples=("N55",))]
    pdu: Annotated[str, Shape(max_length=20, examples=("N55LEE",))]
    team: Annotated[str | None, Shape(max_length=20)] = None


@dataclass(frozen=True)
class StartSupervision(
    ProbationUnit,
    route="supervision",
    summary="Start supervision",
    calls=Person.start_supervision,
):
    pass


@dataclass(frozen=True)
class RequestAreaTransfer(
    ProbationUnit,
    route="area-transfers",
    summary="Request a probation area transfer",
    calls=Person.request_area_transfer,
):
    pass


@dataclass(frozen=True)
class Answer(Command, schema="Answer", schema_doc="Accept or reject: rejections need a reason."):
    """Accept or reject a pending request: no body beyond the provenance."""


@dataclass(frozen=True)
class AcceptAreaTransfer(
    Answer,
    route="area-transfers/accept",
    roles=PROBATION,
    summary="Accept the pending area transfer",
    calls=Person.accept_area_transfer,
):
    pass


@dataclass(frozen=True)
class RejectAreaTransfer(
    Answer,
    route="area-transfers/reject",
    roles=PROBATION,
    summary="Reject the pending area transfer (reason required)",
    calls=Person.reject_area_transfer,
):
    pass


@dataclass(frozen=True)
class AllocatePom(
    Command,
    route="pom-allocations",
    roles=PRISON,
    summary="Allocate a POM",
    schema="PomAllocation",
    calls=Person.allocate_pom,
):
    officer: Annotated[str, Shape(max_length=100, examples=("POM Jones",))]
    prison: Annotated[str, Shape(max_length=20, examples=("LEI",))]


@dataclass(frozen=True)
class AllocateCom(
    Command,
    route="com-allocations",
    roles=PROBATION,
    summary="Allocate a COM",
    schema="ComAllocation",
    calls=Person.allocate_com,
):
    officer: Annotated[str, Shape(max_length=100, examples=("COM Patel",))]
    pdu: Annotated[str, Shape(max_length=20, examples=("N55LEE",))]


@dataclass(frozen=True)
class RequestHandover(
    Command,
    route="handovers",
    roles=CASEWORK,
    summary="Request a handover",
    schema="HandoverRequest",
    calls=Person.request_handover,
):
    to: Annotated[str, Shape(pattern="^(custody|community)$", examples=("community",))]


@dataclass(frozen=True)
class AcceptHandover(
    Answer,
    route="handovers/accept",
    roles=CASEWORK,
    summary="Accept the handover",
    calls=Person.accept_handover,
):
    pass


@dataclass(frozen=True)
class RejectHandover(
    Answer,
    route="handovers/reject",
    roles=CASEWORK,
    summary="Reject the handover (reason required)",
    calls=Person.reject_handover,
):
    pass


@dataclass(frozen=True)
class EscalateRisk(
    Command,
    route="risk-escalations",
    roles=PROBATION,
    summary="Urgent risk escalation to the national service (reason required)",
    schema="RiskEscalation",
    calls=Person.escalate_risk,
):
    level: Annotated[str, Shape(pattern="^(HIGH|VERY_HIGH)$", examples=("VERY_HIGH",))]


@dataclass(frozen=True)
class RecordKeyDates(
    Command,
    route="key-dates",
    roles=CASEWORK,
    summary="Record or change key dates",
    schema="KeyDates",
    calls=Person.record_key_dates,
):
    dates: Annotated[
        dict[str, date | None], Shape(examples=({"CRD": "2025-09-01", "HDCED": None},))
    ]


@dataclass(frozen=True)
class AddIdentifier(
    Command,
    route="identifiers",
    roles=CASEWORK,
    summary="Add an identifier",
    schema="AddIdentifier",
):
    """Another identifier, claimed in the same save as the entry: a second claim of one
    identifier is refused by the store."""

    kind: Annotated[str, Shape(max_length=10, examples=("PNC",))]
    value: Annotated[str, Shape(max_length=20, examples=("12/394773H",))]

    def apply(self, person: Person, provenance: Provenance, claims: Claims) -> Recorded:
        kind = identifier_kind(self.kind).value
        value = normalise(kind, self.value, "value")
        key = claim_key(kind, value)
        holder = claims.holder(kind, value)
        mine = person.registration.identifiers.get(kind) == value
        if mine or holder == person.id or claims.claimed(key):
            return Recorded(person.version, duplicate=True)
        if holder is not None:
            raise IdentifierTaken("value", f"{kind} {value} is held by another person", str(holder))
        claims.claim(key, person.id)
        return person.add_identifier(provenance, kind=kind, value=value)


@dataclass(frozen=True)
class Correction(Command, roles=RECOVERY, schema="Correction", importable=False):
    """Listed entries, or every entry of a batch."""

    entries: Annotated[tuple[int, ...], Shape(max_length=10_000)] = ()
    batch: Annotated[str | None, Shape(max_length=200)] = None


@dataclass(frozen=True)
class VoidEntries(
    Correction, route="voids", summary="Void entries or a batch's entries", calls=Person.void
):
    """Nothing new if every entry named is already voided."""


@dataclass(frozen=True)
class ReinstateEntries(
    Correction, route="reinstatements", summary="Reinstate entries", calls=Person.reinstate
):
    pass


@dataclass(frozen=True, kw_only=True)
class Register:
    """A new person and the identifiers they are claimed by (not a command on a person: the
    service's `register` runs it)."""

    route = "people"
    roles = REGISTRARS
    summary = "Register a person with their identifiers"

    given_name: Annotated[str, Shape(max_length=100, examples=("John",))]
    family_name: Annotated[str, Shape(max_length=100, examples=("Smith",))]
    date_of_birth: Annotated[date, Shape(examples=("1980-05-17",))]
    sex: Annotated[str | None, Shape(pattern="^[MFX]$")] = None
    identifiers: Annotated[dict[str, str], Shape(examples=({"NOMS": "A1234BC", "CRN": "X123456"},))]
