"""Full rebuild of every read model from a PostgreSQL log, beside a raw sequential read of the
same events table and the event store library's stock per-event ProjectionRunner on a sample.

Run: .venv/bin/python -m ops.bench.rebuild [--people 190000] [--sample 3000]
"""

from __future__ import annotations

import multiprocessing
import resource
import time
from typing import Any

import psycopg
from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.projection import Projection, ProjectionRunner

from domain.person.aggregate import Person
from domain.service.application import JourneyApp
from domain.service.settings import Settings
from ops.bench.common import Option, run_alone, scratch_database
from ops.bench.store import Store, seed
from projections.db import open_read_db
from projections.rebuild import rebuild
from projections.rows import location_rows
from projections.schema import BY_NAME
from projections.tables import ensure

OPTIONS = (
    Option("--people", int, 190_000, "people (11 events each)"),
    Option("--sample", int, 3000, "events for the stock runner"),
)


def raw_read(url: str) -> tuple[int, float]:
    """Every row of the events table, streamed in table order: the floor for any rebuild."""
    settings = Settings(database_url=url)
    rows = 0
    with psycopg.connect(settings.database.conninfo()) as conn:
        started = time.perf_counter()
        with conn.cursor(name="raw") as cur:
            cur.itersize = 10_000
            cur.execute(
                "SELECT originator_id, originator_version, topic, state FROM journeys_events"
            )
            for _ in cur:
                rows += 1
        return rows, time.perf_counter() - started


def _rebuild_child(url: str, queue: Any) -> None:
    settings = Settings(database_url=url)
    app = JourneyApp(settings)
    db = open_read_db(settings.database)
    ensure(db)
    started = time.perf_counter()
    rebuild(app, db, list(BY_NAME), chunk=2000)
    elapsed = time.perf_counter() - started
    db.close()
    app.close()
    # Peak resident memory of the rebuild process and, separately, of its largest worker.
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    queue.put((elapsed, max(own, workers)))


def our_rebuild(url: str) -> tuple[float, float]:
    """The project's rebuild of all four read models, in its own process for a clean peak RSS."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=_rebuild_child, args=(url, queue))
    child.start()
    elapsed, peak_mib = queue.get()
    child.join()
    return elapsed, peak_mib


# ---- the library's stock runner, doing the same work one event per transaction ----

STOCK_URL: dict[str, str] = {}


class StockApp(JourneyApp):
    name = "Journeys"

    def __init__(self, env: Any = None) -> None:
        super().__init__(Settings(database_url=STOCK_URL["url"]))


class StockView(PostgresTrackingRecorder):
    def save(self, row: tuple[Any, ...], tracking: Tracking) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                "INSERT INTO stock_location VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
                "%s, %s) ON CONFLICT (person_id) DO UPDATE SET status = EXCLUDED.status, "
                "agency = EXCLUDED.agency, version = EXCLUDED.version",
                row,
            )
            self._insert_tracking(curs, tracking)


class StockProjection(Projection[StockView]):
    name = "stock"
    app: JourneyApp

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if not type(domain_event).__module__.startswith("domain.person"):
            self.view.insert_tracking(tracking)
            return
        person: Person = self.app.repository.get(
            domain_event.originator_id, version=domain_event.originator_version
        )
        state = person.state()
        assert state is not None
        self.view.save(location_rows(state)[0], tracking)


def stock_runner(url: str, sample: int) -> tuple[int, float]:
    settings = Settings(database_url=url)
    with psycopg.connect(settings.database.conninfo(), autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE stock_location (person_id TEXT PRIMARY KEY, status TEXT, "
            "agency TEXT, agency_kind TEXT, prison TEXT, destination TEXT, cell TEXT, "
            "since TIMESTAMPTZ, movement_type TEXT, direction TEXT, reason_code TEXT, "
            "entry BIGINT, version BIGINT)"
        )
        target = conn.execute(
            "SELECT notification_id FROM journeys_events ORDER BY "
            "notification_id OFFSET %s LIMIT 1",
            (sample - 1,),
        ).fetchone()
    assert target is not None
    STOCK_URL["url"] = url
    env = settings.database.event_store_env()
    StockProjection.app = JourneyApp(settings)
    started = time.perf_counter()
    with ProjectionRunner(
        application_class=StockApp, projection_class=StockProjection, view_class=StockView, env=env
    ) as runner:
        runner.wait(target[0], timeout=3600)
        elapsed = time.perf_counter() - started
    StockProjection.app.close()
    return sample, elapsed


def measure(url: str, sample: int) -> tuple[int, float, float, float, int, float]:
    """Raw read, the project's rebuild and the stock runner on one log."""
    rows, raw_s = raw_read(url)
    ours_s, peak = our_rebuild(url)
    sampled, stock_s = stock_runner(url, sample)
    return rows, raw_s, ours_s, peak, sampled, stock_s


def section(people: int, sample: int, store: Store | None = None) -> str:
    """The markdown section for the benchmark report; on the shared store when given one."""
    if store is None:
        with scratch_database() as url:
            started = time.perf_counter()
            seed(url, people)
            seeded = f"seeded for this section in {time.perf_counter() - started:.0f} s"
            events, raw_s, ours_s, peak, sampled, stock_s = measure(url, sample)
    else:
        people, seeded = store.people, "the shared store"
        events, raw_s, ours_s, peak, sampled, stock_s = measure(store.url, sample)
    ours, raw, stock = events / ours_s, events / raw_s, sampled / stock_s
    return (
        "### Rebuilding every read model (PostgreSQL)\n\n"
        f"A log of {events:,} events ({people:,} people, {seeded}). The rebuild "
        "fills new generations of all four projections from the log and swaps them in; the "
        f"raw read streams every row of the events table; the stock runner is the event store "
        f"library's `ProjectionRunner`, one event per transaction, on the first {sampled:,} "
        "events.\n\n"
        "| measurement | events | rate | baseline (same run) | ratio | target |\n"
        "|---|---:|---:|---|---:|---|\n"
        f"| full rebuild, all read models | {events:,} | {ours:,.0f} events/s | raw sequential "
        f"read: {raw:,.0f} rows/s | {ours / raw:.2f} | at least 0.40 |\n"
        f"| full rebuild, all read models | {events:,} | {ours:,.0f} events/s | stock "
        f"ProjectionRunner: {stock:,.0f} events/s | {ours / stock:.0f} | at least 20 |\n\n"
        f"Rebuild {ours_s:,.0f} s, raw read {raw_s:,.0f} s. Peak resident memory of any "
        f"rebuild process: {peak:,.0f} MiB.\n"
    )


if __name__ == "__main__":
    run_alone(__doc__, section, *OPTIONS)
