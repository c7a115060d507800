"""Search, the person page (where now, who holds the case, key dates, identifiers) and the
timeline: each calls the API's own read, so the access log gets the same entries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from api.disclosure import disclose, held_by_provider, scoped
from api.pages import journey
from api.pages.dates import UK, Read, read_date, read_moment
from api.pages.paging import Paging, page_number, paging
from api.pages.render import render
from api.pages.session import Visitor, page_for, purpose_of, roles_of, services, stated_purpose
from api.routes import commands
from api.routes import people as api
from api.schemas import NOW, Person, PersonLine, TimeAxes, line
from api.services import Services
from domain.errors import DomainError, InvalidValue
from domain.identifiers import detect
from domain.service.catalogue import AcceptHandover, Admit, AllocateCom, StartSupervision
from projections import queries

router = APIRouter(prefix="/ui", include_in_schema=False)
READERS = roles_of(api.router.routes, "/people/{ref:path}")
Reader = Annotated[Visitor, Depends(page_for(*READERS))]
SEARCHERS = roles_of(api.router.routes, "/search")
Searcher = Annotated[Visitor, Depends(page_for(*SEARCHERS))]
# Who is offered the forms on a person's page: those the commands' own routes admit.
MOVERS = commands.roles_of(Admit)
ANSWERERS = commands.roles_of(AcceptHandover)
# Who may allocate a COM from the pages: a case no unit holds starts supervision first.
ALLOCATORS = tuple(
    r for r in commands.roles_of(AllocateCom) if r in commands.roles_of(StartSupervision)
)
RECORDED = {
    "handover-accept": "Handover accepted",
    "com-allocations": "Community offender manager allocated",
    "handover-reject": "Handover rejected",
    **{path: "Movement recorded" for path in ("admissions", "transfers-out", "arrivals")},
    **{path: "Movement recorded" for path in ("court-departures", "court-returns")},
    **{path: "Movement recorded" for path in ("releases", "cell-moves")},
}


def end_of(day: date | None) -> datetime | None:
    """`As of` a date means at the end of that day in the UK."""
    return datetime.combine(day, time.max, tzinfo=UK).astimezone(UTC) if day else None


def known_at(values: Mapping[str, str], errors: dict[str, str], name: str = "as_known_at") -> Read:
    """An "as known at" moment: UK local time, not in the future."""
    read = read_moment(values, name, "As known at", errors)
    if read.moment is not None and read.moment > datetime.now(UTC):
        errors[name] = "As known at must be now or in the past"
        return Read(None, read.sent)
    return read


SEARCH_PAGE = 20


@router.get("/search")
async def search(request: Request, found: Searcher) -> Response:
    values = request.query_params
    errors: dict[str, str] = {}
    identifier = (values.get("identifier") or "").strip()
    name = (values.get("name") or "").strip()
    born = read_date(values, "date_of_birth", "Date of birth", errors)
    if born.day and born.day > datetime.now(UK).date():
        errors["date_of_birth"] = "Date of birth must be today or in the past"
    if name and not 2 <= len(name) <= 100:
        errors["name"] = "Enter a name of 2 to 100 letters"
    if identifier:
        try:
            detect(identifier)
        except DomainError:
            errors["identifier"] = IDENTIFIER_FORMS
    form = {"identifier": identifier, "name": name, "date_of_birth": born.sent}
    shown: Shown | None = None
    if not errors and identifier:
        if await run_in_threadpool(visible_holder, services(request), found, identifier):
            return RedirectResponse(f"/ui/people/{quote(identifier, safe='/')}", status_code=303)
        await run_in_threadpool(log_search, request, found, [])
        shown = Shown([], None, alike=False)
    elif not errors and (name or born.day):
        shown = await run_in_threadpool(find_page, request, found, name, born.day)
    return render(
        request, "search.html", found, title="Find a person", form=form, shown=shown, errors=errors
    )


IDENTIFIER_FORMS = (
    "Enter a NOMS number like A1234BC, a CRN like X123456, "
    "a PNC number like 2012/0394773H or a CRO number like 123456/12A"
)


@dataclass(frozen=True)
class Shown:
    """The people a search shows, which page of how many, and whether spelt alike."""

    people: list[PersonLine]
    paging: Paging | None
    alike: bool


def visible_holder(svc: Services, found: Visitor, identifier: str) -> str | None:
    """The person holding an identifier, if the visitor may see them; nothing is shown here,
    so nothing is logged: the person page that follows logs its read."""
    person = queries.find(svc.db, identifier)
    if person is None or person not in held_by_provider(svc, found.principal, [person]):
        return None
    # A restricted record is absent from search, for every reader.
    return None if queries.restricted(svc.db, person) else person


def find_page(request: Request, found: Visitor, name: str, born: date | None) -> Shown:
    """One page of the people a name and date of birth find, each logged as the API logs a
    search: one entry per person shown."""
    svc, values = services(request), request.query_params
    region = found.principal.provider if scoped(found.principal) else None
    asked = page_number(values)
    result = queries.find_people(
        svc.db,
        name=name or None,
        date_of_birth=born,
        region=region,
        offset=(asked - 1) * SEARCH_PAGE,
        limit=SEARCH_PAGE,
    )
    pages = paging("/ui/search", values, result.total, SEARCH_PAGE)
    if pages.page != asked:
        result = queries.find_people(
            svc.db,
            name=name or None,
            date_of_birth=born,
            region=region,
            offset=pages.offset,
            limit=SEARCH_PAGE,
        )
    allowed = held_by_provider(svc, found.principal, [r.person_id for r in result.people])
    people = [line(r) for r in result.people if r.person_id in allowed]
    log_search(request, found, [r.person_id for r in people])
    return Shown(people, pages, result.alike)


def log_search(request: Request, found: Visitor, person_ids: list[str]) -> None:
    why = purpose_of(request, found)
    svc = services(request)
    disclose(
        svc, found.principal, "person.search", request.state.request_id, person_ids, purpose=why
    )


@router.get("/people/{ref:path}")
async def person_page(
    request: Request,
    found: Reader,
    ref: str,
    recorded: str = "",
) -> Response:
    errors: dict[str, str] = {}
    as_of = read_date(request.query_params, "as_of", "As of", errors)
    known_read = known_at(request.query_params, errors)
    when, known = end_of(as_of.day), known_read.moment
    why = await stated_purpose(request, found)
    person = await read_person(request, found, why, ref, TimeAxes(when, known))
    # The same person, already read and logged: their history drawn, not disclosed again.
    aggregate = await run_in_threadpool(services(request).journeys.person, person.person_id)
    drawn = journey.picture(journey.spans(aggregate, when, known))
    return render(
        request,
        "person.html",
        found,
        title=f"{person.given_name} {person.family_name}",
        person=person,
        form={"as_of": as_of.sent, "as_known_at": known_read.sent},
        errors=errors,
        recorded=RECORDED.get(recorded),
        may_move=found.may(MOVERS),
        may_answer=found.may(ANSWERERS) and bool(person.ownership.handover_to),
        may_allocate=found.may(ALLOCATORS),
        journey=drawn,
    )


async def read_person(
    request: Request, found: Visitor, why: str, ref: str, times: TimeAxes = NOW
) -> Person:
    """The API's where-is, logged as it logs it."""
    if times.as_known_at is not None and times.as_known_at > datetime.now(UTC):
        raise InvalidValue("as_known_at", "must not be in the future")
    rid = request.state.request_id
    reason = request.query_params.get("reason")
    answer = await api.where_is(
        services(request), found.principal, why, rid, ref, times, reason=reason
    )
    return Person.model_validate_json(bytes(answer.body))
