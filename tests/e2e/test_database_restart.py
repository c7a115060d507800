"""PostgreSQL crashes and comes back under write load: the API answers 503 problem details at
once while it is down, recovers without a restart of its own, the projection worker waits the
outage out, and every acknowledged command is recorded exactly once. The database is a private
cluster the test may stop."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from api.auth import Role
from domain.service.settings import Settings
from projections.verify import verify
from tests.clusters import Running, api_and_worker, resent_and_recorded_once, until
from tests.e2e.commander import PROBLEM, Commander
from tests.pgcluster import Cluster, private_cluster

pytestmark = pytest.mark.postgres
# Far beyond a fail-fast answer, far below the ~50 s the store's default retries took.
ANSWERS_WITHIN = 15.0


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    with private_cluster() as started:
        yield started


@pytest.fixture
def url(cluster: Cluster) -> str:
    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute("CREATE DATABASE journey")
    return cluster.url.removesuffix("/postgres") + "/journey?pool_size=4"


@pytest.fixture
def running(url: str, tmp_path: Path) -> Iterator[Running]:
    yield from api_and_worker(Settings(database_url=url), tmp_path, 12, "P")


def unavailable(response: httpx.Response, what: str) -> None:
    print(f"\n{what}: 503 after {response.elapsed.total_seconds():.1f} s", end="")
    assert response.status_code == 503, (what, response.status_code, response.text)
    assert response.elapsed.total_seconds() < ANSWERS_WITHIN, (what, response.elapsed)
    assert response.headers["content-type"] == PROBLEM, what
    body = response.json()
    assert (body["status"], body["type"].rsplit("/", 1)[-1]) == (503, "unavailable"), what
    assert response.headers["retry-after"], what


def until_ok(http: httpx.Client, path: str, headers: dict[str, str], seconds: float) -> None:
    until(
        lambda: http.get(path, headers=headers).status_code == 200,
        seconds,
        f"{path} did not recover",
    )


def test_postgres_restarted_under_load_loses_nothing_acknowledged(
    running: Running, cluster: Cluster
) -> None:
    live, people, worker = running.live, running.people, running.worker
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
    # Check the projection worker waited out the outage and caught up on its own, and every
    # acknowledged command is in the log exactly once, retried ones included.
    retried, counts = resent_and_recorded_once(load, worker, people)
    assert load.statuses[503] > 0, load.statuses
    with httpx.Client(base_url=live.base, timeout=60) as http:
        until_ok(http, "/ready", {}, 30)
    assert acked_before >= 20
    once = sum(counts[c.recorded_as] == 1 for c in load.acked.values())
    print(
        f"\nacknowledged {acked_before} before the stop and {len(load.acked)} in all, found "
        f"once {once}, retried after 503 or a cut "
        f"{retried}; answers {dict(load.statuses)}"
    )
    drift = verify(worker.runner.app, worker.runner.db)
    assert drift.total == 0, drift.examples
