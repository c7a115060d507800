"""The projection worker as a real process against PostgreSQL: concurrent writers, SIGKILL in
the middle of catch-up and of a rebuild, and exactly-once results every time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from domain.service.application import JourneyApp
from domain.service.catalogue import MoveCell
from domain.service.settings import Settings
from projections import tables
from projections.db import ReadDb, open_read_db
from projections.rebuild import Build, ranges
from projections.runner import Runner
from projections.schema import BY_NAME
from tests.conftest import prov
from tests.helpers import no_drift
from tests.support import PRISONS, START, noms, seed

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg(pg_url: str) -> Iterator[tuple[JourneyApp, ReadDb, str]]:
    settings = Settings(database_url=pg_url)
    app = JourneyApp(settings)
    db = open_read_db(settings.database)
    tables.ensure(db)
    try:
        yield app, db, pg_url
    finally:
        db.close()
        app.close()


def journey_process(url: str, log: Path, *args: str) -> subprocess.Popen[bytes]:
    """`journey ...` as its own process, as an operator would run it."""
    env = {**os.environ, "JOURNEY_DATABASE_URL": url}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ops.cli", *args], env=env, stdout=out, stderr=subprocess.STDOUT
        )


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL, as a crash or the kernel's out-of-memory killer would send, and reap it."""
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def positions(db: ReadDb) -> dict[str, int]:
    with db.transaction(write=False) as cur:
        return {g.name: g.position for g in tables.live(cur).values()}


def test_eight_writers_while_the_worker_runs(
    pg: tuple[JourneyApp, ReadDb, str], tmp_path: Path
) -> None:
    app, db, url = pg
    seed(app, 0, 80)
    worker = journey_process(
        url, tmp_path / "worker.log", "projections", "run", "--batch-size", "50"
    )
    errors: list[BaseException] = []
    written = [0] * 8

    def writer(k: int) -> None:
        # Each writer has ten people of its own, all arrived at their second prison.
        people = [n for n in range(80) if n % 3][k * 6 : (k + 1) * 6]
        try:
            for i in range(40):
                n = people[i % len(people)]
                app.handle(
                    noms(n),
                    [MoveCell(prison=PRISONS[(n + 1) % 5], cell=f"B-{k}-{i:03d}")],
                    prov(START + timedelta(days=10, minutes=i)),
                )
                written[k] += 1
        except BaseException as exc:
            errors.append(exc)

    try:
        threads = [threading.Thread(target=writer, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        head = app.recorder.max_notification_id() or 0
        wait_until(lambda: min(positions(db).values()) >= head, 60, "the worker to catch up")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    # Check every command is in the log once and every read model matches it exactly.
    assert sum(written) == 320
    cells = db.query("SELECT count(*) FROM rm_location WHERE cell LIKE %s", ("B-%",))[0][0]
    assert cells == 48
    no_drift(app, db, 80)


def test_sigkill_during_catch_up_then_restart(
    pg: tuple[JourneyApp, ReadDb, str], tmp_path: Path
) -> None:
    app, db, url = pg
    head = seed(app, 0, 3000)
    log = tmp_path / "worker.log"
    worker = journey_process(url, log, "projections", "run", "--batch-size", "40")
    # Check the kill lands in the middle: some batches committed, the head not reached.
    wait_until(lambda: min(positions(db).values()) > 0, 60, "the first batch")
    kill(worker)
    reached = min(positions(db).values())
    assert 0 < reached < head, (reached, head)
    restarted = journey_process(url, log, "projections", "run", "--once", "--batch-size", "500")
    assert restarted.wait(timeout=300) == 0, log.read_text()
    assert min(positions(db).values()) == app.recorder.max_notification_id()
    no_drift(app, db, 3000)


def test_sigkill_during_rebuild_then_resume(
    pg: tuple[JourneyApp, ReadDb, str], tmp_path: Path
) -> None:
    app, db, url = pg
    seed(app, 0, 3000)
    Runner(app, db).catch_up()
    log = tmp_path / "rebuild.log"
    first = journey_process(
        url, log, "projections", "rebuild", "location", "people", "--chunk", "50"
    )

    def part_built() -> bool:
        with db.transaction(write=False) as cur:
            cur.execute("SELECT to_regclass('rm_rebuild_ranges') IS NOT NULL")
            row = cur.fetchone()
            if not row or not row[0]:
                return False
            cur.execute("SELECT count(*) FROM rm_rebuild_ranges WHERE cursor IS NOT NULL")
            committed = cur.fetchone()
            return bool(committed and committed[0])

    wait_until(part_built, 120, "the rebuild to commit a chunk")
    kill(first)
    with db.transaction(write=False) as cur:
        building = [g for g in tables.generations(cur) if g.state == tables.BUILDING]
    # Check both projections are being filled in one pass, split in ranges with cursors.
    assert {g.name for g in building} == {"location", "people"}
    spans = ranges(db, Build(BY_NAME["location"], building[0].generation, 0))
    assert len(spans) == os.cpu_count() and any(s.cursor for s in spans)
    # Check no worker outlived the killed rebuild.
    time.sleep(0.5)
    before = db.query("SELECT count(*) FROM rm_location_g2")[0][0]
    time.sleep(1.0)
    assert db.query("SELECT count(*) FROM rm_location_g2")[0][0] == before
    # Check the old tables kept serving while the rebuild was half done.
    assert db.query("SELECT count(*) FROM rm_location")[0][0] == 3000
    second = journey_process(
        url, log, "projections", "rebuild", "location", "people", "--chunk", "500"
    )
    assert second.wait(timeout=300) == 0, log.read_text()
    with db.transaction(write=False) as cur:
        states = {(g.name, g.generation, g.state) for g in tables.generations(cur)}
    assert ("location", 2, "live") in states and ("people", 2, "live") in states
    assert not any(state == tables.BUILDING for _, _, state in states)
    no_drift(app, db, 3000)
