"""Restriction, retention holds, subject access and the retention review (DPA 2018 Part 3):
administrators restrict and hold, auditors and administrators read a restricted record's
subject access report, administrators review who is due for erasure. Each act is logged."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Principal, Role
from api.deps import Purpose, RequestId, Svc, require
from api.disclosure import disclose, roles_text
from api.protection import protect
from api.routes.commands import post_command
from api.schemas import CommandOutcome, Day, outcome
from api.subject_access import Report, report
from domain.service.protection_commands import (
    HoldRetention,
    LiftRestriction,
    Protective,
    ReleaseHolds,
    Restrict,
)
from projections.retention import Due, review

router = APIRouter(tags=["data protection"])
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
Auditor = Annotated[Principal, Depends(require(Role.AUDITOR, Role.ADMIN))]


class Why(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000, examples=["accuracy contested by letter"])


def add_route(kind: type[Protective]) -> None:
    def endpoint(ref: str, body: Why, svc: Svc, who: Admin, rid: RequestId) -> CommandOutcome:
        done = protect(
            svc.journeys,
            svc.access,
            kind,
            ref,
            user=who.user,
            roles=roles_text(who),
            rid=rid,
            reason=body.reason,
        )
        return outcome(done)

    endpoint.__doc__ = f"{kind.summary}. The reason is required; the act is logged."
    post_command(router, kind, endpoint)


for _kind in (Restrict, LiftRestriction, HoldRetention, ReleaseHolds):
    add_route(_kind)


@router.get(
    "/people/{ref:path}/subject-access",
    response_model=Report,
    summary="A person's full record, for a subject access request",
)
def subject_access(ref: str, svc: Svc, who: Auditor, purpose: Purpose, rid: RequestId) -> Report:
    """Identity, current state, every entry with provenance and corrections, merges,
    restriction and holds, and the access log of who consulted the person (this report
    included). Restricted records too: the stated purpose is logged."""
    return report(
        svc.journeys,
        svc.access,
        ref,
        user=who.user,
        roles=roles_text(who),
        rid=rid,
        purpose=purpose,
    )


class ReviewAnswer(BaseModel):
    as_of: date
    people: int
    candidates: int
    outcomes: dict[str, int]
    due: list[Due]


@router.get("/retention/review", response_model=ReviewAnswer, summary="Who is due for erasure")
def retention_review(
    svc: Svc,
    who: Admin,
    rid: RequestId,
    as_of: Annotated[Day | None, Query(description="review date (default: today, UTC)")] = None,
) -> ReviewAnswer:
    """Everyone due for review for erasure under the retention rules on a date, with the rule,
    and how many past their sentence end are kept, by the check or condition that keeps them.
    Nothing is erased here."""
    on = as_of or datetime.now(UTC).date()
    found = review(svc.db, on)
    disclose(
        svc, who, "retention.review", rid, [d.person_id for d in found.due], detail=f"as_of={on}"
    )
    return ReviewAnswer(
        as_of=found.as_of,
        people=found.people,
        candidates=found.candidates,
        outcomes=found.outcomes,
        due=found.due,
    )
