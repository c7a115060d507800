"""The start page, per role: what needs attention, counted, each count linking to its list;
the visitor's prison roll; and for recovery teams the latest data loads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from api.pages import queues, recovery, rolls, wording
from api.pages.render import render
from api.pages.session import Visitor, own_prison, services, visitor
from api.routes import imports as batches_api
from api.routes.queues import Queue
from domain import reference
from domain.errors import InvalidValue
from projections import queries

router = APIRouter(prefix="/ui", include_in_schema=False)
Signed = Annotated[Visitor, Depends(visitor)]
LATEST_LOADS = 5


@dataclass(frozen=True)
class Attention:
    """One thing to look at: how many, what, and the list that shows them."""

    count: int
    label: str
    href: str
    testid: str


@router.get("")
def home(request: Request, found: Signed) -> Response:
    svc = services(request)
    mine = own_prison(request)
    try:
        prison = reference.prison(mine, "prison") if mine else None
    except InvalidValue:
        prison = None
    context: dict[str, Any] = {"prison": prison, "attention": [], "loads": None}
    if found.may(queues.WORKERS):
        context["attention"] = attention(request, prison.code if prison else None)
    if prison and found.may(rolls.READERS):
        counts = queries.population(svc.db).get(prison.code, {})
        context["on_roll"] = sum(counts.values())
    if found.may(recovery.RECOVERERS):
        listed = batches_api.list_batches(svc, found.principal)
        context["loads"] = listed[::-1][:LATEST_LOADS]
        context["load_count"] = len(listed)
    return render(request, "home.html", found, title="Start", **context)


def attention(request: Request, prison: str | None) -> list[Attention]:
    """Each work queue's count (a number only: no one is disclosed on this page)."""
    wanted = queues.Asked(queues.RELEASE_DAYS, prison, queues.area_asked(request, {}, {}))
    counted = queues.counts(services(request), wanted)
    query = urlencode(
        {"prison": prison or "all", "area": wanted.area or "all", "days": wanted.days}
    )
    found = []
    for queue, count in counted.items():
        label = queues.TITLES[queue]
        if queue is Queue.UPCOMING_RELEASES:
            where = f"from {reference.prison(prison).name}" if prison else "from every prison"
            label = f"Releases due in the next {wanted.days} days {where}"
        elif queue in queues.BY_AREA and wanted.area:
            label += f" in {wording.unit(wanted.area)}"
        elif queue in queues.BY_PRISON and prison:
            label += f" from {reference.prison(prison).name}"
        href = f"/ui/queues/{queue.value}?{query}"
        found.append(Attention(count, label, href, f"attention-{queue.value}"))
    return found
