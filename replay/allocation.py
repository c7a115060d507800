"""The allocation rule: a probation allocation line stands for different commands depending on
the person's history."""

from __future__ import annotations

from collections.abc import Iterable

from domain import reference
from domain.errors import InvalidValue
from domain.person.aggregate import Person
from domain.service.catalogue import (
    AcceptAreaTransfer,
    AllocateCom,
    RequestAreaTransfer,
    StartSupervision,
)
from domain.service.command import Command
from replay import formats


class Allocation:
    """A probation allocation line as the entries it implies for this person: supervision
    starts, or the case moves area, and the named officer takes it."""

    def __init__(self, person: Person) -> None:
        self.person = person
        self.pdu: dict[str, str | None] = {}

    def expand(self, step: formats.Step) -> Iterable[tuple[Command, str]]:
        allocation = step.command
        if isinstance(allocation, Command):
            return [(allocation, "")]
        assert isinstance(allocation, formats.CommunityAllocation)
        if "pdu" not in self.pdu:
            state = self.person.state(as_of=step.occurred_at, checked=False)
            self.pdu["pdu"] = state.ownership.pdu if state else None
        region, team = allocation.region, allocation.team
        pdu = allocation.pdu or own_pdu(self.pdu["pdu"], region, team)
        com = (AllocateCom(officer=allocation.officer, pdu=pdu), "#com")
        current, self.pdu["pdu"] = self.pdu["pdu"], pdu
        if current is None:
            return [(StartSupervision(region=region, pdu=pdu, team=team), "#supervision"), com]
        if current != pdu:
            return [
                (RequestAreaTransfer(region=region, pdu=pdu, team=team), "#transfer"),
                (AcceptAreaTransfer(), "#accepted"),
                com,
            ]
        return [com]


def own_pdu(current: str | None, region: str, team: str | None) -> str:
    """The case's own PDU, for an allocation to a team whose PDU the team register cannot
    give: the case's if it is in that provider. Otherwise the allocation is refused, saying
    why: a PDU guessed would put the case in another unit's queues and counts."""
    if current is not None and reference.pdu(current).parent_code == region:
        return current
    held = f"the case's PDU is {current}" if current else "the case has no PDU"
    raise InvalidValue(
        "teamCode",
        f"the team register gives no PDU for team {team}, and {held} in provider {region}: "
        "load the allocation with its PDU (the allocations CSV has a PDU column)",
    )
