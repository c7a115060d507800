"""Search, the person page (where now, who holds the case, key dates, identifiers) and the
timeline: each calls the API's own read, so the access log gets the same entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api.pages.render import render
from api.pages.session import Visitor, page_for, roles_of, services, stated_purpose
from api.routes import commands
from api.routes import people as api
from api.schemas import NOW, Person, TimeAxes, Timeline
from domain.errors import InvalidValue
from domain.service.catalogue import AcceptHandover, Admit

router = APIRouter(prefix="/ui", include_in_schema=False)
READERS = roles_of(api.router.routes, "/people/{ref:path}")
Reader = Annotated[Visitor, Depends(page_for(*READERS))]
SEARCHERS = roles_of(api.router.routes, "/search")
Searcher = Annotated[Visitor, Depends(page_for(*SEARCHERS))]
# Who is offered the forms on a person's page: those the commands' own routes admit.
MOVERS = commands.roles_of(Admit)
ANSWERERS = commands.roles_of(AcceptHandover)
RECORDED = {
    "handover-accept": "Handover accepted",
    "handover-reject": "Handover rejected",
    **{path: "Movement recorded" for path in ("admissions", "transfers-out", "arrivals")},
    **{path: "Movement recorded" for path in ("court-departures", "court-returns")},
    **{path: "Movement recorded" for path in ("releases", "cell-moves")},
}


def parse_day(value: str | None, field: str, errors: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[field] = "Enter a real date, for example 2025-03-17"
        return None


def parse_moment(value: str | None, field: str, errors: dict[str, str]) -> datetime | None:
    """A `datetime-local` value (or a date), read as UTC."""
    if not value:
        return None
    try:
        found = datetime.fromisoformat(value)
    except ValueError:
        errors[field] = "Enter a real date and time, for example 2025-03-17T09:30"
        return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def end_of(day: date | None) -> datetime | None:
    """`As of` a date means at the end of that day."""
    return datetime.combine(day, time.max, tzinfo=UTC) if day else None


class SearchForm(BaseModel):
    """The search page's query string, shown again in its form."""

    identifier: str = ""
    name: str = ""
    date_of_birth: str = ""


@router.get("/search")
async def search(
    request: Request, found: Searcher, form: Annotated[SearchForm, Query()]
) -> Response:
    errors: dict[str, str] = {}
    identifier, name = form.identifier.strip(), form.name.strip()
    born = parse_day(form.date_of_birth.strip(), "date_of_birth", errors)
    asked = bool(identifier or name or born)
    if name and len(name) < 2:
        errors["name"] = "Enter at least 2 letters of the name"
    results = None
    if asked and not errors:
        why = await stated_purpose(request, found)
        results = await run_in_threadpool(
            api.search,
            services(request),
            found.principal,
            why,
            request.state.request_id,
            name=name or None,
            date_of_birth=born,
            identifier=identifier or None,
        )
    return render(
        request,
        "search.html",
        found,
        title="Find a person",
        form=form,
        results=results,
        errors=errors,
    )


@router.get("/people/{ref:path}/timeline")
async def timeline(request: Request, found: Reader, ref: str, as_known_at: str = "") -> Response:
    errors: dict[str, str] = {}
    known = parse_moment(as_known_at, "as_known_at", errors)
    why = await stated_purpose(request, found)
    history = await run_in_threadpool(
        api.get_timeline,
        ref,
        services(request),
        found.principal,
        why,
        request.state.request_id,
        as_known_at=known,
        limit=500,
    )
    # The heading comes from the timeline itself: one read, one access-log entry, as the API.
    person = heading(history)
    return render(
        request,
        "timeline.html",
        found,
        title=f"Timeline: {person.given_name} {person.family_name}",
        person=person,
        timeline=history,
        form={"as_known_at": as_known_at},
        errors=errors,
    )


@dataclass(frozen=True)
class Heading:
    """Who a timeline is about, for the page's heading."""

    person_id: str
    given_name: str | None
    family_name: str | None
    identifiers: dict[str, list[str]]


def heading(history: Timeline) -> Heading:
    names: dict[str, str] = {}
    ids: dict[str, list[str]] = {}
    for entry in history.entries:
        if entry.voided:
            continue
        details = entry.details
        names.update({k: str(details[k]) for k in ("given_name", "family_name") if details.get(k)})
        if entry.kind == "Registered":
            for kind, value in (details.get("identifiers") or {}).items():
                ids.setdefault(kind, []).append(str(value))
        elif entry.kind == "IdentifierAdded":
            ids.setdefault(str(details["kind"]), []).append(str(details["value"]))
    return Heading(history.person_id, names.get("given_name"), names.get("family_name"), ids)


@router.get("/people/{ref:path}")
async def person_page(
    request: Request,
    found: Reader,
    ref: str,
    as_of: str = "",
    as_known_at: str = "",
    recorded: str = "",
) -> Response:
    errors: dict[str, str] = {}
    when = end_of(parse_day(as_of, "as_of", errors))
    known = parse_moment(as_known_at, "as_known_at", errors)
    why = await stated_purpose(request, found)
    person = await read_person(request, found, why, ref, TimeAxes(when, known))
    return render(
        request,
        "person.html",
        found,
        title=f"{person.given_name} {person.family_name}",
        person=person,
        form={"as_of": as_of, "as_known_at": as_known_at},
        errors=errors,
        recorded=RECORDED.get(recorded),
        may_move=found.may(MOVERS),
        may_answer=found.may(ANSWERERS) and bool(person.ownership.handover_to),
    )


async def read_person(
    request: Request, found: Visitor, why: str, ref: str, times: TimeAxes = NOW
) -> Person:
    """The API's where-is, logged as it logs it."""
    if times.as_known_at is not None and times.as_known_at > datetime.now(UTC):
        raise InvalidValue("as_known_at", "must not be in the future")
    rid = request.state.request_id
    answer = await api.where_is(services(request), found.principal, why, rid, ref, times)
    return Person.model_validate_json(bytes(answer.body))
