"""Person-level reads: where-is, timeline and search. Each disclosure is logged first."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from psycopg import OperationalError as PgOperationalError
from starlette.concurrency import run_in_threadpool

from api.auth import Principal, Role
from api.deps import Purpose, PurposeHeader, RequestId, Svc, require, stated_purpose
from api.disclosure import (
    disclose,
    disclose_record,
    held_by_provider,
    partner_may_see,
    partner_may_see_then,
    restricted_read,
)
from api.problems import ProblemError, refuse_undeclared_method
from api.reads import SOURCE, MinPosition, read_on
from api.schemas import (
    NOW,
    Day,
    Entry,
    Moment,
    Person,
    PersonLine,
    TimeAxes,
    Timeline,
    entry_view,
    line,
    person_from_record,
    person_from_state,
)
from api.services import Services
from domain.errors import NotFound
from projections import queries
from projections.queries import PersonRecord

router = APIRouter(tags=["people"])
# `ref:path` because PNC and CRO numbers contain a slash (12/394773H); the timeline route is
# declared first so its suffix is matched before the bare person route.
READERS = (Role.PRISON, Role.PROBATION, Role.PARTNER, Role.RECOVERY, Role.AUDITOR, Role.ADMIN)
Reader = Annotated[Principal, Depends(require(*READERS))]
# Why a restricted record is read (auditors and administrators only; logged).
RestrictedReason = Annotated[
    str | None, Query(max_length=500, description="why, when the record is restricted")
]


@router.get("/people/{ref:path}/timeline", response_model=Timeline, summary="Full history")
def get_timeline(
    ref: str,
    svc: Svc,
    who: Reader,
    purpose: Purpose,
    rid: RequestId,
    as_known_at: Moment | None = None,
    kind: Annotated[str | None, Query(max_length=60, description="event kind")] = None,
    batch: Annotated[str | None, Query(max_length=200)] = None,
    voided: bool | None = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    reason: RestrictedReason = None,
) -> Timeline:
    """Every entry with occurred and recorded times, who, source, batch and void marks."""
    person = svc.journeys.person(ref)
    restricted_read(svc, who, str(person.id), ref, reason=reason, rid=rid)
    state = person.state()
    partner_may_see(svc, who, [state.ownership.region if state else None], ref=ref)
    entries = [entry_view(e) for e in svc.journeys.timeline(person.id, as_known_at=as_known_at)]
    chosen: list[Entry] = [
        e
        for e in entries
        if (kind is None or e.kind == kind)
        and (batch is None or e.batch_id == batch)
        and (voided is None or (e.voided is not None) == voided)
    ]
    page = chosen[offset : offset + limit]
    disclose(svc, who, "person.timeline", rid, [str(person.id)], purpose=purpose)
    more = offset + limit < len(chosen)
    return Timeline(
        person_id=str(person.id),
        entries=page,
        total=len(chosen),
        next_offset=offset + limit if more else None,
    )


@router.get("/people/{ref:path}", response_model=Person, summary="Where a person is now, or was")
async def get_person(
    ref: str,
    request: Request,
    who: Reader,
    x_purpose: PurposeHeader = None,
    as_of: Annotated[Moment | None, Query(description="effective time")] = None,
    as_known_at: Annotated[Moment | None, Query(description="knowledge time")] = None,
    min_position: MinPosition = None,
    reason: RestrictedReason = None,
) -> Response:
    """By NOMS number, CRN, PNC, CRO or person id: location, ownership, key dates, identifiers.
    With `as_of` or `as_known_at` the answer is derived from the history at those times."""
    # The services, purpose and request id as the `Svc`, `Purpose` and `RequestId`
    # dependencies give them, taken here directly: every dependency costs each request its
    # own resolution, and this is the busiest route.
    if "/" in ref:  # a PNC number holds one; `/people/X/cell-moves` is another operation
        refuse_undeclared_method(request)
    svc: Services = request.app.state.services
    purpose = stated_purpose(x_purpose)
    rid: str = request.state.request_id
    times = TimeAxes(as_of, as_known_at)
    return await where_is(
        svc, who, purpose, rid, ref, times, min_position=min_position, reason=reason
    )


async def where_is(
    svc: Services,
    who: Principal,
    purpose: str,
    rid: str,
    ref: str,
    times: TimeAxes = NOW,
    *,
    min_position: int | None = None,
    reason: str | None = None,
) -> Response:
    """The where-is answer for `who`, its disclosure logged first (a restricted record's only
    to an auditor or administrator giving a `reason`)."""
    if times.now and not is_uuid(ref):
        # The hot path, on the event loop: the read models' record, read and logged in one
        # statement shared with concurrent lookups (or read on a replica, then logged).
        key = queries.identifier_key(ref)
        found, source = await current_record(svc, who, purpose, rid, key, min_position)
        if found is not None:
            response = answer(person_from_record(found.person["person_id"], found))
            response.headers[SOURCE] = source
            return response
    view = await run_in_threadpool(person_view, svc, who, ref, times, rid, reason)
    await run_in_threadpool(
        disclose, svc, who, "person.read", rid, [view.person_id], purpose=purpose
    )
    return answer(view)


async def current_record(
    svc: Services,
    who: Principal,
    purpose: str,
    rid: str,
    key: tuple[str, str],
    min_position: int | None,
) -> tuple[PersonRecord | None, str]:
    """The record from a replica whose read models include `min_position`, or from the
    primary when none reaches it in time or the replica is out of reach; and which it was."""
    replica = await svc.replicas.reached(min_position) if svc.replicas is not None else None
    if replica is not None:
        try:
            found = await disclose_record(
                svc, who, "person.read", rid, key, purpose=purpose, replica=replica
            )
        except PgOperationalError:
            pass
        else:
            return found, "replica"
    return await disclose_record(svc, who, "person.read", rid, key, purpose=purpose), "primary"


def person_view(
    svc: Services, who: Principal, ref: str, times: TimeAxes, rid: str, reason: str | None
) -> Person:
    """A person the hot path did not answer: by person id, at other times, restricted, not
    yet in the read models, not visible to this caller, or unknown (the event store's claims
    say which)."""
    person_id = str(svc.journeys.resolve(ref))
    restricted_read(svc, who, person_id, ref, reason=reason, rid=rid)
    if times.now:
        record = queries.person_record(svc.db, person_id)
        if record is None:
            svc.journeys.person(person_id)  # an id no person has is refused as such
            raise NotFound("ref", "the person is not yet in the read models; retry shortly")
        view = person_from_record(person_id, record)
        partner_may_see(svc, who, [view.ownership.region], ref=ref)
        return view
    state = svc.journeys.state(person_id, as_of=times.as_of, as_known_at=times.as_known_at)
    if state is None:
        # Told only to those who may see the person at all: that they were unknown then says
        # something of the case.
        partner_may_see_then(svc, who, person_id, None, ref=ref)
        raise NotFound("as_known_at", "the person was not yet known at that moment")
    view = person_from_state(state, times)
    partner_may_see_then(svc, who, person_id, view.ownership.region, ref=ref)
    return view


def answer(view: Person) -> Response:
    # Built here rather than re-validated by FastAPI: the hot path of every where-is.
    return Response(
        view.model_dump_json().encode(),
        media_type="application/json",
        headers={"ETag": f'"{view.version}"'},
    )


@router.get("/search", response_model=list[PersonLine], summary="Find people")
def search(
    svc: Svc,
    who: Reader,
    purpose: Purpose,
    rid: RequestId,
    name: Annotated[str | None, Query(min_length=2, max_length=100)] = None,
    date_of_birth: Day | None = None,
    identifier: Annotated[str | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    min_position: MinPosition = None,
    *,
    response: Response,
) -> list[PersonLine]:
    """By exact identifier (any accepted form), by name (prefix, then typo-tolerant), by date
    of birth, or name and date of birth together."""
    if not (name or date_of_birth or identifier):
        raise ProblemError(
            400, "search-needs-terms", "name", "give a name, a date of birth or an identifier"
        )
    rows, response.headers[SOURCE] = read_on(
        svc,
        min_position,
        lambda db: queries.search(
            db, name=name, date_of_birth=date_of_birth, identifier=identifier, limit=limit
        ),
    )
    allowed = held_by_provider(svc, who, [r.person_id for r in rows])
    visible = [r for r in rows if r.person_id in allowed]
    disclose(svc, who, "person.search", rid, [r.person_id for r in visible], purpose=purpose)
    return [line(r) for r in visible]


def is_uuid(ref: str) -> bool:
    try:
        UUID(ref)
    except ValueError:
        return False
    return True
