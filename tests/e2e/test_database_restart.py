"""PostgreSQL crashes and comes back under write load: the API answers 503 problem details at
once while it is down, recovers without a restart of its own, the projection worker waits the
outage out, and every acknowledged command is recorded exactly once. The database is a private
cluster the test may stop."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

from api.auth import Role
from api.config import ApiSettings
from domain.service.application import JourneyApp
from domain.service.settings import Settings
from projections.db import open_read_db
from projections.runner import OUTAGE, Runner
from projections.verify import verify
from tests.e2e.commander import (
    PROBLEM,
    Commander,
    missing_or_doubled,
    recorded_refs,
    seed_people,
)
from tests.e2e.conftest import LiveApi, serve
from tests.pgcluster import Cluster, private_cluster

pytestmark = pytest.mark.postgres
# Far beyond a fail-fast answer, far below the ~50 s the store's default retries took.
ANSWERS_WITHIN = 15.0


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    with private_cluster() as started:
        yield started


@dataclass
class Worker:
    """The projection worker, following the log in a thread, as `journey projections run`."""

    runner: Runner
    stop: threading.Event
    thread: threading.Thread

    def wait_for_head(self, seconds: float) -> None:
        """Until the worker has applied the whole log; this process's own pools may still be
        waiting to reconnect after the restart, so their refusals only mean: not yet."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                head = self.runner.app.recorder.max_notification_id() or 0
                if self.runner.position() >= head:
                    return
            except OUTAGE:
                pass
            assert time.monotonic() < deadline, "the worker did not catch up"
            time.sleep(0.2)


@pytest.fixture
def url(cluster: Cluster) -> str:
    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute("CREATE DATABASE journey")
    return cluster.url.removesuffix("/postgres") + "/journey?pool_size=4"


@pytest.fixture
def worker(url: str) -> Iterator[Worker]:
    settings = Settings(database_url=url)
    app, stop = JourneyApp(settings), threading.Event()
    runner = Runner(app, open_read_db(settings.database))
    thread = threading.Thread(target=runner.run, args=(stop,), kwargs={"outage": 0.5})
    thread.start()
    try:
        yield Worker(runner, stop, thread)
    finally:
        stop.set()
        thread.join(timeout=30)
        runner.db.close()
        app.close()


@pytest.fixture
def api(
    url: str, worker: Worker, tmp_path: Path
) -> Iterator[tuple[LiveApi, list[tuple[str, str]]]]:
    app = JourneyApp(Settings(database_url=url))
    try:
        people = seed_people(app, 12, prefix="P")
    finally:
        app.close()
    worker.wait_for_head(60)
    settings = ApiSettings(
        store=Settings(database_url=url), dev_key_path=str(tmp_path / "dev-key.pem")
    )
    for live in serve(settings):
        yield live, people


def unavailable(response: httpx.Response, what: str) -> None:
    print(f"\n{what}: 503 after {response.elapsed.total_seconds():.1f} s", end="")
    assert response.status_code == 503, (what, response.status_code, response.text)
    assert response.elapsed.total_seconds() < ANSWERS_WITHIN, (what, response.elapsed)
    assert response.headers["content-type"] == PROBLEM, what
    body = response.json()
    assert (body["status"], body["type"].rsplit("/", 1)[-1]) == (503, "unavailable"), what
    assert response.headers["retry-after"], what


def until_ok(http: httpx.Client, path: str, headers: dict[str, str], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while http.get(path, headers=headers).status_code != 200:
        assert time.monotonic() < deadline, f"{path} did not recover"
        time.sleep(0.2)


def test_postgres_restarted_under_load_loses_nothing_acknowledged(
    api: tuple[LiveApi, list[tuple[str, str]]], cluster: Cluster, worker: Worker
) -> None:
    live, people = api
    staff = live.headers(Role.PRISON)
    load = Commander(live.base, staff, people).start()
    try:
        load.wait_for_acks(20)
        cluster.stop("immediate")
        acked_before = len(load.acked)
        # Check reads and commands alike answer 503 problem details, and soon.
        noms, prison = people[0]
        command = {"prison": prison, "cell": "D-1-001", "occurred_at": "2025-01-01T10:00:00Z"}
        with httpx.Client(base_url=live.base, headers=staff, timeout=60) as http:
            unavailable(http.get(f"/people/{noms}"), "where-is")
            unavailable(http.get(f"/people/{noms}/timeline"), "timeline")
            unavailable(http.get("/search", params={"name": "safety"}), "search")
            unavailable(http.get("/ready"), "ready")
            unavailable(http.post(f"/people/{noms}/cell-moves", json=command), "command")
            keyed = {"Idempotency-Key": "while-down"}
            unavailable(
                http.post(f"/people/{noms}/cell-moves", json=command, headers=keyed),
                "keyed command",
            )
            # Check the same server answers again once the database is back, with no restart.
            cluster.start()
            until_ok(http, f"/people/{noms}", staff, 60)
        load.wait_for_acks(len(load.acked) + 20)
    finally:
        load.finish()
    # Commands refused or cut off while the database was down are sent again with their key.
    refused = set(load.unanswered)
    retried = load.retry_unanswered()
    assert retried == len(refused)
    assert load.statuses[503] > 0, load.statuses
    # Check the projection worker waited out the outage and caught up on its own.
    worker.wait_for_head(60)
    assert worker.thread.is_alive()
    with httpx.Client(base_url=live.base, timeout=60) as http:
        until_ok(http, "/ready", {}, 30)
    # Check every acknowledged command is in the log exactly once, retried ones included.
    counts = recorded_refs(worker.runner.app, people)
    assert acked_before >= 20
    missing, doubled = missing_or_doubled(load.acked.values(), counts)
    assert not missing and not doubled, (missing, doubled)
    once = sum(counts[c.recorded_as] == 1 for c in load.acked.values())
    print(
        f"\nacknowledged {acked_before} before the stop and {len(load.acked)} in all, found "
        f"once {once}, retried after 503 or a cut "
        f"{retried}; answers {dict(load.statuses)}"
    )
    drift = verify(worker.runner.app, worker.runner.db)
    assert drift.total == 0, drift.examples
