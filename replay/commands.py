"""The commands of the journey as data: one model per command, sharing the provenance fields.

The HTTP routes and the project's own JSON Lines import read the same models, so a command
means the same thing whichever way it arrives.
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

COMMON = {"occurred_at", "source_ref", "reason", "correlation_id"}


class Command(BaseModel):
    """Provenance every command carries."""

    model_config = ConfigDict(extra="forbid")

    occurred_at: datetime = Field(
        description="when it happened, with a time zone", examples=["2025-03-01T09:30:00+00:00"]
    )
    source_ref: str | None = Field(
        default=None,
        max_length=200,
        description="the upstream record's key; a repeat records "
        "nothing and returns the first result",
    )
    reason: str | None = Field(default=None, max_length=2000)
    correlation_id: str | None = Field(default=None, max_length=200)


class Register(Command):
    given_name: str = Field(max_length=100, examples=["John"])
    family_name: str = Field(max_length=100, examples=["Smith"])
    date_of_birth: date = Field(examples=["1980-05-17"])
    sex: str | None = Field(default=None, pattern="^[MFX]$")
    identifiers: dict[str, str] = Field(examples=[{"NOMS": "A1234BC", "CRN": "X123456"}])


class AddIdentifier(Command):
    kind: str = Field(examples=["PNC"], max_length=10)
    value: str = Field(examples=["12/394773H"], max_length=20)


class Admit(Command):
    prison: str = Field(examples=["LEI"], max_length=20)
    movement_reason: str = Field(examples=["N"], max_length=20)
    from_agency: str = Field(default="OUT", max_length=20)


class TransferOut(Command):
    from_prison: str = Field(examples=["LEI"], max_length=20)
    to_prison: str = Field(examples=["MDI"], max_length=20)
    movement_reason: str = Field(default="NOTR", max_length=20)


class Arrive(Command):
    prison: str = Field(examples=["MDI"], max_length=20)
    from_prison: str | None = Field(default=None, max_length=20)


class CourtOut(Command):
    prison: str = Field(examples=["LEI"], max_length=20)
    court: str = Field(examples=["LEEDCC"], max_length=20)
    movement_reason: str = Field(default="CRT", max_length=20)


class CourtReturn(Command):
    court: str = Field(examples=["LEEDCC"], max_length=20)
    prison: str = Field(examples=["LEI"], max_length=20)
    movement_reason: str = Field(default="CRT", max_length=20)


class TapOut(Command):
    prison: str = Field(examples=["MDI"], max_length=20)
    movement_reason: str = Field(examples=["RO"], max_length=20)
    to_agency: str = Field(default="OUT", max_length=20)


class TapReturn(Command):
    prison: str = Field(examples=["MDI"], max_length=20)
    movement_reason: str = Field(examples=["RO"], max_length=20)
    from_agency: str = Field(default="OUT", max_length=20)


class Release(Command):
    from_agency: str = Field(examples=["MDI"], max_length=20)
    movement_reason: str = Field(examples=["CR"], max_length=20)
    to_agency: str = Field(default="OUT", max_length=20)


class CellMove(Command):
    prison: str = Field(examples=["LEI"], max_length=20)
    cell: str = Field(examples=["A-1-001"], max_length=30)


class ProbationUnit(Command):
    region: str = Field(examples=["N55"], max_length=20)
    pdu: str = Field(examples=["N55LEE"], max_length=20)
    team: str | None = Field(default=None, max_length=20)


class Answer(Command):
    """Accept or reject: rejections need a reason."""


class PomAllocation(Command):
    officer: str = Field(max_length=100, examples=["POM Jones"])
    prison: str = Field(max_length=20, examples=["LEI"])


class ComAllocation(Command):
    officer: str = Field(max_length=100, examples=["COM Patel"])
    pdu: str = Field(max_length=20, examples=["N55LEE"])


class HandoverRequest(Command):
    to: str = Field(pattern="^(custody|community)$", examples=["community"])


class RiskEscalation(Command):
    level: str = Field(pattern="^(HIGH|VERY_HIGH)$", examples=["VERY_HIGH"])


class KeyDates(Command):
    dates: dict[str, date | None] = Field(examples=[{"CRD": "2025-09-01", "HDCED": None}])


class Correction(Command):
    entries: list[int] = Field(default=[], max_length=10_000)
    batch: str | None = Field(default=None, max_length=200)


@dataclass(frozen=True)
class Kind:
    """A command by name: its body and the application method that runs it."""

    body: type[Command]
    method: str


COMMANDS: dict[str, Kind] = {
    "identifiers": Kind(AddIdentifier, "add_identifier"),
    "admissions": Kind(Admit, "admit"),
    "transfers-out": Kind(TransferOut, "transfer_out"),
    "arrivals": Kind(Arrive, "arrive"),
    "court-departures": Kind(CourtOut, "court_out"),
    "court-returns": Kind(CourtReturn, "court_return"),
    "temporary-absences": Kind(TapOut, "tap_out"),
    "temporary-absence-returns": Kind(TapReturn, "tap_return"),
    "releases": Kind(Release, "release"),
    "cell-moves": Kind(CellMove, "move_cell"),
    "supervision": Kind(ProbationUnit, "start_supervision"),
    "area-transfers": Kind(ProbationUnit, "request_area_transfer"),
    "area-transfers/accept": Kind(Answer, "accept_area_transfer"),
    "area-transfers/reject": Kind(Answer, "reject_area_transfer"),
    "pom-allocations": Kind(PomAllocation, "allocate_pom"),
    "com-allocations": Kind(ComAllocation, "allocate_com"),
    "handovers": Kind(HandoverRequest, "request_handover"),
    "handovers/accept": Kind(Answer, "accept_handover"),
    "handovers/reject": Kind(Answer, "reject_handover"),
    "risk-escalations": Kind(RiskEscalation, "escalate_risk"),
    "key-dates": Kind(KeyDates, "record_key_dates"),
    "voids": Kind(Correction, "void_entries"),
    "reinstatements": Kind(Correction, "reinstate_entries"),
}


def arguments(body: Command) -> dict[str, Any]:
    """The command's own fields as keyword arguments of its application method."""
    values = body.model_dump(exclude=COMMON)
    if "movement_reason" in values:
        values["reason"] = values.pop("movement_reason")
    if "entries" in values:
        values["entries"] = tuple(values["entries"])
    return values
