"""Loads, voids and time travel on PostgreSQL, each beside its baseline from the same run.

- Import: generated journeys loaded by `journey import` (parse, spool, check every person's
  lines against their history, save), against COPY of the same stored rows.
- Void: voiding that whole batch, against the same number of people's events re-read raw.
- Time travel: a person with 200 events asked where they were at a past instant and as known
  at a past moment, against the current answer from the read model.

Run alone: .venv/bin/python -m ops.bench.recovery [--people N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg

from domain.provenance import Provenance
from domain.service.application import JourneyApp
from domain.service.settings import Settings
from ops.bench.append import raw_copy, raw_rows
from ops.bench.common import Figure, machine, scratch_database, table, timed
from ops.generator import Generator, write
from projections.db import open_read_db
from projections.queries import person_record_by_identifier
from projections.runner import Runner
from replay.importer import Importer, ImportOptions
from replay.voiding import Corrector

END = datetime(2026, 11, 1, tzinfo=UTC)
LONG_HISTORY = "Z9999ZZ"


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
    app.admit(LONG_HISTORY, p(0), prison="LEI", reason="N")
    for i in range(1, entries - 2):
        app.move_cell(LONG_HISTORY, p(i), prison="LEI", cell=f"A-1-{i % 40 + 1:03d}")


def latencies(fn: Callable[[], object], times: int) -> list[float]:
    found = []
    for _ in range(times):
        started = time.perf_counter()
        fn()
        found.append(time.perf_counter() - started)
    return sorted(found)


def pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


def run(people: int) -> tuple[list[Figure], str]:
    with scratch_database() as url, tempfile.TemporaryDirectory() as folder:
        settings = Settings(database_url=url + "?pool_size=2")
        app = JourneyApp(settings)
        db = open_read_db(settings.database)
        try:
            path = Path(folder) / "people.jsonl"
            with path.open("wb") as out:
                write(out, Generator(seed=5, years=10, end=END).people(people), "jsonl")
            options = ImportOptions("GENERATOR", "jsonl", "bench")
            report = None

            def load() -> None:
                nonlocal report
                report = Importer(app).run(path, options)

            import_s = timed(load)
            assert report is not None and report.outcome == "recorded", report
            events = report.entries
            batch_id = report.batch_id
            void_s = timed(lambda: Corrector(app).void(batch_id, reason="bench", by="bench"))
            long_history(app, 200)
            Runner(app, db).catch_up()
            person = app.person(LONG_HISTORY)
            past, known = END - timedelta(days=300), datetime.now(UTC)
            as_of = latencies(lambda: app.state(LONG_HISTORY, as_of=past), 200)
            as_known = latencies(lambda: app.state(LONG_HISTORY, as_known_at=known), 200)
            current = latencies(lambda: person_record_by_identifier(db, LONG_HISTORY), 200)
            assert len(person.entries) >= 198
        finally:
            db.close()
            app.close()
        with psycopg.connect(settings.database.conninfo()) as conn:
            rows = raw_rows(conn, events)
            copy_s = raw_copy(conn, rows)
            started = time.perf_counter()
            conn.execute(
                "SELECT originator_id, originator_version, topic, state FROM journeys_events "
                "WHERE topic LIKE 'domain.person%%' ORDER BY originator_id, originator_version"
            ).fetchall()
            read_s = time.perf_counter() - started
    figures = [
        Figure("import (parse, check, save)", events, import_s, "raw COPY of the rows", copy_s),
        Figure(
            f"void of the whole batch ({people:,} people)",
            events,
            void_s,
            "raw read of every person event",
            read_s,
            "entries/s",
        ),
    ]
    travel = (
        "| query (person with 200 events) | p50 | p99 |\n|---|---:|---:|\n"
        f"| where was the person (`as_of`), from the log | {pct(as_of, 0.5):.1f} ms | "
        f"{pct(as_of, 0.99):.1f} ms |\n"
        f"| what did the system show (`as_known_at`), from the log | {pct(as_known, 0.5):.1f} ms"
        f" | {pct(as_known, 0.99):.1f} ms |\n"
        f"| baseline: current answer from the read model | {pct(current, 0.5):.1f} ms | "
        f"{pct(current, 0.99):.1f} ms |\n"
        f"\nRatio of time-travel p50 to the read-model p50: "
        f"{statistics.median(as_of) / statistics.median(current):.1f}.\n"
    )
    return figures, travel


def section(people: int) -> str:
    figures, travel = run(people)
    return (
        "### Loads, voids and time travel (PostgreSQL)\n\n"
        f"{people:,} generated people (`journey generate`, about 20 entries each) loaded as one "
        "batch (all or nothing: a checking pass, then the write), then the whole batch voided. "
        "Baselines use the same stored rows with raw psycopg.\n\n"
        f"{table(figures)}\n\n{travel}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=2000)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(section(args.people))


if __name__ == "__main__":
    main()
