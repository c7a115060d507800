"""The retention review on PostgreSQL at national size: `journey retention review` (one SQL pass
over the read models) beside a plain read of the same joined rows without the rules.

The review reads only the read models, so they are written here directly by the projections' own
row makers from people built in memory (not stored as events): varied sentences ending 2001 to
2027, releases, second receptions, escapes, young offender institutions, holds and restrictions.

Run alone: .venv/bin/python -m ops.bench.retention [--people 910000]
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from domain.person.aggregate import Person
from domain.retention import RULES
from domain.service.settings import Settings
from ops.bench.common import Option, run_alone, scratch_database, timed
from ops.bench.people import Loaded
from ops.sample import noms_number
from projections import tables
from projections.db import ReadDb, open_read_db
from projections.retention import earliest_not_due, review
from projections.schema import PROJECTIONS

ON = date(2026, 12, 1)
BATCH = 5_000
RUNS = 3
OPTIONS = (Option("--people", int, 20_000, "people in the read models"),)


def person(n: int) -> Person:
    """One person: a reception between 2000 and 2021, a sentence expiring one to six years on,
    and, depending on `n`, a release, a second spell, an escape, a YOI, a hold or a restriction."""
    start = datetime(2000, 1, 3, 9, tzinfo=UTC) + timedelta(days=(n * 7919) % 8000)
    load = Loaded(noms_number(n), start, "bench", "bench")
    made = load.register("Bench", f"R{n}", date(1970 + n % 30, 1 + n % 12, 1 + n % 28))
    prison = "FYI" if n % 20 == 0 else "LEI"
    made.admit(load.at(0), prison=prison, reason="N")
    sed = (start + timedelta(days=365 * (1 + n % 6))).date()
    made.record_key_dates(load.at(1), dates={"SED": sed})
    if n % 7 == 0:
        return made  # still in custody
    made.release(load.at(24 * 300), from_agency=prison, reason="ESCP" if n % 50 == 1 else "CR")
    if n % 10 == 3:
        made.admit(load.at(24 * 400), prison=prison, reason="N")
        made.release(load.at(24 * 420), from_agency=prison, reason="CR")
    if n % 97 == 0:
        made.hold_retention(replace(load.at(24 * 500), reason="civil claim"))
    if n % 89 == 0:
        made.restrict(replace(load.at(24 * 501), reason="accuracy contested"))
    return made


def fill(db: ReadDb, people: int) -> float:
    """Every read model's rows for `people` people, written in batches; returns the seconds."""
    tables.ensure(db)
    started = time.perf_counter()
    for first in range(1, people + 1, BATCH):
        last = min(people, first + BATCH - 1)
        states = [s for n in range(first, last + 1) if (s := person(n).state(checked=False))]
        with db.transaction() as cur:
            for projection in PROJECTIONS:
                tables.write_states(cur, db.dialect, projection, 1, states, replace=False)
    with db.transaction() as cur:
        for projection in PROJECTIONS:
            tables.analyze(cur, projection, 1)
    return time.perf_counter() - started


def plain(db: ReadDb, on: date) -> int:
    """The baseline: the same joined candidate rows, without the rules' CASE."""
    cutoff = earliest_not_due(on, RULES[0].years)
    rows = db.query(
        "SELECT r.person_id, p.noms, p.given_name, p.family_name, l.status, r.sentence_end "
        "FROM rm_retention r JOIN rm_people p ON p.person_id = r.person_id "
        "JOIN rm_location l ON l.person_id = r.person_id "
        "WHERE r.sentence_end < %s ORDER BY r.sentence_end, p.noms, r.person_id",
        (cutoff,),
    )
    return len(rows)


def best(fn: Callable[[], object]) -> float:
    return min(timed(fn) for _ in range(RUNS))


def section(people: int) -> str:
    """The markdown section for the benchmark report."""
    with scratch_database() as url:
        db = open_read_db(Settings(database_url=url).database)
        try:
            filled = fill(db, people)
            found = review(db, ON)
            reviewed = best(lambda: review(db, ON))
            baseline = best(lambda: plain(db, ON))
        finally:
            db.close()
    kept = ", ".join(f"{k} {v:,}" for k, v in sorted(found.outcomes.items()))
    return (
        "### Retention review (PostgreSQL)\n\n"
        f"`journey retention review --as-of {ON}` over read models holding {found.people:,} "
        f"people, written by the projections' own row makers from people built in memory "
        f"({filled:.0f} s). Best of {RUNS} runs each, from one process.\n\n"
        "| measurement | people | candidates | time | baseline (same run) | ratio |\n"
        "|---|---:|---:|---:|---|---:|\n"
        f"| retention review, one SQL pass | {found.people:,} | {found.candidates:,} | "
        f"{reviewed:.2f} s | same rows without the rules: {baseline:.2f} s | "
        f"{reviewed / baseline:.2f} |\n\n"
        f"Outcomes: {kept}.\n"
    )


if __name__ == "__main__":
    run_alone(__doc__, section, *OPTIONS)
