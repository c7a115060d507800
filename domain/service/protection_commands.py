"""Data protection as commands: restricting processing and lifting it, holding a record from
retention review and releasing it. Each needs a reason; only administrators record them."""

from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import dataclass

from domain.person.aggregate import Person
from domain.service.command import Command

# Who may restrict, lift, hold and release (auditors read restricted records but change none).
PROTECTION = ("admin",)


@dataclass(frozen=True)
class Protective(
    Command,
    roles=PROTECTION,
    schema="Protective",
    schema_doc="A change to how the record may be processed: the reason is required.",
    importable=False,
):
    """No body beyond the provenance, whose reason is required."""


def protective(calls: Callable[..., object], route: str, summary: str) -> type[Protective]:
    """A protective act calling one method of the person, named after it (`Person.restrict`
    is `Restrict`), with its own route and summary."""
    name = "".join(word.capitalize() for word in calls.__name__.split("_"))

    def body(namespace: dict[str, object]) -> None:
        namespace.update(__module__=__name__, __qualname__=name)

    kwds = {"route": route, "summary": summary, "calls": calls}
    made: type[Protective] = types.new_class(name, (Protective,), kwds, body)
    return dataclass(frozen=True)(made)


Restrict = protective(
    Person.restrict, "restrictions", "Restrict processing of the record (accuracy contested)"
)
LiftRestriction = protective(
    Person.lift_restriction, "restriction-lifts", "Lift the restriction of processing"
)
HoldRetention = protective(
    Person.hold_retention, "retention-holds", "Hold the record from retention review"
)
ReleaseHolds = protective(
    Person.release_holds, "retention-hold-releases", "Release the record's retention holds"
)
