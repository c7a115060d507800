"""Dates and times as GOV.UK asks for them (day, month and year in three boxes, a 24-hour
time) and as people in England and Wales think of them: in UK local time, shown with its zone."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")
PARTS = ("day", "month", "year")
TIME = re.compile(r"^(\d{1,2})[:.](\d{2})$")


@dataclass(frozen=True)
class Asked:
    """What a date field was sent as, to show it again, and which boxes are wrong."""

    day: str = ""
    month: str = ""
    year: str = ""
    time: str = ""
    wrong: frozenset[str] = field(default_factory=frozenset)

    @property
    def empty(self) -> bool:
        return not (self.day or self.month or self.year or self.time)


def asked(values: Mapping[str, str], name: str) -> Asked:
    """The boxes `name-day`, `name-month`, `name-year` and `name-time`; an ISO value sent as
    `name` (a link's) fills them in."""
    day, month, year, clock = ((values.get(f"{name}-{p}") or "").strip() for p in (*PARTS, "time"))
    whole = (values.get(name) or "").strip()
    if whole and not (day or month or year or clock):
        return _from_iso(whole)
    return Asked(day, month, year, clock)


def _from_iso(text: str) -> Asked:
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        return Asked(day=text, wrong=frozenset(PARTS))
    if len(text) <= 10:
        return Asked(str(found.day), str(found.month), str(found.year))
    local = uk(found)
    return Asked(str(local.day), str(local.month), str(local.year), local.strftime("%H:%M"))


def read_date(values: Mapping[str, str], name: str, label: str, errors: dict[str, str]) -> Read:
    """The date in the boxes, or None when they are empty; an impossible one is an error
    naming the field, in the design system's words."""
    sent = asked(values, name)
    if not (sent.day or sent.month or sent.year):
        return Read(None, sent)
    missing = [p for p in PARTS if not getattr(sent, p)]
    if missing:
        said = f"{label} must include a {' and '.join(missing)}"
        return _refuse(sent, name, said, missing, errors)
    bad = [p for p in PARTS if not getattr(sent, p).isdigit()]
    if bad:
        return _refuse(sent, name, f"{label} must be a real date", bad, errors)
    if len(sent.year) != 4:
        return _refuse(sent, name, "Year must include 4 numbers", ["year"], errors)
    try:
        return Read(date(int(sent.year), int(sent.month), int(sent.day)), sent)
    except ValueError:
        return _refuse(sent, name, f"{label} must be a real date", list(PARTS), errors)


def read_moment(values: Mapping[str, str], name: str, label: str, errors: dict[str, str]) -> Read:
    """A date and a 24-hour time in UK local time, as a UTC moment; no time means midnight.
    A link's ISO moment (`name=...`) is read to the second, UK time when it has no offset."""
    exact = _exact(values, name)
    if exact is not None:
        return exact
    day = read_date(values, name, label, errors)
    sent = day.sent
    if name in errors:
        return day
    if not isinstance(day.value, date):
        if sent.time:
            return _refuse(sent, name, f"{label} must include a date", list(PARTS), errors)
        return day
    clock = time(0, 0)
    if sent.time:
        matched = TIME.match(sent.time)
        hour, minute = (int(matched[1]), int(matched[2])) if matched else (99, 99)
        if hour > 23 or minute > 59:
            said = f"{label} must have a real time, for example 14:30"
            return _refuse(sent, name, said, ["time"], errors)
        clock = time(hour, minute)
    local = datetime.combine(day.value, clock, tzinfo=UK)
    # A time the clocks skip in spring does not exist: it does not survive the round trip.
    if local.astimezone(UTC).astimezone(UK).replace(tzinfo=None) != local.replace(tzinfo=None):
        said = f"{label} is a time the clocks skipped in the UK (they went forward an hour)"
        return _refuse(sent, name, said, ["time"], errors)
    return Read(local.astimezone(UTC), sent)


def _exact(values: Mapping[str, str], name: str) -> Read | None:
    whole = (values.get(name) or "").strip()
    if not whole or len(whole) <= 10 or any(values.get(f"{name}-{p}") for p in (*PARTS, "time")):
        return None
    try:
        found = datetime.fromisoformat(whole)
    except ValueError:
        return None
    aware = found if found.tzinfo else found.replace(tzinfo=UK)
    return Read(aware.astimezone(UTC), asked(values, name))


@dataclass(frozen=True)
class Read:
    """A date field's value (None when empty or wrong) and what was sent, to show again."""

    value: datetime | date | None
    sent: Asked

    @property
    def day(self) -> date | None:
        return self.value.date() if isinstance(self.value, datetime) else self.value

    @property
    def moment(self) -> datetime | None:
        return self.value if isinstance(self.value, datetime) else None


def _refuse(sent: Asked, name: str, message: str, parts: list[str], errors: dict[str, str]) -> Read:
    errors[name] = message
    return Read(None, Asked(sent.day, sent.month, sent.year, sent.time, frozenset(parts)))


def uk(moment: datetime) -> datetime:
    """A moment in UK local time; a moment without a zone is taken as UTC."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UK)


def shown_moment(moment: datetime) -> str:
    """30 Nov 2026 09:15 GMT, or 01 Jul 2026 10:15 BST."""
    return uk(moment).strftime("%d %b %Y %H:%M %Z")


def iso_of(moment: datetime | date | None) -> str:
    """A value for a link's query string, read back by `asked`."""
    return "" if moment is None else moment.isoformat()
