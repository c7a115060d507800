"""Work queues: cases that need someone to act."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.auth import Principal, Role
from api.deps import RequestId, Svc, require
from api.disclosure import disclose
from api.schemas import PersonLine, line
from domain import reference
from projections import queries

router = APIRouter(tags=["queues"])


class Queue(StrEnum):
    PENDING_HANDOVERS = "pending-handovers"
    PENDING_AREA_TRANSFERS = "pending-area-transfers"
    RELEASED_WITHOUT_OWNER = "released-without-owner"
    LONG_TRANSITS = "long-transits"
    UPCOMING_RELEASES = "upcoming-releases"


@router.get("/queues/{name}", response_model=list[PersonLine], summary="A work queue")
def queue(
    name: Queue,
    svc: Svc,
    rid: RequestId,
    who: Annotated[Principal, Depends(require(Role.PRISON, Role.PROBATION, Role.ADMIN))],
    older_than_days: Annotated[int | None, Query(ge=0, le=3650)] = None,
    longer_than_hours: Annotated[int, Query(ge=1, le=24 * 365)] = 24,
    days: Annotated[int, Query(ge=1, le=366)] = 28,
    prison: Annotated[str | None, Query(max_length=10)] = None,
) -> list[PersonLine]:
    """Pending handovers and area transfers older than `older_than_days` (default from
    settings), released with no community owner, transits longer than `longer_than_hours`,
    and releases due in the next `days` (optionally for one `prison`), each with its owner."""
    older = timedelta(
        days=svc.settings.overdue_days if older_than_days is None else older_than_days
    )
    if name is Queue.PENDING_HANDOVERS:
        rows = queries.pending_handovers(svc.db, older)
    elif name is Queue.PENDING_AREA_TRANSFERS:
        rows = queries.pending_area_transfers(svc.db, older)
    elif name is Queue.RELEASED_WITHOUT_OWNER:
        rows = queries.released_without_owner(svc.db)
    elif name is Queue.LONG_TRANSITS:
        rows = queries.long_transits(svc.db, timedelta(hours=longer_than_hours))
    else:
        code = reference.prison(prison, "prison").code if prison else None
        rows = queries.upcoming_releases(svc.db, days, prison=code)
    disclose(svc, who, f"queue.{name.value}", rid, [r.person_id for r in rows])
    return [line(r) for r in rows]
