"""The establishment roll: who is in a prison, with counts, now or as of a date; CSV too."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from api.pages.dates import read_date
from api.pages.people import end_of
from api.pages.render import problem_page, render
from api.pages.session import Visitor, page_for, roles_of, services
from api.routes import establishments as api
from domain import reference
from domain.errors import InvalidValue

router = APIRouter(prefix="/ui", include_in_schema=False)
READERS = roles_of(api.router.routes, "/prisons/{code}/roll")
RollReader = Annotated[Visitor, Depends(page_for(*READERS))]


def prisons() -> list[tuple[str, str]]:
    """The picker's options: each open prison's code, and its name with the code."""
    return sorted((p.code, f"{p.name} ({p.code})") for p in reference.prisons() if p.active)


@router.get("/roll")
def choose(request: Request, found: RollReader, prison: str = "") -> Response:
    """The prison picker; a chosen prison goes to its roll."""
    errors: dict[str, str] = {}
    as_of = read_date(request.query_params, "as_of", "As of", errors)
    if prison:
        try:
            code = reference.prison(prison, "prison").code
        except InvalidValue as exc:
            errors["prison"] = f"Enter a known prison code: {exc.reason}"
        else:
            if not errors:
                query = f"?as_of={as_of.day.isoformat()}" if as_of.day else ""
                return RedirectResponse(f"/ui/prisons/{code}/roll{query}", status_code=303)
    return render(
        request,
        "roll_choose.html",
        found,
        title="Establishment roll",
        prisons=prisons(),
        form={"prison": prison, "as_of": as_of.sent},
        errors=errors,
    )


@router.get("/prisons/{code}/roll.csv")
def roll_csv(request: Request, found: RollReader, code: str) -> Response:
    errors: dict[str, str] = {}
    as_of = read_date(request.query_params, "as_of", "As of", errors)
    if errors:
        return problem_page(request, 400, "Sorry, there is a problem", errors["as_of"], found)
    answer = read_roll(request, found, code, as_of.day, "csv")
    assert isinstance(answer, Response)
    return answer


@router.get("/prisons/{code}/roll")
def roll(request: Request, found: RollReader, code: str) -> Response:
    errors: dict[str, str] = {}
    as_of = read_date(request.query_params, "as_of", "As of", errors)
    body = read_roll(request, found, code, as_of.day, "json")
    assert isinstance(body, api.Roll)
    return render(
        request,
        "roll.html",
        found,
        title=f"Roll: {body.name}",
        roll=body,
        total=sum(body.counts.values()),
        form={"as_of": as_of.sent},
        as_of_iso=as_of.day.isoformat() if as_of.day else "",
        errors=errors,
    )


def read_roll(
    request: Request, found: Visitor, code: str, as_of: date | None, kind: str
) -> Response | api.Roll:
    """The API's roll (logged as it logs it), as a page's data or its CSV download."""
    when = end_of(as_of)
    return api.roll(
        code,
        services(request),
        found.principal,
        request.state.request_id,
        as_of=when,
        as_known_at=None,
        format="csv" if kind == "csv" else "json",
        x_purpose=found.purpose,
    )
