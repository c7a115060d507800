"""Loads and voids on PostgreSQL, each beside its baseline from the same run.

- Import: generated journeys loaded by `journey import` (parse, spool, check every person's
  lines against their history, save), against COPY of the same stored rows.
- Void: voiding that whole batch, against the same number of people's events re-read raw.

Run alone: .venv/bin/python -m ops.bench.recovery [--people N]
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from domain.service.application import JourneyApp
from domain.service.settings import Settings
from ops.bench import load_memory
from ops.bench.append import raw_copy, raw_rows
from ops.bench.common import Figure, Option, run_alone, scratch_database, table, timed
from ops.generator import Generator, write
from replay.importer import Importer, ImportOptions
from replay.voiding import Corrector

END = datetime(2026, 11, 1, tzinfo=UTC)
OPTIONS = (
    Option("--people", int, 2000),
    Option("--larger", int, 0, "also measure a load's peak memory at this size"),
)


def run(people: int) -> list[Figure]:
    with scratch_database() as url, tempfile.TemporaryDirectory() as folder:
        settings = Settings(database_url=url + "?pool_size=2")
        app = JourneyApp(settings)
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
        finally:
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
    return [
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


def section(people: int, larger: int = 0) -> str:
    memory = f"\n{load_memory.section(people, larger)}" if larger else ""
    return (
        "### Loads and voids (PostgreSQL)\n\n"
        f"{people:,} generated people (`journey generate`, about 20 entries each) loaded as one "
        "batch (all or nothing: a checking pass, then the write), then the whole batch voided. "
        "Baselines use the same stored rows with raw psycopg.\n\n"
        f"{table(run(people))}\n{memory}"
    )


if __name__ == "__main__":
    run_alone(__doc__, section, *OPTIONS)
