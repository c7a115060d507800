"""Establishment rolls and population counts, now or at any date, as JSON or CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Response
from pydantic import BaseModel, Field

from api.auth import Principal, Role
from api.deps import RequestId, Svc, require
from api.disclosure import disclose
from api.reads import SOURCE, MinPosition, read_on
from api.schemas import Moment, PersonLine, line
from domain import reference
from domain.person.state import CUSTODY, PersonState
from projections import queries

router = APIRouter(tags=["establishments"])
ROLL_READERS = (Role.PRISON, Role.PROBATION, Role.RECOVERY, Role.AUDITOR, Role.ADMIN)
RollReader = Annotated[Principal, Depends(require(*ROLL_READERS))]
Format = Annotated[Literal["json", "csv"], Query(description="json, or csv for a download")]


class Roll(BaseModel):
    prison: str
    name: str
    as_of: datetime | None
    as_known_at: datetime | None
    counts: dict[str, int]
    people: list[PersonLine]
    withheld: int = Field(
        0, description="restricted records on the roll, left out of `people` and `counts`"
    )


@router.get("/prisons/{code}/roll", response_model=Roll, summary="Who is in a prison")
def roll(
    code: str,
    svc: Svc,
    who: RollReader,
    rid: RequestId,
    as_of: Moment | None = None,
    as_known_at: Moment | None = None,
    format: Format = "json",
    x_purpose: Annotated[str | None, Header(max_length=500)] = None,
    min_position: MinPosition = None,
    *,
    response: Response,
) -> Response | Roll:
    """Everyone on the roll: in, out at court, on temporary absence, or in transit out. With
    `as_of` / `as_known_at`, the roll at that effective time as the system knew it then."""
    prison = reference.prison(code, "code")
    if as_of is None and as_known_at is None:
        rows, response.headers[SOURCE] = read_on(
            svc, min_position, lambda db: queries.roll(db, prison.code)
        )
        people = [line(r) for r in rows]
    else:
        people = roll_from_history(svc, prison.code, as_of or datetime.now(UTC), as_known_at)
    counts: dict[str, int] = {}
    for person in people:
        counts[person.status] = counts.get(person.status, 0) + 1
    disclose(
        svc,
        who,
        "roll.read",
        rid,
        [p.person_id for p in people],
        purpose=x_purpose,
        detail=f"{prison.code} as_of={as_of} as_known_at={as_known_at} format={format}",
    )
    body = Roll(
        prison=prison.code,
        name=prison.name,
        as_of=as_of,
        as_known_at=as_known_at,
        counts=counts,
        people=people,
        withheld=withheld(svc, prison.code, as_of, as_known_at),
    )
    if format == "csv":
        download = csv_response(body.people, f"roll-{prison.code}.csv")
        if SOURCE in response.headers:
            download.headers[SOURCE] = response.headers[SOURCE]
        return download
    return body


def roll_from_history(
    svc: Svc, prison: str, as_of: datetime, as_known_at: datetime | None
) -> list[PersonLine]:
    candidates = candidates_at(svc, prison, as_of, as_known_at)
    hidden = queries.restricted_among(svc.db, candidates)
    found = []
    for person_id in candidates:
        if person_id in hidden:
            continue
        state = svc.journeys.state(person_id, as_of=as_of, as_known_at=as_known_at)
        if state and on_roll(state, prison):
            found.append(line_from_state(state))
    return sorted(found, key=lambda p: (p.status, p.family_name or "", p.given_name or ""))


def candidates_at(
    svc: Svc, prison: str, as_of: datetime, as_known_at: datetime | None
) -> list[str]:
    if as_known_at:
        return queries.ever_named(svc.db, prison)
    return queries.on_roll_at(svc.db, prison, as_of)


def on_roll(state: PersonState, prison: str) -> bool:
    return state.location.prison == prison and state.location.status in CUSTODY


def withheld(
    svc: Svc, prison: str, as_of: datetime | None = None, as_known_at: datetime | None = None
) -> int:
    """Restricted records on the roll (now, or then): left out of its list, counted so the
    roll says so rather than silently differing."""
    if as_of is None and as_known_at is None:
        return queries.withheld(svc.db, prison)
    when = as_of or datetime.now(UTC)
    hidden = queries.restricted_among(svc.db, candidates_at(svc, prison, when, as_known_at))
    states = (svc.journeys.state(p, as_of=when, as_known_at=as_known_at) for p in hidden)
    return sum(1 for state in states if state and on_roll(state, prison))


def line_from_state(state: PersonState) -> PersonLine:
    ids, loc, own = state.identifiers, state.location, state.ownership

    def first(kind: str) -> str | None:
        return ids[kind][0] if ids.get(kind) else None

    return PersonLine(
        person_id=state.person_id,
        given_name=state.given_name,
        family_name=state.family_name,
        date_of_birth=state.date_of_birth,
        noms=first("NOMS"),
        crn=first("CRN"),
        pnc=first("PNC"),
        cro=first("CRO"),
        status=loc.status.value,
        agency=loc.agency,
        prison=loc.prison,
        cell=loc.cell,
        since=loc.since,
        responsibility=own.responsibility.value if own.responsibility else None,
        owner=state.owner,
        pdu=own.pdu,
        com=own.com,
    )


class Population(BaseModel):
    as_of: datetime | None
    counts: dict[str, int]
    total: int


@router.get("/population", response_model=Population, summary="Counts per prison")
def population(
    svc: Svc,
    who: RollReader,
    rid: RequestId,
    as_of: Moment | None = None,
    format: Format = "json",
) -> Response | Population:
    """People on each prison's roll now, or at an effective time."""
    if as_of is None:
        counts = {p: sum(s.values()) for p, s in queries.population(svc.db).items()}
    else:
        counts = queries.population_at(svc.db, as_of)
    disclose(svc, who, "population.read", rid, [], detail=f"as_of={as_of}")
    if format == "csv":
        return csv_download(["prison", "people"], sorted(counts.items()), "population.csv")
    return Population(as_of=as_of, counts=dict(sorted(counts.items())), total=sum(counts.values()))


def csv_response(people: list[PersonLine], filename: str) -> Response:
    fields = list(PersonLine.model_fields)
    rows = (person.model_dump().values() for person in people)
    return csv_download(fields, rows, filename)


# A spreadsheet reads a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A cell a spreadsheet shows as the text it holds: a leading quote stops a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_download(
    header: Sequence[str], rows: Iterable[Iterable[object]], filename: str
) -> Response:
    """Every CSV the API or the pages send, each cell made safe for a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_cell(h) for h in header])
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return Response(
        out.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
