"""The primary dies under write load: pg_auto_failover's monitor promotes the synchronous
standby, the API and the projection worker reconnect by themselves (the store URL names every
node, `target_session_attrs=read-write`), commands cut off get 503 and succeed when sent again
with their Idempotency-Key, and every acknowledged command is in the log exactly once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest

from api.auth import Role
from domain.service.settings import Settings
from projections.verify import verify
from tests.clusters import Running, api_and_worker, resent_and_recorded_once, until
from tests.e2e.commander import Command, Commander
from tests.pgfailover import Topology, failover_cluster

pytestmark = pytest.mark.postgres
PROMOTED_WITHIN = 60.0  # seconds from the kill to a new primary, with the test's detection


@pytest.fixture
def cluster() -> Iterator[Topology]:
    with failover_cluster(replicas=1) as started:
        yield started


@pytest.fixture
def url(cluster: Topology) -> str:
    return cluster.primary_url("pool_size=4")


@dataclass
class TimedCommander(Commander):
    """The commander, noting when each answer came and what it was."""

    answers: list[tuple[float, int]] = field(default_factory=list)

    def send(self, http: httpx.Client, command: Command) -> int | None:
        status = super().send(http, command)
        with self.lock:
            self.answers.append((time.monotonic(), status or 0))
        return status

    def downtime(self, since: float) -> float:
        """Seconds from the first refused or cut-off command after `since` to the first
        acknowledged one after the last refusal."""
        with self.lock:
            after = [(t, s) for t, s in self.answers if t >= since]
        failed = [t for t, s in after if not 200 <= s < 300]
        if not failed:
            return 0.0
        back = [t for t, s in after if 200 <= s < 300 and t > failed[-1]]
        return (back[0] if back else failed[-1]) - failed[0]


@pytest.fixture
def running(url: str, tmp_path: Path) -> Iterator[Running]:
    yield from api_and_worker(Settings(database_url=url), tmp_path, 12, "F")


def promoted(cluster: Topology, seconds: float) -> str:
    """The node the monitor made primary once the old one died."""

    def new_primary() -> str:
        try:
            primary = cluster.primary()
        except psycopg.Error:
            return ""  # the monitor may refuse while it fails over: not yet
        return primary.name if primary is not None and primary is not cluster.nodes[0] else ""

    return until(new_primary, seconds, lambda: f"no standby promoted: {cluster.states()}")


def test_primary_killed_under_load_standby_promoted_nothing_acknowledged_lost(
    running: Running, cluster: Topology
) -> None:
    live, people, worker = running.live, running.people, running.worker
    old = cluster.nodes[0]
    assert cluster.primary() is old
    # Check a commit waits for the standby: what was acknowledged is on both.
    assert len(cluster.synchronous(old)) == 1, cluster.states()
    load = TimedCommander(live.base, live.headers(Role.PRISON), people)
    load.start()
    try:
        load.wait_for_acks(30)
        acked_before = len(load.acked)
        killed_at = time.monotonic()
        cluster.kill(old)
        # Check the monitor, not this test, promotes the synchronous standby.
        new = promoted(cluster, PROMOTED_WITHIN)
        promoted_after = time.monotonic() - killed_at
        # Check commands are acknowledged again, with no restart of the API or the worker.
        load.wait_for_acks(len(load.acked) + 30, seconds=90)
    finally:
        load.finish()
    downtime = load.downtime(killed_at)
    # Check the worker caught up on its own, and every acknowledged command is in the log
    # exactly once, those sent again with their key after a 503 or a cut included.
    retried, _ = resent_and_recorded_once(load, worker, people)
    drift = verify(worker.runner.app, worker.runner.db)
    print(
        f"\n{old.name} killed after {acked_before} acknowledged; {new} promoted by the monitor "
        f"after {promoted_after:.1f} s; clients saw {downtime:.1f} s of refusals; "
        f"{len(load.acked)} acknowledged in all, each once; retried with their key after a "
        f"503 or a cut {retried}; answers {dict(load.statuses)}; drift {drift.total}"
    )
    assert drift.total == 0, drift.examples
