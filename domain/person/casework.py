"""Community and case-ownership commands: supervision, area transfers, offender managers,
handovers, risk escalation, key dates and identifiers."""

from __future__ import annotations

import re
from datetime import date, datetime

from domain import reference
from domain.errors import InvalidValue
from domain.person import events as ev
from domain.person.movements import code
from domain.person.part import PersonPart
from domain.person.recorded import Recorded
from domain.person.vocabulary import KEY_DATES, Responsibility
from domain.provenance import Provenance, check_text

TEAM = re.compile(r"^[A-Z0-9_]{1,12}$")
RISK_LEVELS = frozenset({"HIGH", "VERY_HIGH"})


class CaseCommands(PersonPart):
    """Mixin for Person: each command validates, then records one entry."""

    def start_supervision(
        self, provenance: Provenance, *, region: str, pdu: str, team: str | None = None
    ) -> Recorded:
        """Supervision in the community begins with a probation region, PDU and team."""
        where = probation_unit(region, pdu, team)
        return self.record(ev.SupervisionStarted, provenance, **where)

    def request_area_transfer(
        self, provenance: Provenance, *, region: str, pdu: str, team: str | None = None
    ) -> Recorded:
        """Ask for the case to move to another probation area; pending until answered."""
        where = probation_unit(region, pdu, team)
        return self.record(ev.AreaTransferRequested, provenance, **where)

    def accept_area_transfer(self, provenance: Provenance) -> Recorded:
        return self.record(ev.AreaTransferAccepted, provenance)

    def reject_area_transfer(self, provenance: Provenance) -> Recorded:
        return self.record(ev.AreaTransferRejected, reason_given(provenance))

    def allocate_pom(self, provenance: Provenance, *, officer: str, prison: str) -> Recorded:
        """A prison offender manager takes the case."""
        check_text("officer", officer, required=True, limit=100)
        unit = reference.prison(code(prison, "prison"), "prison").code
        return self.record(
            ev.OffenderManagerAllocated, provenance, role="POM", officer=officer.strip(), unit=unit
        )

    def allocate_com(self, provenance: Provenance, *, officer: str, pdu: str) -> Recorded:
        """A community offender manager takes the case."""
        check_text("officer", officer, required=True, limit=100)
        unit = reference.pdu(code(pdu, "pdu"), "pdu").code
        return self.record(
            ev.OffenderManagerAllocated, provenance, role="COM", officer=officer.strip(), unit=unit
        )

    def request_handover(self, provenance: Provenance, *, to: str) -> Recorded:
        """Ask for responsibility to pass to custody or community."""
        target = to.strip().lower() if isinstance(to, str) else ""
        if target not in {r.value for r in Responsibility}:
            raise InvalidValue("to", "must be custody or community")
        return self.record(ev.HandoverRequested, provenance, to=target)

    def accept_handover(self, provenance: Provenance) -> Recorded:
        return self.record(ev.HandoverAccepted, provenance)

    def reject_handover(self, provenance: Provenance) -> Recorded:
        return self.record(ev.HandoverRejected, reason_given(provenance))

    def escalate_risk(self, provenance: Provenance, *, level: str) -> Recorded:
        """Urgent escalation of risk to the national probation service."""
        cleaned = code(level, "level")
        if cleaned not in RISK_LEVELS:
            raise InvalidValue("level", "must be HIGH or VERY_HIGH")
        return self.record(ev.RiskEscalated, reason_given(provenance), level=cleaned)

    def record_key_dates(
        self, provenance: Provenance, *, dates: dict[str, date | None]
    ) -> Recorded:
        """Set sentence key dates; a None value removes that date."""
        return self.record(ev.KeyDatesRecorded, provenance, dates=key_dates(dates))

    def add_identifier(self, provenance: Provenance, *, kind: str, value: str) -> Recorded:
        """Record an identifier already normalised and claimed by the service."""
        return self.record(ev.IdentifierAdded, provenance, kind=kind, value=value)


def probation_unit(region: str, pdu: str, team: str | None) -> dict[str, str | None]:
    """A region and a PDU inside it, and an optional team code."""
    area = reference.region(code(region, "region"), "region")
    unit = reference.pdu(code(pdu, "pdu"), "pdu")
    if unit.parent_code != area.code:
        raise InvalidValue("pdu", f"PDU {unit.code} is not in region {area.code}")
    team_code = None
    if team is not None and team.strip():
        team_code = code(team, "team")
        if not TEAM.match(team_code):
            raise InvalidValue("team", "must be up to 12 letters, digits or underscores")
    return {"region": area.code, "pdu": unit.code, "team": team_code}


def key_dates(dates: dict[str, date | None]) -> dict[str, date | None]:
    if not isinstance(dates, dict) or not dates:
        raise InvalidValue("dates", "name at least one key date")
    cleaned: dict[str, date | None] = {}
    for name, value in dates.items():
        key = code(name, "dates")
        if key not in KEY_DATES:
            raise InvalidValue(
                f"dates.{name}", f"unknown key date; expected one of {', '.join(KEY_DATES)}"
            )
        if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
            raise InvalidValue(f"dates.{name}", "must be a date or null")
        cleaned[key] = value
    return cleaned


def reason_given(provenance: Provenance) -> Provenance:
    if not provenance.reason or not provenance.reason.strip():
        raise InvalidValue("reason", "a reason is required")
    return provenance
