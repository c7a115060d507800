"""The establishment roll: who is in a prison, with counts, now or as of a date, filtered by
status and wing, sorted, a page at a time; CSV of everyone it lists, with names and codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from api.disclosure import disclose
from api.pages import wording
from api.pages.dates import read_date
from api.pages.lists import csv_download, sorting, wing
from api.pages.paging import paging
from api.pages.people import end_of
from api.pages.render import problem_page, render
from api.pages.session import (
    Visitor,
    own_prison,
    page_for,
    roles_of,
    services,
    set_own_prison,
)
from api.routes import establishments as api
from api.schemas import PersonLine, line
from domain import reference
from domain.errors import InvalidValue
from projections import queries

router = APIRouter(prefix="/ui", include_in_schema=False)
READERS = roles_of(api.router.routes, "/prisons/{code}/roll")
RollReader = Annotated[Visitor, Depends(page_for(*READERS))]
ROLL_PAGE = 50


def prisons() -> list[tuple[str, str]]:
    """The picker's options: each open prison by name with its code, after a blank choice."""
    named = sorted((p.name, p.code) for p in reference.prisons() if p.active)
    return [("", "Choose a prison"), *((code, f"{name} ({code})") for name, code in named)]


@router.get("/roll")
def choose(request: Request, found: RollReader, prison: str = "", change: str = "") -> Response:
    """The prison picker; the chosen prison is remembered as the visitor's own, and the next
    visit goes straight to its roll."""
    errors: dict[str, str] = {}
    as_of = read_date(request.query_params, "as_of", "As of", errors)
    mine = own_prison(request)
    if not prison and mine and not change and not errors:
        return RedirectResponse(f"/ui/prisons/{mine}/roll", status_code=303)
    if prison:
        try:
            code = reference.prison(prison, "prison").code
        except InvalidValue as exc:
            errors["prison"] = f"Enter a known prison code: {exc.reason}"
        else:
            if not errors:
                query = f"?as_of={as_of.day.isoformat()}" if as_of.day else ""
                answer = RedirectResponse(f"/ui/prisons/{code}/roll{query}", status_code=303)
                secure = not services(request).settings.store.development
                set_own_prison(answer, code, secure=secure)
                return answer
    elif request.query_params.get("chosen"):
        errors["prison"] = "Select a prison"
    return render(
        request,
        "roll_choose.html",
        found,
        title="Establishment roll",
        prisons=prisons(),
        form={"prison": prison or mine or "", "as_of": as_of.sent},
        errors=errors,
    )


@dataclass(frozen=True)
class Filters:
    """The roll's filters: a status and a wing, each blank for all."""

    status: str
    wing: str

    def keep(self, p: PersonLine) -> bool:
        return (not self.status or p.status == self.status) and (
            not self.wing or wing(p.cell) == self.wing
        )


def everyone(request: Request, code: str, as_of: date | None) -> list[PersonLine]:
    """Everyone on the roll now (the read model) or at the end of a day (the history)."""
    svc = services(request)
    if as_of is None:
        return [line(r) for r in queries.roll(svc.db, code)]
    return api.roll_from_history(svc, code, end_of(as_of) or datetime.now(UTC), None)


def log_shown(
    request: Request, found: Visitor, code: str, shown: list[PersonLine], how: str
) -> None:
    """One access-log entry per person the page or download shows, as the API's roll logs."""
    svc = services(request)
    ids = [p.person_id for p in shown]
    detail = f"{code} {how}"
    disclose(
        svc,
        found.principal,
        "roll.read",
        request.state.request_id,
        ids,
        purpose=found.purpose,
        detail=detail,
    )


@router.get("/prisons/{code}/roll.csv")
def roll_csv(request: Request, found: RollReader, code: str) -> Response:
    values = request.query_params
    errors: dict[str, str] = {}
    as_of = read_date(values, "as_of", "As of", errors)
    if errors:
        return problem_page(request, 400, "Sorry, there is a problem", errors["as_of"], found)
    prison = reference.prison(code, "code")
    filters = Filters(values.get("status") or "", values.get("wing") or "")
    listed = sorting(values).apply(
        [p for p in everyone(request, prison.code, as_of.day) if filters.keep(p)]
    )
    log_shown(request, found, prison.code, listed, f"as_of={as_of.day} format=csv")
    return csv_download(listed, f"roll-{prison.code}.csv")


@router.get("/prisons/{code}/roll")
def roll(request: Request, found: RollReader, code: str) -> Response:
    values = request.query_params
    errors: dict[str, str] = {}
    as_of = read_date(values, "as_of", "As of", errors)
    prison = reference.prison(code, "code")
    people = everyone(request, prison.code, as_of.day)
    counts: dict[str, int] = {}
    for p in people:
        counts[p.status] = counts.get(p.status, 0) + 1
    filters = Filters(values.get("status") or "", values.get("wing") or "")
    order = sorting(values)
    listed = order.apply([p for p in people if filters.keep(p)])
    path = f"/ui/prisons/{prison.code}/roll"
    pages = paging(path, values, len(listed), ROLL_PAGE)
    shown = listed[pages.offset : pages.offset + pages.size]
    log_shown(request, found, prison.code, shown, f"as_of={as_of.day} page={pages.page}")
    kept = {k: v for k, v in values.items() if k != "page" and v}
    answer = render(
        request,
        "roll.html",
        found,
        title=f"Roll: {prison.name}",
        prison=prison,
        as_of=as_of.day,
        total=len(people),
        withheld=api.withheld(services(request), prison.code, end_of(as_of.day)),
        counts=sorted(counts.items(), key=lambda sc: wording.status(sc[0])),
        statuses=[("", "All"), *((s, wording.status(s)) for s in sorted(counts))],
        wings=[("", "All"), *((w, w) for w in sorted({wing(p.cell) for p in people if p.cell}))],
        filters=filters,
        listed=len(listed),
        people=shown,
        pages=pages,
        headers=order.headers(path, values),
        csv_query=urlencode(kept),
        form={"as_of": as_of.sent},
        errors=errors,
    )
    secure = not services(request).settings.store.development
    set_own_prison(answer, prison.code, secure=secure)
    return answer
