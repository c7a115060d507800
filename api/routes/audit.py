"""The access log, for auditors: by person, by user and by time range. Read-only here."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from api.auth import Principal, Role
from api.deps import RequestId, Svc, require
from api.disclosure import disclose
from api.schemas import Moment

router = APIRouter(tags=["audit"])


class AccessEntry(BaseModel):
    id: int
    at: datetime
    user: str
    roles: str
    action: str
    person_id: str | None
    purpose: str | None
    recipient: str | None
    request_id: str
    detail: str | None


class AccessPage(BaseModel):
    entries: list[AccessEntry]
    next_after: int | None


@router.get("/audit/access", response_model=AccessPage, summary="Who consulted whom")
def access(
    svc: Svc,
    who: Annotated[Principal, Depends(require(Role.AUDITOR, Role.ADMIN))],
    rid: RequestId,
    person_id: Annotated[str | None, Query(max_length=64)] = None,
    user: Annotated[str | None, Query(max_length=200)] = None,
    since: Moment | None = None,
    until: Moment | None = None,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AccessPage:
    """Entries oldest first; page with `after` set to the last id seen. The query itself is
    logged, with its filters."""
    filters = f"person_id={person_id} user={user} since={since} until={until} after={after}"
    disclose(svc, who, "audit.access", rid, [], detail=filters)
    rows = svc.access.query(
        person_id=person_id, user=user, since=since, until=until, after_id=after, limit=limit
    )
    entries = [
        AccessEntry(
            id=r.id or 0,
            at=r.at or datetime.min,
            user=r.user,
            roles=r.roles,
            action=r.action,
            person_id=r.person_id,
            purpose=r.purpose,
            recipient=r.recipient,
            request_id=r.request_id,
            detail=r.detail,
        )
        for r in rows
    ]
    return AccessPage(entries=entries, next_after=entries[-1].id if len(entries) == limit else None)
