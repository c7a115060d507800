"""Work queues: pending handovers and area transfers, released with no community owner, long
transits, upcoming releases; each counted on its tab, sorted, a page at a time, as CSV."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import QueryParams
from starlette.responses import RedirectResponse, Response

from api.disclosure import disclose
from api.pages.lists import csv_download, sorting
from api.pages.paging import paging
from api.pages.render import render
from api.pages.session import Visitor, own_prison, page_for, roles_of, services
from api.routes import commands
from api.routes import queues as api
from api.schemas import PersonLine, line
from api.services import Services
from domain import reference
from domain.errors import InvalidValue
from domain.service.catalogue import AllocateCom
from projections import queries

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
QUEUE_PAGE = 50
RELEASE_DAYS = 14


@dataclass(frozen=True)
class Asked:
    """A queue's settings: upcoming releases for how many days, and in which prison."""

    days: int
    prison: str | None


def asked(request: Request, values: QueryParams, errors: dict[str, str]) -> Asked:
    """The days and prison asked for; the prison defaults to the visitor's own, "all" is all."""
    text = (values.get("days") or str(RELEASE_DAYS)).strip()
    days = int(text) if text.isdigit() else 0
    if not 1 <= days <= 366:
        errors["days"] = "Enter the number of days as a whole number from 1 to 366"
        days = RELEASE_DAYS
    chosen = values.get("prison")
    if chosen is None:
        chosen = own_prison(request) or ""
    prison = None
    if chosen.strip() and chosen.strip().lower() != "all":
        try:
            prison = reference.prison(chosen, "prison").code
        except InvalidValue:
            errors["prison"] = "Enter a known prison code, for example LEI, or leave it empty"
    return Asked(days, prison)


def rows_of(svc: Services, name: api.Queue, wanted: Asked) -> list[queries.PersonRow]:
    """The queue's people, by the API's own queries and defaults."""
    older = timedelta(days=svc.settings.overdue_days)
    if name is api.Queue.PENDING_HANDOVERS:
        return queries.pending_handovers(svc.db, older)
    if name is api.Queue.PENDING_AREA_TRANSFERS:
        return queries.pending_area_transfers(svc.db, older)
    if name is api.Queue.RELEASED_WITHOUT_OWNER:
        return queries.released_without_owner(svc.db)
    if name is api.Queue.LONG_TRANSITS:
        return queries.long_transits(svc.db, timedelta(hours=24))
    return queries.upcoming_releases(svc.db, wanted.days, prison=wanted.prison)


def counts(svc: Services, wanted: Asked) -> dict[api.Queue, int]:
    """How many wait in each queue: numbers only, no one disclosed."""
    return {q: len(rows_of(svc, q, wanted)) for q in TITLES}


def log_shown(request: Request, found: Visitor, name: api.Queue, shown: list[PersonLine]) -> None:
    svc = services(request)
    ids = [p.person_id for p in shown]
    disclose(svc, found.principal, f"queue.{name.value}", request.state.request_id, ids)


@router.get("/queues")
def first_queue(found: Worker) -> Response:
    return RedirectResponse(f"/ui/queues/{api.Queue.PENDING_HANDOVERS.value}", status_code=303)


@router.get("/queues/{name}.csv")
def queue_csv(request: Request, found: Worker, name: api.Queue) -> Response:
    errors: dict[str, str] = {}
    wanted = asked(request, request.query_params, errors)
    listed = sorting(request.query_params, "").apply(
        [line(r) for r in rows_of(services(request), name, wanted)]
    )
    log_shown(request, found, name, listed)
    return csv_download(listed, f"{name.value}.csv")


@router.get("/queues/{name}")
def queue(request: Request, found: Worker, name: api.Queue) -> Response:
    values = request.query_params
    errors: dict[str, str] = {}
    wanted = asked(request, values, errors)
    svc = services(request)
    listed = [line(r) for r in rows_of(svc, name, wanted)]
    order = sorting(values, "")
    listed = order.apply(listed)
    path = f"/ui/queues/{name.value}"
    pages = paging(path, values, len(listed), QUEUE_PAGE)
    shown = listed[pages.offset : pages.offset + pages.size]
    log_shown(request, found, name, shown)
    kept = {k: v for k, v in values.items() if k != "page" and v}
    kept.setdefault("prison", wanted.prison or "all")
    return render(
        request,
        "queue.html",
        found,
        title=TITLES[name],
        queues=[(q.value, TITLES[q], n) for q, n in counts(svc, wanted).items()],
        current=name.value,
        people=shown,
        pages=pages,
        headers=order.headers(path, values),
        listed=len(listed),
        wanted=wanted,
        form={"days": values.get("days") or str(wanted.days), "prison": wanted.prison or ""},
        tab_query=urlencode({"prison": wanted.prison or "all", "days": wanted.days}),
        csv_query=urlencode(kept),
        overdue_days=svc.settings.overdue_days,
        may_allocate=found.may(commands.roles_of(AllocateCom)),
        errors=errors,
    )
