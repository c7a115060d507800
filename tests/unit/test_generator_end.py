"""The generator never writes an entry after its end, whatever the seed, size and end."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from ops.generator import Generator, write
from replay.formats import LONDON

TODAY = datetime.now(UTC).replace(microsecond=0)


def last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


# The days the clock has tripped up: today and yesterday, month ends, leap days, and the
# weekends the clocks change in Europe/London (the hour that repeats or never happens).
SPECIAL_DAYS = [
    TODAY.date(),
    TODAY.date() - timedelta(days=1),
    *(month_end(year, month) for year in (2024, 2025, 2026) for month in range(1, 13)),
    date(2024, 2, 29),
    date(2028, 2, 29),
    date(2025, 3, 1),
    *(last_sunday(year, month) for year in (2024, 2025, 2026, 2027) for month in (3, 10)),
]

special_ends = st.builds(
    lambda day, minutes: datetime.combine(day, time(), LONDON) + timedelta(minutes=minutes),
    st.sampled_from(SPECIAL_DAYS),
    st.integers(min_value=-180, max_value=24 * 60 + 180),
)
any_ends = st.datetimes(
    min_value=datetime(2021, 1, 1), max_value=TODAY.replace(tzinfo=None), timezones=st.just(UTC)
)


def lines(generator: Generator, people: int, file_format: str) -> list[dict[str, object]]:
    out = io.BytesIO()
    write(out, generator.people(people), file_format)
    return [orjson.loads(line) for line in out.getvalue().splitlines()]


def effective(record: dict[str, object]) -> datetime:
    """When a line happened, read as a load reads it (NOMIS keeps UK local time)."""
    if "occurred_at" in record:
        return datetime.fromisoformat(str(record["occurred_at"]))
    day = date.fromisoformat(str(record["movementDate"]))
    return datetime.combine(day, time.fromisoformat(str(record["movementTime"])), LONDON)


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**31),
    people=st.integers(min_value=1, max_value=300),
    years=st.floats(min_value=0.5, max_value=3),
    end=st.one_of(special_ends, any_ends),
    noise=st.booleans(),
    file_format=st.sampled_from(["jsonl", "nomis"]),
)
def test_no_line_falls_after_the_end(
    *, seed: int, people: int, years: float, end: datetime, noise: bool, file_format: str
) -> None:
    generator = Generator(seed=seed, years=years, end=end, noise=noise)
    for record in lines(generator, people, file_format):
        assert effective(record) < end, record


def test_the_run_that_once_wrote_past_its_end() -> None:
    # Check the demo's generation of 2026-12-01 (seed 1, ten years to the day before): it wrote
    # 19 entries after its end, 7 of them after the clock, and the load refused the whole file.
    end = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    generator = Generator(seed=1, years=10, end=end)
    late = [
        line
        for journey in generator.people(20_000)
        for line in journey.lines
        if datetime.fromisoformat(line["occurred_at"]) >= end
    ]
    assert late == []
