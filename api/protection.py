"""Restricting, lifting, holding and releasing a person's record, one act each: the event
recorded with its reason, then the act in the access log (DPA 2018 s.62 logs alteration as it
logs consultation). The API's routes and `journey people` both come through here."""

from __future__ import annotations

from datetime import UTC, datetime

from api.access_log import Access, AccessLog
from domain.provenance import Provenance
from domain.service.application import JourneyApp
from domain.service.protection_commands import (
    HoldRetention,
    LiftRestriction,
    Protective,
    ReleaseHolds,
    Restrict,
)
from domain.service.results import CommandResult

# The access log's action for each act.
ACTIONS: dict[type[Protective], str] = {
    Restrict: "person.restriction",
    LiftRestriction: "person.restriction-lifted",
    HoldRetention: "person.retention-hold",
    ReleaseHolds: "person.retention-hold-released",
}


def protect(
    app: JourneyApp,
    log: AccessLog,
    kind: type[Protective],
    ref: str,
    *,
    user: str,
    roles: str,
    rid: str,
    reason: str,
    source: str = "API",
) -> CommandResult:
    """Record the act on the person now, for `reason`, then log it."""
    provenance = Provenance(
        recorded_by=user,
        source=source,
        occurred_at=datetime.now(UTC),
        reason=reason,
        correlation_id=rid,
    )
    result = app.handle(ref, [kind()], provenance)
    log.record([Access(user, roles, ACTIONS[kind], rid, result.person_id, purpose=reason)])
    return result
