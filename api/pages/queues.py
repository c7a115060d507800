"""Work queues: pending handovers and area transfers, released with no community owner, long
transits, upcoming releases."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from api.pages.render import render
from api.pages.session import Visitor, page_for, roles_of, services
from api.routes import queues as api

router = APIRouter(prefix="/ui", include_in_schema=False)
WORKERS = roles_of(api.router.routes, "/queues/{name}")
Worker = Annotated[Visitor, Depends(page_for(*WORKERS))]
TITLES = {
    api.Queue.PENDING_HANDOVERS: "Pending handovers",
    api.Queue.PENDING_AREA_TRANSFERS: "Pending area transfers",
    api.Queue.RELEASED_WITHOUT_OWNER: "Released with no community owner",
    api.Queue.LONG_TRANSITS: "Long transits",
    api.Queue.UPCOMING_RELEASES: "Upcoming releases",
}


@router.get("/queues")
def first_queue(found: Worker) -> Response:
    return RedirectResponse(f"/ui/queues/{api.Queue.PENDING_HANDOVERS.value}", status_code=303)


@router.get("/queues/{name}")
def queue(request: Request, found: Worker, name: api.Queue) -> Response:
    # The API's own defaults: pending cases once overdue (the configured days), transits over
    # a day, releases in the next four weeks.
    svc = services(request)
    people = api.queue(
        name,
        svc,
        request.state.request_id,
        found.principal,
        older_than_days=None,
        longer_than_hours=24,
        days=28,
        prison=None,
    )
    return render(
        request,
        "queue.html",
        found,
        title=TITLES[name],
        queues=[(q.value, t) for q, t in TITLES.items()],
        current=name.value,
        people=people,
        overdue_days=svc.settings.overdue_days,
    )
