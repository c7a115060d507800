"""Time travel on PostgreSQL: a person with 200 events asked where they were at a past instant
and what the system showed at a past moment, beside the current answer from the read model.
On the shared store when the suite gives it one, so the log around the person is full size.

Run alone: .venv/bin/python -m ops.bench.travel [--people 20000]
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from domain.provenance import Provenance
from domain.service.application import JourneyApp
from domain.service.catalogue import Admit, MoveCell
from domain.service.settings import Settings
from ops.bench.common import Option, run_alone, scratch_database, timed
from ops.bench.store import Store, seed
from projections.db import open_read_db
from projections.queries import person_record_by_identifier
from projections.runner import Runner

END = datetime(2026, 11, 1, tzinfo=UTC)
LONG_HISTORY = "Z9999ZZ"
ENTRIES = 200
ASKS = 200
OPTIONS = (Option("--people", int, 2000, "people in the log around"),)


def long_history(app: JourneyApp, entries: int) -> None:
    """One person with `entries` events: cell moves and court days over the years."""
    start = END - timedelta(days=entries * 3)

    def p(i: int) -> Provenance:
        return Provenance("bench", "NOMIS", start + timedelta(days=i * 3), source_ref=f"lh-{i}")

    app.register(
        p(-1),
        given_name="Long",
        family_name="History",
        date_of_birth=date(1970, 1, 1),
        identifiers={"NOMS": LONG_HISTORY},
    )
    app.handle(LONG_HISTORY, [Admit(prison="LEI", movement_reason="N")], p(0))
    for i in range(1, entries - 2):
        app.handle(LONG_HISTORY, [MoveCell(prison="LEI", cell=f"A-1-{i % 40 + 1:03d}")], p(i))


def latencies(fn: Callable[[], object], times: int) -> list[float]:
    return sorted(timed(fn) for _ in range(times))


def pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


def measure(url: str) -> dict[str, list[float]]:
    """Latencies of the three questions about one long-history person in the store at `url`."""
    settings = Settings(database_url=url + "?pool_size=2")
    app = JourneyApp(settings)
    db = open_read_db(settings.database)
    try:
        long_history(app, ENTRIES)
        # After a rebuild this only reads the new person's events; on a fresh log, all of them.
        Runner(app, db).catch_up()
        assert len(app.person(LONG_HISTORY).entries) >= ENTRIES - 2
        past, known = END - timedelta(days=300), datetime.now(UTC)
        return {
            "as_of": latencies(lambda: app.state(LONG_HISTORY, as_of=past), ASKS),
            "as_known": latencies(lambda: app.state(LONG_HISTORY, as_known_at=known), ASKS),
            "current": latencies(lambda: person_record_by_identifier(db, LONG_HISTORY), ASKS),
        }
    finally:
        db.close()
        app.close()


def section(people: int, store: Store | None = None) -> str:
    """The markdown section for the benchmark report."""
    if store is None:
        with scratch_database() as url:
            events = seed(url, people, seeders=1)
            found = measure(url)
        where = f"a log of {events:,} events ({people:,} people) seeded for this section"
    else:
        found = measure(store.url)
        where = f"the shared store ({store.describe()})"
    as_of, as_known, current = found["as_of"], found["as_known"], found["current"]
    return (
        "### Time travel (PostgreSQL)\n\n"
        f"One person with {ENTRIES} events added to {where}; each question asked {ASKS} times "
        "in turn, from one process.\n\n"
        f"| query (person with {ENTRIES} events) | p50 | p99 |\n|---|---:|---:|\n"
        f"| where was the person (`as_of`), from the log | {pct(as_of, 0.5):.1f} ms | "
        f"{pct(as_of, 0.99):.1f} ms |\n"
        f"| what did the system show (`as_known_at`), from the log | {pct(as_known, 0.5):.1f} ms"
        f" | {pct(as_known, 0.99):.1f} ms |\n"
        f"| baseline: current answer from the read model | {pct(current, 0.5):.1f} ms | "
        f"{pct(current, 0.99):.1f} ms |\n"
        f"\nRatio of time-travel p50 to the read-model p50: "
        f"{statistics.median(as_of) / statistics.median(current):.1f}.\n"
    )


if __name__ == "__main__":
    run_alone(__doc__, section, *OPTIONS)
