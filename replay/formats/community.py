"""Offender managers as community-api's `GET /secure/offenders/crn/{crn}/allOffenderManagers`
answers them (`CommunityOrPrisonOffenderManager`), kept as one JSON object keyed by CRN
(`keyed.py`): the staff code, the team with its district (`localDeliveryUnit`) and borough, the
probation area, and `fromDate`, the day of the allocation.

A community offender manager is an allocation like Delius's workforce ones: the team's borough
is its PDU; a borough the probation register does not list as a PDU (Delius's unallocated
boroughs, `<provider>UAT`) leaves the PDU to the team register, then the case's own. A prison
offender manager is allocated in the prison the area's institution names in NOMIS. `fromDate`
has no time: the allocation takes effect at the start of that day, UK time, as said with it.
"""

from __future__ import annotations

from typing import Any

from domain import reference
from domain.identifiers import normalise
from domain.service.catalogue import AllocatePom
from replay.formats.placing import team_pdu
from replay.formats.records import Bad, CommunityAllocation, Record, Step
from replay.formats.streams import local_moment

# The fields that tell the shape, the defining one first.
COMMUNITY_FIELDS = (
    "isPrisonOffenderManager",
    "staffCode",
    "team",
    "probationArea",
    "fromDate",
    "isResponsibleOfficer",
    "isUnallocated",
)
DAY_ONLY = "fromDate gives no time; taken as the start of the day, UK time"


def offender_manager(number: int, item: dict[str, Any]) -> Record:
    """One offender manager of the case the CRN names."""
    crn = normalise("CRN", _text(item, "crn"), "crn")
    officer = _text(item, "staffCode")
    effective = local_moment(_text(item, "fromDate"), None, "fromDate")
    area = _object(item, "probationArea")
    said = [DAY_ONLY]
    if item.get("isUnallocated") is True:
        said.append(f"staff {officer} is Delius's placeholder: no officer is allocated yet")
    if item.get("isPrisonOffenderManager") is True:
        command: AllocatePom | CommunityAllocation = _prison_manager(area, officer)
    else:
        command = _community_manager(item, area, officer, said)
    key = "|".join([crn, effective.date().isoformat(), _key_of(command), officer])
    step = Step(command, effective, key, "; ".join(said))
    return Record(number, f"CRN:{crn}", (step,), {"occurred_at": effective})


def _community_manager(
    item: dict[str, Any], area: dict[str, Any], officer: str, said: list[str]
) -> CommunityAllocation:
    region = _text(area, "code", "probationArea.code").upper()
    team = _object(item, "team")
    code = _text(team, "code", "team.code").upper()
    borough = team.get("borough")
    pdu = str(borough.get("code") or "").strip().upper() if isinstance(borough, dict) else ""
    if reference.is_pdu(pdu):
        if reference.pdu(pdu).parent_code != region:
            raise Bad("team.borough.code", f"PDU {pdu} is not in probation area {region}")
        return CommunityAllocation(region, pdu, code, officer)
    found, how = team_pdu(region, code)
    given = f"team.borough {pdu} is no PDU the probation register lists" if pdu else ""
    said.append(how.replace("PDU not given", given or "PDU not given"))
    return CommunityAllocation(region, found, code, officer)


def _prison_manager(area: dict[str, Any], officer: str) -> AllocatePom:
    institution = _object(area, "institution", "probationArea.institution")
    field = "probationArea.institution.nomsPrisonInstitutionCode"
    prison = _text(institution, "nomsPrisonInstitutionCode", field)
    return AllocatePom(officer=officer, prison=reference.prison(prison, field).code)


def _key_of(command: AllocatePom | CommunityAllocation) -> str:
    if isinstance(command, AllocatePom):
        return f"POM|{command.prison}"
    return "|".join([command.region, command.pdu or "", command.team or ""])


def _object(item: dict[str, Any], name: str, field: str | None = None) -> dict[str, Any]:
    value = item.get(name)
    if not isinstance(value, dict):
        raise Bad(field or name, "is required")
    return value


def _text(item: dict[str, Any], name: str, field: str | None = None) -> str:
    value = item.get(name)
    if not isinstance(value, str) or not value.strip():
        raise Bad(field or name, "is required")
    return value.strip()
