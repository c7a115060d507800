"""Work queues: cases that need someone to act."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from api.auth import Principal, Role
from api.deps import RequestId, Svc, require
from api.disclosure import disclose
from api.reads import SOURCE, MinPosition, read_on
from api.schemas import PersonLine, line
from domain import reference
from projections import queries
from projections.db import ReadDb
from projections.queries import PersonRow

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
    min_position: MinPosition = None,
    *,
    response: Response,
) -> list[PersonLine]:
    """Pending handovers and area transfers older than `older_than_days` (default from
    settings), released with no community owner, transits longer than `longer_than_hours`,
    and releases due in the next `days` (optionally for one `prison`), each with its owner."""
    older = timedelta(
        days=svc.settings.overdue_days if older_than_days is None else older_than_days
    )
    transit = timedelta(hours=longer_than_hours)

    def read(db: ReadDb) -> list[PersonRow]:
        if name is Queue.PENDING_HANDOVERS:
            return queries.pending_handovers(db, older)
        if name is Queue.PENDING_AREA_TRANSFERS:
            return queries.pending_area_transfers(db, older)
        if name is Queue.RELEASED_WITHOUT_OWNER:
            return queries.released_without_owner(db)
        if name is Queue.LONG_TRANSITS:
            return queries.long_transits(db, transit)
        code = reference.prison(prison, "prison").code if prison else None
        return queries.upcoming_releases(db, days, prison=code)

    rows, response.headers[SOURCE] = read_on(svc, min_position, read)
    disclose(svc, who, f"queue.{name.value}", rid, [r.person_id for r in rows])
    return [line(r) for r in rows]
