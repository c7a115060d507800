"""The national store: one PostgreSQL log seeded once per run through the application's batched
saves, shared by the sections that read a large log (rebuild, where-is, time travel).

Run alone (seed, describe, drop): .venv/bin/python -m ops.bench.store [--people 20000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg

from domain.service.application import JourneyApp
from domain.service.settings import Settings
from ops.bench.append import PEOPLE_PER_SAVE, build_person
from ops.bench.common import Figure, machine, scratch_database, table
from ops.bench.people import save_people

# Seeding runs in this many processes, each saving its own range of people: the application's
# write path is CPU-bound Python, so one process leaves PostgreSQL and the other core idle, and
# on a shared machine a few more keep the seeding's share of the cores.
SEEDERS = 6
EVENTS_PER_PERSON = 11
RAW_COPY_TABLE = "bench_copy_events"


@dataclass(frozen=True)
class Store:
    url: str
    people: int
    events: int
    seed_s: float
    copy_s: float
    size: str
    load: tuple[float, float]

    @property
    def seeding(self) -> Figure:
        """How fast the store was written, beside a streamed COPY of the same rows."""
        name = f"seeding, batched saves ({SEEDERS} processes)"
        return Figure(name, self.events, self.seed_s, "streamed COPY", self.copy_s)

    def describe(self) -> str:
        return f"{self.people:,} people, {self.events:,} events, database {self.size} after seeding"


def load_average() -> float:
    """The one-minute load average (the machine is shared; each section reports it)."""
    return os.getloadavg()[0]


def _seed_range(url: str, first: int, last: int) -> None:
    # One connection at a time is all a seeder uses; the server's connections are shared.
    app = JourneyApp(Settings(database_url=url + ("&" if "?" in url else "?") + "pool_size=1"))
    try:
        for start in range(first, last + 1, PEOPLE_PER_SAVE * 10):
            stop = min(start + PEOPLE_PER_SAVE * 10, last + 1)
            save_people(app, [build_person(n) for n in range(start, stop)], PEOPLE_PER_SAVE)
    finally:
        app.close()


def seed(url: str, people: int, seeders: int = SEEDERS) -> int:
    """Save `people` people of 11 events each, in `seeders` processes; returns the events."""
    JourneyApp(Settings(database_url=url)).close()  # creates the tables once, before the race
    share = -(-people // seeders)
    spans = [(1 + k * share, min(people, (k + 1) * share)) for k in range(seeders)]
    ctx = multiprocessing.get_context("spawn")
    children = [ctx.Process(target=_seed_range, args=(url, a, b)) for a, b in spans if a <= b]
    for child in children:
        child.start()
    for child in children:
        child.join()
        if child.exitcode != 0:
            raise RuntimeError(f"a seeding process failed with exit code {child.exitcode}")
    analyze(url)
    with psycopg.connect(Settings(database_url=url).database.conninfo()) as conn:
        row = conn.execute("SELECT count(*) FROM journeys_events").fetchone()
    return int(row[0]) if row else 0


def analyze(url: str) -> None:
    """Planner statistics for every table, as autovacuum would gather on a live server. Without
    them (a server with autovacuum off, or a fresh restore) PostgreSQL guesses a person's events
    at 10 million rows to be a large share of the table, and each lookup takes a parallel scan
    with JIT compilation: tens of milliseconds instead of one."""
    with psycopg.connect(Settings(database_url=url).database.conninfo(), autocommit=True) as conn:
        conn.execute("ANALYZE")


def streamed_copy(url: str) -> float:
    """COPY of every stored event row into a table of the same shape, streamed from the events
    table in binary (so the baseline also pays for reading them); the table is dropped after."""
    conninfo = Settings(database_url=url).database.conninfo()
    columns = "originator_id, originator_version, topic, state"
    with psycopg.connect(conninfo) as source, psycopg.connect(conninfo) as target:
        target.execute(
            f"CREATE TABLE {RAW_COPY_TABLE} (originator_id uuid NOT NULL, originator_version "
            "bigint NOT NULL, topic text, state bytea, notification_id bigserial, "
            "PRIMARY KEY (originator_id, originator_version))"
        )
        target.execute(f"CREATE UNIQUE INDEX ON {RAW_COPY_TABLE} (notification_id)")
        target.commit()
        started = time.perf_counter()
        with (
            source.cursor().copy(
                f"COPY (SELECT {columns} FROM journeys_events) TO STDOUT (FORMAT BINARY)"
            ) as out,
            target.cursor().copy(
                f"COPY {RAW_COPY_TABLE} ({columns}) FROM STDIN (FORMAT BINARY)"
            ) as into,
        ):
            for block in out:
                into.write(block)
        target.commit()
        elapsed = time.perf_counter() - started
        target.execute(f"DROP TABLE {RAW_COPY_TABLE}")
        target.commit()
    return elapsed


def database_size(url: str) -> str:
    with psycopg.connect(Settings(database_url=url).database.conninfo()) as conn:
        row = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()
    return str(row[0]) if row else "?"


@contextmanager
def national_store(people: int) -> Iterator[Store]:
    """A scratch database seeded with `people` people, dropped when the block ends."""
    with scratch_database("journey_bench_national") as url:
        before = load_average()
        started = time.perf_counter()
        events = seed(url, people)
        seed_s = time.perf_counter() - started
        size = database_size(url)
        copy_s = streamed_copy(url)
        yield Store(url, people, events, seed_s, copy_s, size, (before, load_average()))


def section(store: Store) -> str:
    """The markdown section describing the shared store and how fast it was written."""
    return (
        "### The shared store (PostgreSQL)\n\n"
        f"One log seeded once for this run and shared by the rebuild, where-is and time-travel "
        f"sections: {store.describe()}. Each person has {EVENTS_PER_PERSON} events "
        "(registration, nine journey entries, identifier claim), saved through the application "
        f"{PEOPLE_PER_SAVE} people per transaction by {SEEDERS} processes, then analysed for the "
        "planner (included in the seeding time). The baseline streams "
        "the same stored rows out of the events table and COPYs them into a table of the same "
        "shape.\n\n"
        f"{table([store.seeding], 'events')}\n\n"
        f"Seeding took {store.seed_s:,.0f} s. {loads(store.load)}\n"
    )


def loads(pair: tuple[float, float]) -> str:
    return f"Load average (1 min) at start / end: {pair[0]:.2f} / {pair[1]:.2f}."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=20_000, help="people (11 events each)")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with national_store(args.people) as store:
        print(section(store))


if __name__ == "__main__":
    main()
