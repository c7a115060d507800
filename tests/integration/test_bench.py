"""The benchmark suite's own plumbing, at a tiny size: the shared store and a report section
built on it. Figures are not checked (speed is the benchmark's business, not a test's)."""

from __future__ import annotations

import re

import pytest

from ops.bench import store as bench_store
from ops.bench import travel
from ops.bench.__main__ import ORDER, existing_sections

PEOPLE = 30


@pytest.mark.postgres
def test_the_shared_store_is_seeded_described_and_used_by_time_travel() -> None:
    with bench_store.national_store(PEOPLE) as shared:
        assert shared.people == PEOPLE
        assert shared.events == PEOPLE * bench_store.EVENTS_PER_PERSON
        section = bench_store.section(shared)
        assert section.startswith(ORDER[0])
        assert f"| {shared.events:,} |" in section
        assert re.search(r"Load average \(1 min\) at start / end: [\d.]+ / [\d.]+\.", section)
        timings = travel.section(0, store=shared)
    assert timings.startswith("### Time travel (PostgreSQL)")
    assert f"{PEOPLE:,} people, {shared.events:,} events" in timings
    rows = [line for line in timings.splitlines() if line.startswith("| ") and "ms |" in line]
    assert len(rows) == 3


def test_a_report_keeps_only_the_sections_the_suite_still_writes() -> None:
    earlier = (
        "# Benchmarks\n\nintro\n\n### Appending events (PostgreSQL)\n\nold figures\n\n"
        "### Loads, voids and time travel (PostgreSQL)\n\nno longer written\n"
    )
    kept = existing_sections(earlier)
    assert list(kept) == ["### Appending events (PostgreSQL)"]
    assert "old figures" in kept["### Appending events (PostgreSQL)"]
