"""A person's journey as a picture drawn on the server (SVG, no JavaScript): where they were
on a time axis (custody by prison, court days, temporary absences, transit, supervision in
the community by area) and who held the case beneath, with the same spans as text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from api.pages import wording
from api.pages.dates import uk
from domain.person.aggregate import Person
from domain.person.journey import JourneyFold
from domain.person.state import Location, Ownership
from domain.person.vocabulary import Status

WIDTH, LEFT, RIGHT = 960, 150, 10
LANE_HEIGHT, LANE_GAP, TOP = 34, 14, 10
AXIS = 30
# GOV.UK colours; each status keeps its own, and the legend names them.
COLOURS = {
    Status.IN: "#1d70b8",
    Status.COURT: "#912b88",
    Status.TAP: "#f47738",
    Status.TRANSIT: "#ffdd00",
    Status.RELEASED: "#b1b4b6",
    Status.SUPERVISED: "#00703c",
    Status.UAL: "#d4351c",
    Status.DIED: "#0b0c0c",
    "custody": "#5694ca",
    "community": "#85994b",
}
LANES = ("Where", "Who holds the case")


@dataclass(frozen=True)
class Span:
    """One stretch of the journey: in a lane, from when to when, what, in words."""

    lane: str
    start: datetime
    end: datetime
    key: str
    label: str
    ongoing: bool


def where_of(loc: Location, own: Ownership) -> tuple[str, str] | None:
    """The `Where` lane's key (a status) and words for one state; None when nothing is known."""
    status = Status(loc.status)
    if status == Status.NONE:
        return None
    said = wording.status(status)
    if status in {Status.IN, Status.TRANSIT} and loc.prison:
        place = wording.agency(loc.prison)
        if status == Status.TRANSIT and loc.destination:
            place += f" to {wording.agency(loc.destination)}"
        return status, f"{said}: {place}"
    if status in {Status.COURT, Status.TAP} and loc.agency:
        return status, f"{said}: {wording.agency(loc.agency)}"
    if status in {Status.SUPERVISED, Status.RELEASED} and (own.pdu or own.region):
        return status, f"{said}: {wording.unit(own.pdu or own.region)}"
    return status, said


def owner_of(loc: Location, own: Ownership) -> tuple[str, str] | None:
    """The owners' lane: custody (the prison) or community (the PDU and its officer)."""
    if own.responsibility is None:
        return None
    kind = str(own.responsibility)
    held = (own.pom_unit or loc.prison) if kind == "custody" else (own.pdu or own.region)
    officers = [f"POM {own.pom}" if own.pom else "", f"COM {own.com}" if own.com else ""]
    named = "; ".join(
        o.replace("POM POM ", "POM ").replace("COM COM ", "COM ") for o in officers if o
    )
    return kind, wording.responsibility(kind, held) + (f" ({named})" if named else "")


def spans(person: Person, as_of: datetime | None, known: datetime | None) -> list[Span]:
    """The journey's spans, folding the person's entries in effective order one at a time."""
    fold = JourneyFold()
    points: list[tuple[datetime, tuple[str, str] | None, tuple[str, str] | None]] = []
    for entry in person.active_entries(as_of, known):
        fold.step(entry)
        at = entry.occurred_at
        point = (
            at,
            where_of(fold.location, fold.ownership),
            owner_of(fold.location, fold.ownership),
        )
        if points and points[-1][0] == at:
            points[-1] = point  # one moment's entries end in one state
        else:
            points.append(point)
    end = as_of or datetime.now(UTC)
    found: list[Span] = []
    found += _runs(LANES[0], [(at, where) for at, where, _ in points], end)
    found += _runs(LANES[1], [(at, owner) for at, _, owner in points], end)
    return found


def _runs(
    lane: str, points: list[tuple[datetime, tuple[str, str] | None]], end: datetime
) -> list[Span]:
    runs: list[Span] = []
    for i, (at, value) in enumerate(points):
        if value is None or (runs and runs[-1].label == value[1] and runs[-1].end == at):
            if value is not None:
                runs[-1] = _extend(runs[-1], points, i, end)
            continue
        until = points[i + 1][0] if i + 1 < len(points) else end
        runs.append(Span(lane, at, max(until, at), value[0], value[1], i + 1 == len(points)))
    return runs


def _extend(
    span: Span, points: list[tuple[datetime, tuple[str, str] | None]], i: int, end: datetime
) -> Span:
    until = points[i + 1][0] if i + 1 < len(points) else end
    last = i + 1 == len(points)
    return Span(span.lane, span.start, until, span.key, span.label, last)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    fill: str
    title: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Picture:
    """What the template draws: bars, axis ticks, the lanes' labels, and the spans as text."""

    height: int
    bars: list[Bar]
    ticks: list[Tick]
    lanes: list[tuple[str, int]]
    spans: list[Span]
    legend: list[tuple[str, str]]
    summary: str


def picture(found: list[Span]) -> Picture | None:
    """The spans laid out on a time axis from the first to the last moment."""
    if not found:
        return None
    start = min(s.start for s in found)
    end = max(*(s.end for s in found), start + timedelta(days=1))
    scale = (WIDTH - LEFT - RIGHT) / (end - start).total_seconds()

    def x(at: datetime) -> float:
        return LEFT + (at - start).total_seconds() * scale

    lanes = [(name, TOP + i * (LANE_HEIGHT + LANE_GAP)) for i, name in enumerate(LANES)]
    top = dict(lanes)
    bars = [
        Bar(
            x(s.start),
            top[s.lane],
            max(x(s.end) - x(s.start), 2.0),
            LANE_HEIGHT,
            COLOURS.get(s.key, "#505a5f"),
            f"{s.label}, {_day(s.start)} to {'now' if s.ongoing else _day(s.end)}",
        )
        for s in found
    ]
    height = TOP + len(LANES) * (LANE_HEIGHT + LANE_GAP) + AXIS
    keys = list(dict.fromkeys(s.key for s in found))
    legend = [(COLOURS.get(k, "#505a5f"), _key_name(k)) for k in keys]
    custody = sum(1 for s in found if s.key == Status.IN)
    summary = (
        f"{len(found)} stretches from {_day(start)} to {_day(end)}, "
        f"{custody} of them in prison; the table below lists each."
    )
    return Picture(height, bars, _ticks(start, end, x), lanes, found, legend, summary)


def _key_name(key: str) -> str:
    if key in {"custody", "community"}:
        return f"Case held in {key}"
    return wording.status(key)


def _day(at: datetime) -> str:
    return uk(at).strftime("%d %b %Y")


def _ticks(start: datetime, end: datetime, place: Callable[[datetime], float]) -> list[Tick]:
    """Years on a long journey, months on a short one; at most about a dozen."""
    days = (end - start).days
    ticks: list[Tick] = []
    if days > 730:
        step = max(1, days // 365 // 10)
        for year in range(start.year + 1, end.year + 1, step):
            ticks.append(Tick(place(datetime(year, 1, 1, tzinfo=UTC)), str(year)))
        return ticks
    month = date(start.year, start.month, 1)
    step = max(1, days // 30 // 10 + 1)
    while True:
        month = _add_months(month, step)
        at = datetime(month.year, month.month, 1, tzinfo=UTC)
        if at > end:
            return ticks
        ticks.append(Tick(place(at), month.strftime("%b %Y")))


def _add_months(day: date, months: int) -> date:
    total = day.month - 1 + months
    return date(day.year + total // 12, total % 12 + 1, 1)
