"""The access log for auditors: newest first, by person (NOMS number, CRN, PNC, name or id),
user and time range, counted, a page at a time, and as CSV; people named, actions in words."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from api.access_log import COLUMNS, TABLE, Access
from api.disclosure import disclose
from api.pages import wording
from api.pages.dates import iso_of, read_moment, shown_moment
from api.pages.paging import paging
from api.pages.render import problem_page, render
from api.pages.session import Visitor, page_for, roles_of, services
from api.routes import audit as api
from api.routes.establishments import csv_download
from api.services import Services
from domain.errors import DomainError
from domain.identifiers import detect
from projections import queries
from projections.queries.people import people as people_rows
from projections.verify import normal

router = APIRouter(prefix="/ui", include_in_schema=False)
AUDITORS = roles_of(api.router.routes, "/audit/access")
Auditor = Annotated[Visitor, Depends(page_for(*AUDITORS))]
AUDIT_PAGE = 100
# A name stands for at most this many people in a filter: enough for a family, not a census.
NAMED_PEOPLE = 200
CSV_ROWS = 100_000
CSV_COLUMNS = (
    "at",
    "user",
    "roles",
    "action",
    "action_code",
    "person",
    "noms",
    "crn",
    "person_id",
    "purpose",
    "recipient",
    "detail",
    "request_id",
)


@dataclass
class Filter:
    """The log's filters as SQL, and what they said, for the log entry the reading makes."""

    clauses: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    said: list[str] = field(default_factory=list)

    def where(self) -> str:
        return f"WHERE {' AND '.join(self.clauses)}" if self.clauses else ""


def people_asked(svc: Services, text: str, errors: dict[str, str]) -> list[str] | None:
    """The people a "person" filter names: an identifier, a person id, or a name."""
    text = text.strip()
    if not text:
        return None
    try:
        return [str(UUID(text))]
    except ValueError:
        pass
    try:
        detect(text)
    except DomainError:
        found = queries.find_people(svc.db, name=text, limit=NAMED_PEOPLE)
        if not found.total:
            errors["person"] = "No one has that identifier or name"
        return [r.person_id for r in found.people]
    person = queries.find(svc.db, text)
    if person is None:
        errors["person"] = "No one has that identifier"
        return []
    return [person]


def filter_of(request: Request, errors: dict[str, str]) -> tuple[Filter, dict[str, Any]]:
    values = request.query_params
    person, user = values.get("person") or "", (values.get("user") or "").strip()
    since = read_moment(values, "since", "From", errors)
    until = read_moment(values, "until", "Until", errors)
    if since.moment and until.moment and until.moment < since.moment:
        errors["until"] = "Until must be the same as or after From"
    if len(person) > 100:
        errors["person"] = "Enter at most 100 characters"
    if len(user) > 200:
        errors["user"] = "A user name is at most 200 characters"
    chosen = Filter()
    ids = None if "person" in errors else people_asked(services(request), person, errors)
    if ids is not None:
        marks = ", ".join(["%s"] * len(ids)) or "NULL"
        chosen.clauses.append(f"person_id IN ({marks})")
        chosen.params += ids
        chosen.said.append(f"person={person.strip()}")
    for column, value, name in (("user_name", user, "user"),):
        if value:
            chosen.clauses.append(f"{column} = %s")
            chosen.params.append(value)
            chosen.said.append(f"{name}={value}")
    if since.moment:
        chosen.clauses.append("at >= %s")
        chosen.params.append(since.moment)
        chosen.said.append(f"since={iso_of(since.moment)}")
    if until.moment:
        chosen.clauses.append("at < %s")
        chosen.params.append(until.moment)
        chosen.said.append(f"until={iso_of(until.moment)}")
    form = {"person": person, "user": user, "since": since.sent, "until": until.sent}
    return chosen, form


def read_log(svc: Services, chosen: Filter, offset: int, limit: int) -> list[Access]:
    """Entries newest first."""
    rows = svc.access.db.query(
        f"SELECT id, {COLUMNS} FROM {TABLE} {chosen.where()} "
        f"ORDER BY id DESC LIMIT {int(limit)} OFFSET {int(offset)}",
        chosen.params,
    )
    found = []
    for row in rows:
        id_, user, roles, action, person, purpose, recipient, request_id, detail, at = row
        moment = datetime.fromisoformat(normal(at, "ts"))
        found.append(
            Access(user, roles, action, request_id, person, purpose, recipient, detail, moment, id_)
        )
    return found


def count_log(svc: Services, chosen: Filter) -> int:
    rows = svc.access.db.query(f"SELECT count(*) FROM {TABLE} {chosen.where()}", chosen.params)
    return int(rows[0][0])


def named(svc: Services, entries: list[Access]) -> dict[str, queries.PersonRow]:
    """The people the entries are about, by id, for their names and identifiers."""
    ids = sorted({e.person_id for e in entries if e.person_id})
    if not ids:
        return {}
    marks = ", ".join(["%s"] * len(ids))
    rows = people_rows(svc.db, f"WHERE p.person_id IN ({marks})", tuple(ids))
    return {r.person_id: r for r in rows}


def logged_reading(
    request: Request, found: Visitor, chosen: Filter, people: dict[str, Any], how: str
) -> None:
    """The reading itself logged, as the API logs it, once per person it names."""
    svc = services(request)
    detail = " ".join([*chosen.said, how])
    rid = request.state.request_id
    disclose(svc, found.principal, "audit.access", rid, sorted(people), detail=detail)


@router.get("/audit")
def access(request: Request, found: Auditor) -> Response:
    errors: dict[str, str] = {}
    chosen, form = filter_of(request, errors)
    svc = services(request)
    listed = None
    if not errors:
        total = count_log(svc, chosen)
        pages = paging("/ui/audit", request.query_params, total, AUDIT_PAGE)
        entries = read_log(svc, chosen, pages.offset, pages.size)
        people = named(svc, entries)
        logged_reading(request, found, chosen, people, f"page={pages.page}")
        listed = {"entries": entries, "people": people, "pages": pages, "total": total}
    return render(
        request,
        "audit.html",
        found,
        title="Access log",
        listed=listed,
        form=form,
        csv_query=str(request.url.query),
        errors=errors,
    )


@router.get("/audit.csv")
def access_csv(request: Request, found: Auditor) -> Response:
    errors: dict[str, str] = {}
    chosen, _ = filter_of(request, errors)
    if errors:
        said = "; ".join(errors.values())
        return problem_page(request, 400, "Sorry, there is a problem", said, found)
    svc = services(request)
    entries = read_log(svc, chosen, 0, CSV_ROWS)
    people = named(svc, entries)
    logged_reading(request, found, chosen, people, "format=csv")
    return csv_download(CSV_COLUMNS, (csv_line(e, people) for e in entries), "access-log.csv")


def csv_line(e: Access, people: dict[str, queries.PersonRow]) -> list[object]:
    who = people.get(e.person_id or "")
    return [
        shown_moment(e.at) if e.at else "",
        e.user,
        e.roles,
        wording.action(e.action),
        e.action,
        f"{who.family_name}, {who.given_name}" if who else "",
        who.noms if who else "",
        who.crn if who else "",
        e.person_id or "",
        e.purpose or "",
        e.recipient or "",
        e.detail or "",
        e.request_id,
    ]
