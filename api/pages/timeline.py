"""A person's timeline as the MOJ timeline: newest first, filtered by type, source, batch and
voided, with totals, a page at a time, and as CSV; read and logged as the API's timeline."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api.disclosure import disclose, partner_may_see, restricted_read
from api.pages import wording
from api.pages.dates import shown_moment
from api.pages.paging import paging
from api.pages.people import known_at
from api.pages.render import render
from api.pages.session import Visitor, page_for, roles_of, services, stated_purpose
from api.routes import people as api
from api.routes.establishments import csv_download
from api.schemas import Entry, entry_view

router = APIRouter(prefix="/ui", include_in_schema=False)
READERS = roles_of(api.router.routes, "/people/{ref:path}/timeline")
Reader = Annotated[Visitor, Depends(page_for(*READERS))]
TIMELINE_PAGE = 25
VOIDED = {"": "All entries", "yes": "Only voided entries", "no": "Only entries in force"}
ORDERS = {"newest": "Newest first", "oldest": "Oldest first"}
CSV_COLUMNS = (
    "entry",
    "what",
    "kind",
    "occurred_at",
    "recorded_at",
    "recorded_by",
    "source",
    "batch_id",
    "reason",
    "voided",
    "voided_by",
    "void_reason",
)


@dataclass(frozen=True)
class Filters:
    kind: str
    source: str
    batch: str
    voided: str
    order: str

    def keep(self, e: Entry) -> bool:
        return (
            (not self.kind or e.kind == self.kind)
            and (not self.source or e.source == self.source)
            and (not self.batch or (e.batch_id or "") == self.batch)
            and (not self.voided or (e.voided is not None) == (self.voided == "yes"))
        )

    @property
    def any(self) -> bool:
        return bool(self.kind or self.source or self.batch or self.voided)


def filters_of(values: Mapping[str, str]) -> Filters:
    voided = values.get("voided") or ""
    order = values.get("order") or "newest"
    return Filters(
        (values.get("kind") or "")[:60],
        (values.get("source") or "")[:60],
        (values.get("batch") or "")[:200],
        voided if voided in VOIDED else "",
        order if order in ORDERS else "newest",
    )


@dataclass(frozen=True)
class History:
    person_id: str
    entries: list[Entry]


def read_history(
    request: Request, found: Visitor, why: str, ref: str, known: datetime | None
) -> History:
    """Every entry, read and logged exactly as the API's timeline reads and logs it: one
    `person.timeline` entry, after the partner check."""
    svc = services(request)
    person = svc.journeys.person(ref)
    rid = request.state.request_id
    reason = request.query_params.get("reason")
    restricted_read(svc, found.principal, str(person.id), ref, reason=reason, rid=rid)
    state = person.state()
    partner_may_see(svc, found.principal, [state.ownership.region if state else None], ref=ref)
    entries = [entry_view(e) for e in svc.journeys.timeline(person.id, as_known_at=known)]
    disclose(svc, found.principal, "person.timeline", rid, [str(person.id)], purpose=why)
    return History(str(person.id), entries)


def options(
    values: list[str], everything: str, label: Callable[[str], str] = str
) -> list[tuple[str, str]]:
    return [("", everything), *((v, label(v)) for v in sorted(set(values)))]


@dataclass(frozen=True)
class Heading:
    """Who a timeline is about, for the page's heading."""

    person_id: str
    given_name: str | None
    family_name: str | None
    identifiers: dict[str, list[str]]


def heading(entries: list[Entry], person_id: str) -> Heading:
    """The person's name and identifiers, from the timeline itself: one read, one log entry."""
    names: dict[str, str] = {}
    ids: dict[str, list[str]] = {}
    for entry in entries:
        if entry.voided:
            continue
        details = entry.details
        names.update({k: str(details[k]) for k in ("given_name", "family_name") if details.get(k)})
        if entry.kind == "Registered":
            for kind, value in (details.get("identifiers") or {}).items():
                ids.setdefault(kind, []).append(str(value))
        elif entry.kind == "IdentifierAdded":
            ids.setdefault(str(details["kind"]), []).append(str(details["value"]))
    return Heading(person_id, names.get("given_name"), names.get("family_name"), ids)


@router.get("/people/{ref:path}/timeline.csv")
async def timeline_csv(request: Request, found: Reader, ref: str) -> Response:
    errors: dict[str, str] = {}
    known = known_at(request.query_params, errors).moment
    why = await stated_purpose(request, found)
    history = await run_in_threadpool(read_history, request, found, why, ref, known)
    chosen = ordered(history.entries, filters_of(request.query_params))
    rows = (
        [
            e.entry,
            wording.sentence(e.kind, e.details, e.reason),
            e.kind,
            shown_moment(e.occurred_at),
            shown_moment(e.recorded_at),
            e.recorded_by,
            e.source,
            e.batch_id or "",
            e.reason or "",
            "yes" if e.voided else "no",
            e.voided.voided_by if e.voided else "",
            (e.voided.reason or "") if e.voided else "",
        ]
        for e in chosen
    )
    return csv_download(CSV_COLUMNS, rows, f"timeline-{ref.replace('/', '-')}.csv")


def ordered(entries: list[Entry], filters: Filters) -> list[Entry]:
    chosen = [e for e in entries if filters.keep(e)]
    return chosen[::-1] if filters.order == "newest" else chosen


@router.get("/people/{ref:path}/timeline")
async def timeline(request: Request, found: Reader, ref: str) -> Response:
    values = request.query_params
    errors: dict[str, str] = {}
    known_read = known_at(values, errors)
    known = known_read.moment
    why = await stated_purpose(request, found)
    history = await run_in_threadpool(read_history, request, found, why, ref, known)
    person = heading(history.entries, history.person_id)
    filters = filters_of(values)
    chosen = ordered(history.entries, filters)
    path = f"/ui/people/{ref}/timeline"
    pages = paging(path, values, len(chosen), TIMELINE_PAGE)
    kinds = Counter(e.kind for e in history.entries)
    return render(
        request,
        "timeline.html",
        found,
        title=f"Timeline: {person.given_name} {person.family_name}",
        person=person,
        entries=chosen[pages.offset : pages.offset + pages.size],
        pages=pages,
        total=len(history.entries),
        listed=len(chosen),
        voided=sum(1 for e in history.entries if e.voided),
        kinds=sorted(kinds.items(), key=lambda kc: -kc[1]),
        filters=filters,
        choices={
            "kind": options(list(kinds), "All types", wording.kind_name),
            "source": options([e.source for e in history.entries], "All sources"),
            "batch": options([e.batch_id for e in history.entries if e.batch_id], "All"),
            "voided": list(VOIDED.items()),
            "order": list(ORDERS.items()),
        },
        csv_query=str(request.url.query),
        form={"as_known_at": known_read.sent},
        known=known,
        errors=errors,
    )
