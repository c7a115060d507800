"""Catch-up lag: commands arrive at a steady rate while the projection worker runs as its own
process; for each command, seconds from its commit to its position being visible in every
read model. Figures are p50 and p99.

Run: .venv/bin/python -m ops.bench.lag [--rate 500] [--seconds 30]
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import subprocess
import sys
import threading
import time
from bisect import bisect_left
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.person.aggregate import Person
from domain.provenance import Provenance
from domain.service.application import JourneyApp
from domain.service.settings import Settings
from ops.bench.append import PEOPLE_PER_SAVE, build_person
from ops.bench.common import Option, run_alone, scratch_database
from ops.bench.people import save_people
from ops.sample import noms_number
from projections.db import open_read_db
from projections.tables import ensure

WRITERS = 4
PEOPLE = 2000
OPTIONS = (
    Option("--rate", float, 500.0, "commands per second"),
    Option("--seconds", float, 30.0, "how long to send them"),
)


def seed(app: JourneyApp) -> None:
    save_people(app, [build_person(n) for n in range(1, PEOPLE + 1)], PEOPLE_PER_SAVE)


def writer_process(
    url: str, k: int, rate: float, seconds: float, *, start_at: float, queue: Any
) -> None:
    """One writer as its own process (as API workers are): its results go back on a queue."""
    app = JourneyApp(Settings(database_url=url + "?pool_size=2"))
    out: list[tuple[int, float]] = []
    try:
        share = PEOPLE // WRITERS
        people = [app.person(noms_number(n)) for n in range(1 + k * share, 1 + (k + 1) * share)]
        time.sleep(max(0.0, start_at - time.monotonic()))
        writer(app, people, k=k, rate=rate, seconds=seconds, out=out)
    finally:
        app.close()
        queue.put(out)


def writer(
    app: JourneyApp,
    people: list[Person],
    *,
    k: int,
    rate: float,
    seconds: float,
    out: list[tuple[int, float]],
) -> None:
    """Commands at `rate` per second for `seconds`, each recorded as (position, commit time).
    Each writer owns a share of the people and keeps their aggregates in memory, as a
    command-side cache would: every command is checked by the aggregate and saved as one event
    in its own transaction. Commit times use the system-wide monotonic clock."""
    interval, started = 1.0 / rate, time.monotonic()
    i = 0
    when = datetime(2024, 3, 1, tzinfo=UTC)
    while (due := started + i * interval) < started + seconds:
        time.sleep(max(0.0, due - time.monotonic()))
        person = people[i % len(people)]
        person.move_cell(
            Provenance("bench", "API", when + timedelta(seconds=i)),
            prison="MDI",
            cell=f"C-{k}-{i % 1000:03d}",
        )
        recordings = app.save(person)
        out.append((recordings[-1].notification.id, time.monotonic()))
        i += 1


def monitor(url: str, stop: threading.Event, samples: list[tuple[float, int]]) -> None:
    """The position every read model has reached, sampled every 10 ms."""
    db = open_read_db(Settings(database_url=url).database, pool_size=1)
    try:
        ensure(db)
        while not stop.is_set():
            rows = db.query("SELECT min(position) FROM rm_projections WHERE state = 'live'")
            samples.append((time.monotonic(), int(rows[0][0] or 0)))
            time.sleep(0.01)
    finally:
        db.close()


@contextmanager
def worker_process(url: str) -> Iterator[None]:
    """`journey projections run` on `url` as its own process, for as long as the block runs."""
    env = {**os.environ, "JOURNEY_DATABASE_URL": url}
    env.pop("JOURNEY_REPLICA_URLS", None)
    worker = subprocess.Popen(
        [sys.executable, "-m", "ops.cli", "projections", "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        yield
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def send_commands(url: str, rate: float, seconds: float) -> tuple[list[tuple[int, float]], float]:
    """Commands at `rate` in all from WRITERS writer processes for `seconds`: each command as
    (position, commit time), and the seconds from the agreed start to the last commit."""
    ctx = multiprocessing.get_context("spawn")
    queue: Any = ctx.Queue()
    begin_at = time.monotonic() + 8.0  # time for the writers to start and load people
    writers = [
        ctx.Process(
            target=writer_process,
            args=(url, k, rate / WRITERS, seconds),
            kwargs={"start_at": begin_at, "queue": queue},
        )
        for k in range(WRITERS)
    ]
    for w in writers:
        w.start()
    done = [c for _ in writers for c in queue.get()]
    for w in writers:
        w.join()
    return done, max(t for _, t in done) - begin_at


def run(rate: float, seconds: float) -> dict[str, float]:
    with scratch_database() as url:
        app = JourneyApp(Settings(database_url=url + "?pool_size=2"))
        try:
            seed(app)
            head = app.recorder.max_notification_id() or 0
        finally:
            app.close()
        with worker_process(url):
            samples: list[tuple[float, int]] = []
            stop = threading.Event()
            watcher = threading.Thread(target=monitor, args=(url, stop, samples))
            watcher.start()
            while not samples or samples[-1][1] < head:
                time.sleep(0.05)
            done, elapsed = send_commands(url, rate, seconds)
            last = max(p for p, _ in done)
            while samples[-1][1] < last:
                time.sleep(0.01)
            stop.set()
            watcher.join()
    return summarise(done, samples, elapsed)


def summarise(
    done: list[tuple[int, float]], samples: list[tuple[float, int]], elapsed: float
) -> dict[str, float]:
    times = [t for t, _ in samples]
    positions = [p for _, p in samples]
    lags = []
    for position, committed in done:
        i = bisect_left(times, committed)
        while positions[i] < position:
            i += 1
        lags.append(max(times[i] - committed, 0.0))
    lags.sort()
    return {
        "commands": len(done),
        "rate": len(done) / elapsed,
        "p50": statistics.median(lags),
        "p99": lags[int(0.99 * (len(lags) - 1))],
        "max": lags[-1],
    }


def section(rate: float, seconds: float) -> str:
    """The markdown section for the benchmark report."""
    f = run(rate, seconds)
    return (
        "### Catch-up lag under load (PostgreSQL)\n\n"
        f"{WRITERS} writer processes send commands at {rate:,.0f}/s in all, one event per "
        "transaction (each writer keeps its people's aggregates in memory), for "
        f"{seconds:.0f} s "
        "while `journey projections run` follows the log as its own process. Lag is the time "
        "from a command's commit to its position being visible in every read model (sampled "
        "every 10 ms).\n\n"
        "| commands | achieved rate | p50 | p99 | max | target |\n"
        "|---:|---:|---:|---:|---:|---|\n"
        f"| {f['commands']:,.0f} | {f['rate']:,.0f}/s | {f['p50']:.3f} s | {f['p99']:.3f} s | "
        f"{f['max']:.3f} s | p99 under 1 s |\n" + shortfall(rate, f["rate"])
    )


def shortfall(offered: float, achieved: float) -> str:
    """Say so when the machine could not carry the offered rate of live commands."""
    if achieved >= 0.95 * offered:
        return ""
    return (
        f"\nThe writers could not sustain {offered:,.0f} commands/s: on this machine they "
        f"saturate at about {achieved:,.0f}/s, with the writers, PostgreSQL and the worker "
        "sharing its cores. The lag figures are at that saturated rate.\n"
    )


if __name__ == "__main__":
    run_alone(__doc__, section, *OPTIONS)
