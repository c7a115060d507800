"""Data protection as commands: restricting processing and lifting it, holding a record from
retention review and releasing it. Each needs a reason; only administrators record them."""

from __future__ import annotations

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


@dataclass(frozen=True)
class Restrict(
    Protective,
    route="restrictions",
    summary="Restrict processing of the record (accuracy contested)",
    calls=Person.restrict,
):
    pass


@dataclass(frozen=True)
class LiftRestriction(
    Protective,
    route="restriction-lifts",
    summary="Lift the restriction of processing",
    calls=Person.lift_restriction,
):
    pass


@dataclass(frozen=True)
class HoldRetention(
    Protective,
    route="retention-holds",
    summary="Hold the record from retention review",
    calls=Person.hold_retention,
):
    pass


@dataclass(frozen=True)
class ReleaseHolds(
    Protective,
    route="retention-hold-releases",
    summary="Release the record's retention holds",
    calls=Person.release_holds,
):
    pass
