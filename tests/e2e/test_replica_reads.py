"""Read-your-writes through a streaming replica: a where-is naming the position its command
returned is answered by the replica only once the replica's read models include it (they are
tables on the primary, replicated), never with an older state; a position no replica reaches
in time is answered by the primary; the disclosure is logged on the primary either way."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from api.auth import Role
from domain.service.settings import Settings
from projections.replicas import POSITION
from tests.clusters import Running, api_and_worker
from tests.pgfailover import Topology, failover_cluster

pytestmark = pytest.mark.postgres
WAIT = 2.0  # JOURNEY_REPLICA_WAIT for this test


@pytest.fixture
def cluster() -> Iterator[Topology]:
    with failover_cluster(replicas=1) as started:
        yield started


@pytest.fixture
def running(cluster: Topology, tmp_path: Path) -> Iterator[Running]:
    """The API reading from the replica, and the worker following the primary's log."""
    store = Settings(
        database_url=cluster.primary_url("pool_size=4"),
        replica_urls=(cluster.nodes[2].url,),
        replica_wait=WAIT,
    )
    yield from api_and_worker(store, tmp_path, 4, "R", caught_up=False)


def replica_position(cluster: Topology) -> int:
    with psycopg.connect(cluster.nodes[2].url) as conn:
        row = conn.execute(POSITION).fetchone()
    assert row is not None
    return int(row[0])


def test_a_command_then_a_replica_read_never_sees_an_older_state(
    running: Running, cluster: Topology
) -> None:
    live, people = running.live, running.people
    staff = live.headers(Role.PRISON)
    sources: Counter[str] = Counter()
    for n in range(40):
        noms, prison = people[n % len(people)]
        cell = f"R-{n // 10}-{n:03d}"
        # Each move later than the last, all after the admission a day ago.
        moment = datetime.now(UTC) - timedelta(minutes=60 - n)
        body = {"prison": prison, "cell": cell, "occurred_at": moment.isoformat()}
        moved = live.client.post(f"/people/{noms}/cell-moves", json=body, headers=staff)
        assert moved.status_code == 200, moved.text
        position = moved.json()["position"]
        # Check the read names the command's position and shows the state it made.
        read = live.client.get(f"/people/{noms}", params={"min_position": position}, headers=staff)
        assert read.status_code == 200, read.text
        assert read.json()["location"]["cell"] == cell, (n, read.json()["location"])
        sources[read.headers["X-Read-From"]] += 1
        if read.headers["X-Read-From"] == "replica":
            assert replica_position(cluster) >= position
    # Check the replica answered (a local replica replays within milliseconds).
    assert sources["replica"] >= 30, sources
    # Check search, the roll and a queue read there too, the last move included.
    params = {"min_position": position}
    found = live.client.get("/search", params={**params, "identifier": noms}, headers=staff)
    assert found.status_code == 200, found.text
    assert [p["cell"] for p in found.json()] == [cell]
    listed = live.client.get(f"/prisons/{prison}/roll", params=params, headers=staff)
    assert listed.status_code == 200, listed.text
    assert cell in [p["cell"] for p in listed.json()["people"]]
    queue = live.client.get("/queues/upcoming-releases", params=params, headers=staff)
    assert queue.status_code == 200, queue.text
    assert {r.headers["X-Read-From"] for r in (found, listed, queue)} == {"replica"}
    # Check a position no read model holds yet is answered, after the wait, by the primary.
    noms = people[0][0]
    started = time.monotonic()
    beyond = live.client.get(f"/people/{noms}", params={"min_position": 10**9}, headers=staff)
    waited = time.monotonic() - started
    assert beyond.status_code == 200, beyond.text
    assert beyond.headers["X-Read-From"] == "primary"
    assert WAIT <= waited < WAIT + 5, waited
    # Check every read was logged on the primary, replica reads included.
    person_id = beyond.json()["person_id"]
    reads = [e for e in live.access_log(person_id) if e["action"] == "person.read"]
    assert len(reads) == 10 + 1, len(reads)
    print(
        f"\nreads answered by {dict(sources)}; a position never reached: the primary, "
        f"after {waited:.1f} s"
    )
