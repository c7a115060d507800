"""The PDU a Delius team's allocation is placed in, when the record names no PDU: the team
register's, or none (the case's own PDU in the provider is then taken, `replay.allocation`)."""

from __future__ import annotations

from domain import reference
from domain.reference.teams import known_team
from replay.formats.records import Bad


def team_pdu(region: str, code: str) -> tuple[str | None, str]:
    """The PDU a team is in, from the team register, and how it was found; None when the
    register cannot say (the case's own PDU in the provider is taken then). A team the
    register puts in another provider is refused, naming it."""
    team = known_team(code)
    if team is None:
        return None, f"PDU not given (team {code} is not in the team register); taken as the case's"
    if team.region_code != region:
        raise Bad(
            "teamCode",
            f"team {code} is in provider {team.region_code} in the team register, not {region}",
        )
    if not reference.is_pdu(team.pdu_code):
        return None, (
            f"PDU not given (team {code} is in {team.pdu_code}, a unit the probation register "
            "does not list as a PDU); taken as the case's"
        )
    return team.pdu_code, (
        f"PDU not given; taken as {team.pdu_code}, team {code} ({team.name}) being in it in the "
        "team register"
    )
