"""Erasing a person's record (DPA 2018 s.47), for administrators: a dry run, then the real run
confirmed by the dry run's token. Both are logged in the access log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Principal, Role
from api.deps import RequestId, Svc, require
from api.disclosure import roles_text
from api.erasure_cover import covers, log_erasure, log_plan
from replay.erasure import Erasure

router = APIRouter(tags=["data protection"])
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]


class ErasureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule: str = Field(min_length=1, max_length=50, examples=["NO-LONGER-NEEDED"])
    reason: str = Field(
        default="", max_length=2000, description="why; must not name the person (kept for good)"
    )
    confirm: str | None = Field(
        default=None,
        max_length=50,
        description="the dry run's token: given, the record is erased; absent, a dry run",
    )


class ErasureAnswer(BaseModel):
    """A dry run (what will go, and `token`) or, with `destruction_log_entry`, what went."""

    person_id: str | None = None
    rule: str
    dry_run: bool
    token: str | None = None
    keeps_base_record: bool
    merged: list[str] = []
    destroyed: dict[str, Any]
    destruction_log_entry: int | None = None
    erased_at: datetime | None = None


@router.post(
    "/people/{ref:path}/erasure",
    response_model=ErasureAnswer,
    summary="Erase a person's record (dry run without `confirm`)",
)
def erasure(ref: str, body: ErasureRequest, svc: Svc, who: Admin, rid: RequestId) -> ErasureAnswer:
    """Without `confirm`: what would go (events, read-model rows, access-log entries, kept
    responses, identifier claims, merged records) and the token confirming it. With the token:
    the person's data keys destroyed, their rows deleted, and a destruction-log entry."""
    eraser = Erasure(svc.journeys, svc.db, covers(svc.db))
    if body.confirm is None:
        plan = eraser.plan(ref, body.rule)
        log_plan(svc.db, who.user, roles_text(who), rid, plan)
        return ErasureAnswer(
            person_id=plan.person_id,
            rule=plan.rule.code,
            dry_run=True,
            token=plan.token,
            keeps_base_record=plan.rule.keeps_base_record,
            merged=list(plan.merged),
            destroyed=plan.counts(),
        )
    entry = eraser.erase(ref, body.rule, body.reason, who.user, body.confirm)
    log_erasure(svc.db, who.user, roles_text(who), rid, entry)
    return ErasureAnswer(
        rule=entry.rule,
        dry_run=False,
        keeps_base_record=entry.base_record,
        destroyed=entry.destroyed,
        destruction_log_entry=entry.id,
        erased_at=entry.at,
    )
