"""Work queues: pending handovers and area transfers, released with no community owner, long
transits, upcoming releases; each counted on its tab, sorted, a page at a time, as CSV."""

from __future__ import annotations

from collections.abc import Mapping
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
from api.pages.session import (
    Visitor,
    own_area,
    own_prison,
    page_for,
    roles_of,
    services,
    set_own_area,
)
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


# Which queues each filter narrows: a prison where people are held, an area whose cases wait.
BY_PRISON = {api.Queue.UPCOMING_RELEASES, api.Queue.LONG_TRANSITS}
BY_AREA = {api.Queue.PENDING_HANDOVERS, api.Queue.PENDING_AREA_TRANSFERS}


@dataclass(frozen=True)
class Asked:
    """A queue's settings: upcoming releases for how many days, in which prison, and the
    probation area (a region or PDU code) whose pending cases are shown."""

    days: int
    prison: str | None
    area: str | None = None

    def keeps(self, name: api.Queue, row: queries.PersonRow) -> bool:
        if name in BY_PRISON and self.prison and name is not api.Queue.UPCOMING_RELEASES:
            return row.prison == self.prison
        if name in BY_AREA and self.area:
            units = {row.pdu, region_of(row.pdu)}
            if name is api.Queue.PENDING_AREA_TRANSFERS:
                units |= {row.detail, region_of(row.detail)}
            return self.area in units
        return True


def region_of(pdu: str | None) -> str | None:
    try:
        return reference.pdu(pdu, "pdu").parent_code if pdu else None
    except InvalidValue:
        return None


def area_asked(request: Request, values: Mapping[str, str], errors: dict[str, str]) -> str | None:
    """The area asked for; the visitor's own by default (a partner's is its region)."""
    chosen = values.get("area")
    if chosen is None:
        found = getattr(request.state, "visitor", None)
        provider = found.principal.provider if found is not None else None
        chosen = own_area(request) or provider or ""
    text = chosen.strip().upper()
    if not text or text == "ALL":
        return None
    for find in (reference.pdu, reference.region):
        try:
            return find(text, "area").code
        except InvalidValue:
            continue
    errors["area"] = "Enter a known probation region or PDU code, for example N55 or N55LEE"
    return None


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
    return Asked(days, prison, area_asked(request, values, errors))


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
    return {q: len(kept(svc, q, wanted)) for q in TITLES}


def kept(svc: Services, name: api.Queue, wanted: Asked) -> list[queries.PersonRow]:
    """The queue's people that the prison and area filters keep."""
    return [r for r in rows_of(svc, name, wanted) if wanted.keeps(name, r)]


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
        [line(r) for r in kept(services(request), name, wanted)]
    )
    log_shown(request, found, name, listed)
    return csv_download(listed, f"{name.value}.csv")


@router.get("/queues/{name}")
def queue(request: Request, found: Worker, name: api.Queue) -> Response:
    values = request.query_params
    errors: dict[str, str] = {}
    wanted = asked(request, values, errors)
    svc = services(request)
    listed = [line(r) for r in kept(svc, name, wanted)]
    order = sorting(values, "")
    listed = order.apply(listed)
    path = f"/ui/queues/{name.value}"
    pages = paging(path, values, len(listed), QUEUE_PAGE)
    shown = listed[pages.offset : pages.offset + pages.size]
    log_shown(request, found, name, shown)
    query = {k: v for k, v in values.items() if k != "page" and v}
    query.setdefault("prison", wanted.prison or "all")
    query.setdefault("area", wanted.area or "all")
    answer = render(
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
        form={
            "days": values.get("days") or str(wanted.days),
            "prison": wanted.prison or "",
            "area": wanted.area or "",
        },
        by_prison=name in BY_PRISON,
        by_area=name in BY_AREA,
        tab_query=urlencode(
            {"prison": wanted.prison or "all", "area": wanted.area or "all", "days": wanted.days}
        ),
        csv_query=urlencode(query),
        overdue_days=svc.settings.overdue_days,
        may_allocate=found.may(commands.roles_of(AllocateCom)),
        errors=errors,
    )
    if "area" in values and "area" not in errors:
        secure = not svc.settings.store.development
        set_own_area(answer, wanted.area or "ALL", secure=secure)
    return answer
