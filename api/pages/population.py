"""The prison population over time: a prison's count (or every prison's together) month by
month as a chart drawn on the server, the same figures as a table, and each prison's count on
the last day. Counts only: no person is shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from api.disclosure import disclose
from api.pages.dates import UK, read_date
from api.pages.people import end_of
from api.pages.render import render
from api.pages.session import Visitor, own_prison, page_for, roles_of, services
from api.routes import establishments as api
from domain import reference
from domain.errors import InvalidValue
from projections import queries

router = APIRouter(prefix="/ui", include_in_schema=False)
READERS = roles_of(api.router.routes, "/population")
Reader = Annotated[Visitor, Depends(page_for(*READERS))]
MONTHS = 12
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 960, 300, 60, 40, 16


@dataclass(frozen=True)
class Point:
    """The count on one day: in the prison chosen, and in every prison."""

    day: date
    prison: int
    everyone: int


@dataclass(frozen=True)
class Chart:
    """A line of counts over time, laid out: the line's points, the axes' ticks."""

    line: str
    dots: list[tuple[float, float, str]]
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, int]]


def months_back(last: date, months: int) -> list[date]:
    """`months` + 1 days a month apart, ending at `last` (a short month takes its last day)."""
    days = []
    for k in range(months, -1, -1):
        total = last.year * 12 + last.month - 1 - k
        year, month = divmod(total, 12)
        day = min(last.day, _month_days(year, month + 1))
        days.append(date(year, month + 1, day))
    return days


def _month_days(year: int, month: int) -> int:
    after = date(year + month // 12, month % 12 + 1, 1)
    return (after - date(year, month, 1)).days


def chart(points: list[Point], prison: bool) -> Chart:
    values = [p.prison if prison else p.everyone for p in points]
    top = _nice(max(values, default=0))
    span_x = (WIDTH - LEFT - 40) / max(1, len(points) - 1)  # room for the last label

    def y(v: int) -> float:
        return TOP + (HEIGHT - TOP - BOTTOM) * (1 - v / top)

    xy = [(LEFT + i * span_x, y(v)) for i, v in enumerate(values)]
    dots = [
        (x, yy, f"{p.day:%d %b %Y}: {v}") for (x, yy), p, v in zip(xy, points, values, strict=True)
    ]
    every = max(1, len(points) // 8)
    x_ticks = [
        (x, f"{p.day:%b %Y}")
        for i, ((x, _), p) in enumerate(zip(xy, points, strict=True))
        if i % every == 0
    ]
    y_ticks = [(y(top * k // 4), top * k // 4) for k in range(5)]
    line = " ".join(f"{x:.1f},{yy:.1f}" for x, yy in xy)
    return Chart(line, dots, x_ticks, y_ticks)


def _nice(value: int) -> int:
    """An axis top at or above `value`: 1, 2 or 5 times a power of ten (at least 4)."""
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step * 4 >= value and m * step >= 1:
                return max(4, m * step * 4)
        step *= 10


@router.get("/population")
def population(request: Request, found: Reader, prison: str | None = None) -> Response:
    values = request.query_params
    errors: dict[str, str] = {}
    chosen = own_prison(request) if prison is None else prison.strip()
    code = None
    if chosen and chosen.lower() != "all":
        try:
            code = reference.prison(chosen, "prison").code
        except InvalidValue:
            errors["prison"] = "Enter a known prison code, for example LEI, or leave it empty"
    last = read_date(values, "as_of", "Last day", errors)
    today = datetime.now(UK).date()
    if last.day and last.day > today:
        errors["as_of"] = "Last day must be today or in the past"
    text = (values.get("months") or str(MONTHS)).strip()
    months = int(text) if text.isdigit() else 0
    if not 1 <= months <= 60:
        errors["months"] = "Enter the number of months as a whole number from 1 to 60"
        months = MONTHS
    end = today if errors.get("as_of") or not last.day else last.day
    svc = services(request)
    counts = {
        d: queries.population_at(svc.db, end_of(d) or datetime.now(UK))
        for d in months_back(end, months)
    }
    points = [Point(d, c.get(code, 0) if code else 0, sum(c.values())) for d, c in counts.items()]
    rid = request.state.request_id
    detail = f"prison={code} months={months} last={end} page"
    disclose(svc, found.principal, "population.read", rid, [], detail=detail)
    latest = counts[end]
    return render(
        request,
        "population.html",
        found,
        title="Prison population",
        prison=reference.prison(code) if code else None,
        points=points,
        chart=chart(points, code is not None),
        latest=sorted(latest.items(), key=lambda pc: (-pc[1], pc[0])),
        end=end,
        months=months,
        form={"prison": code or "", "months": text, "as_of": last.sent},
        errors=errors,
    )
