"""The partner gateway's change feed: the ordered events a caller may see, with a cursor."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from api.auth import Principal, Role
from api.deps import RequestId, Svc, require
from api.disclosure import disclose, held_by_provider
from domain.person import events as ev
from domain.person.events import PersonEvent
from domain.person.timeline import PROVENANCE_FIELDS
from projections import queries
from projections.source import EventSource

router = APIRouter(tags=["partners"])
# How a record may be processed is no partner's business (a restriction's reason least of all).
PROTECTIVE = (ev.Restricted, ev.RestrictionLifted, ev.RetentionHeld, ev.HoldReleased)


class Change(BaseModel):
    position: int
    person_id: str
    entry: int
    kind: str
    occurred_at: datetime
    recorded_at: datetime
    source: str
    batch_id: str | None
    source_ref: str | None
    details: dict[str, Any]


class FeedPage(BaseModel):
    changes: list[Change]
    next_after: int = 0
    """Pass as `after` for the next page; it moves past events you may not see too."""


@router.get("/feed", response_model=FeedPage, summary="Changes after a position")
def feed(
    svc: Svc,
    rid: RequestId,
    who: Annotated[Principal, Depends(require(Role.PARTNER, Role.ADMIN))],
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> FeedPage:
    """A partner sees only events of people its own provider currently holds. Restricted
    records are left out while restricted, and restrictions and retention holds never go out."""
    events = EventSource(svc.journeys).events_after(after, limit)
    ids = sorted({str(e.originator_id) for _, e in events})
    allowed = held_by_provider(svc, who, ids) - queries.restricted_among(svc.db, ids)
    visible = [
        (p, e)
        for p, e in events
        if str(e.originator_id) in allowed and not isinstance(e, PROTECTIVE)
    ]
    changes = [change(p, e) for p, e in visible]
    disclose(
        svc,
        who,
        "feed.page",
        rid,
        sorted({c.person_id for c in changes}),
        recipient=who.provider or who.user,
        detail=f"after={after} limit={limit}",
    )
    return FeedPage(changes=changes, next_after=events[-1][0] if events else after)


def change(position: int, event: PersonEvent) -> Change:
    """An event as the feed gives it: the provenance `Change` names, and every field of the
    event's own in `details` (an identifier's `kind` among them: `Change.kind` is the type)."""
    return Change.model_validate(
        {
            **vars(event),
            "position": position,
            "person_id": str(event.originator_id),
            "entry": event.originator_version,
            "kind": type(event).__name__,
            "recorded_at": event.timestamp,
            "details": {k: v for k, v in vars(event).items() if k not in PROVENANCE_FIELDS},
        }
    )
