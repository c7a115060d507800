"""Erasing one person on PostgreSQL: the dry run and the real run (keys destroyed, rows
shredded, read-model rows deleted, access log pseudonymised, destruction log written), one
person at a time, beside the baseline of reading the same person's record from the log.

Run alone: .venv/bin/python -m ops.bench.erasure [--people 20000]
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from api.access_log import Access, AccessLog
from api.erasure_cover import covers
from domain.service.application import JourneyApp
from domain.service.settings import Settings
from ops.bench.common import Option, run_alone, scratch_database
from ops.bench.store import Store, seed
from ops.sample import noms_number
from projections.db import open_read_db
from projections.runner import Runner
from replay.erasure import Erasure

ERASED = 20
OPTIONS = (Option("--people", int, 2000, "people in the store"),)
RULE = "NO-LONGER-NEEDED"


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def measure(url: str, people: int) -> dict[str, list[float]]:
    """Seconds to read, plan and erase each of `ERASED` people spread through the store."""
    settings = Settings(database_url=url + "?pool_size=2")
    with JourneyApp(settings) as app:
        db = open_read_db(settings.database)
        try:
            Runner(app, db).catch_up()
            erasure = Erasure(app, db, covers(db))
            found: dict[str, list[float]] = {"read": [], "plan": [], "erase": []}
            for k in range(ERASED):
                noms = noms_number(1 + k * (people // ERASED))
                erasure_of(app, erasure, noms, found)
            return found
        finally:
            db.close()


def erasure_of(app: JourneyApp, erasure: Erasure, noms: str, found: dict[str, list[float]]) -> None:
    # The access log holds an entry about each erased person, to pseudonymise.
    pid = str(app.resolve(noms))
    AccessLog(erasure.db).record([Access("bench", "admin", "person.read", "b", pid)])
    found["read"].append(timed(lambda: app.state(noms)))
    plan = erasure.plan(noms, RULE)
    found["plan"].append(timed(lambda: erasure.plan(noms, RULE)))
    found["erase"].append(
        timed(lambda: erasure.erase(noms, RULE, "retention period over", "bench", plan.token))
    )


def ms(values: list[float], q: float) -> str:
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000:.0f} ms"


def section(people: int, store: Store | None = None) -> str:
    """The markdown section for the benchmark report."""
    with scratch_database() as url:
        events = seed(url, people, seeders=1)
        found = measure(url, people)
    read, plan, erase = found["read"], found["plan"], found["erase"]
    return (
        "### Erasing a person (PostgreSQL)\n\n"
        f"{ERASED} people erased one at a time from a store of {people:,} people "
        f"({events:,} events, read models built, an access-log entry each).\n\n"
        "| step (one person) | p50 | max |\n|---|---:|---:|\n"
        f"| baseline: the person's state from the log | {ms(read, 0.5)} | {ms(read, 1)} |\n"
        f"| dry run (what goes, and its token) | {ms(plan, 0.5)} | {ms(plan, 1)} |\n"
        f"| erasure (dry run again, keys, rows, log) | {ms(erase, 0.5)} | {ms(erase, 1)} |\n"
        f"\nRatio of the erasure's p50 to the baseline's: "
        f"{statistics.median(erase) / statistics.median(read):.1f}.\n"
    )


if __name__ == "__main__":
    run_alone(__doc__, section, *OPTIONS)
