"""The establishment roll: who is in a prison, with counts, now or as of a date; CSV too."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from api.pages.people import end_of, parse_day
from api.pages.render import render
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
def choose(request: Request, found: RollReader, prison: str = "", as_of: str = "") -> Response:
    """The prison picker; a chosen prison goes to its roll."""
    errors: dict[str, str] = {}
    if prison:
        try:
            code = reference.prison(prison, "prison").code
        except InvalidValue as exc:
            errors["prison"] = f"Enter a known prison code: {exc.reason}"
        else:
            query = f"?as_of={as_of}" if as_of else ""
            return RedirectResponse(f"/ui/prisons/{code}/roll{query}", status_code=303)
    return render(
        request,
        "roll_choose.html",
        found,
        title="Establishment roll",
        prisons=prisons(),
        form={"prison": prison, "as_of": as_of},
        errors=errors,
    )


@router.get("/prisons/{code}/roll.csv")
def roll_csv(request: Request, found: RollReader, code: str, as_of: str = "") -> Response:
    answer = read_roll(request, found, code, as_of, "csv")
    assert isinstance(answer, Response)
    return answer


@router.get("/prisons/{code}/roll")
def roll(request: Request, found: RollReader, code: str, as_of: str = "") -> Response:
    errors: dict[str, str] = {}
    parse_day(as_of, "as_of", errors)
    body = read_roll(request, found, code, "" if errors else as_of, "json")
    assert isinstance(body, api.Roll)
    return render(
        request,
        "roll.html",
        found,
        title=f"Roll: {body.name}",
        roll=body,
        total=sum(body.counts.values()),
        form={"as_of": as_of},
        errors=errors,
    )


def read_roll(
    request: Request, found: Visitor, code: str, as_of: str, kind: str
) -> Response | api.Roll:
    """The API's roll (logged as it logs it), as a page's data or its CSV download."""
    when = end_of(parse_day(as_of, "as_of", {}))
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
