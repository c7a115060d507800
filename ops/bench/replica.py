"""Reads from a streaming replica beside reads from the primary, then the replica's lag under
command load. Runs on its own pg_auto_failover topology (ops/cluster: a monitor, a primary, a
synchronous standby and one read replica, on local ports), made and removed by the run.

Run: .venv/bin/python -m ops.bench.replica [--seconds 10] [--connections 16] [--rate 500]
     [--load-seconds 20]
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg

from api.auth import Role, issue_dev_token
from api.config import ApiSettings
from domain.service.settings import Settings
from ops.bench import http, lag
from ops.bench.common import Option, run_alone
from ops.cluster.topology import Topology, topology
from projections.replicas import POSITION

OPTIONS = (
    Option("--seconds", float, 10.0, "seconds of each timed lookup run"),
    Option("--connections", int, 16, "connections of the lookup load"),
    Option("--rate", float, 500.0, "commands per second during the lag run"),
    Option("--load-seconds", float, 20.0, "how long the commands are sent", dest="load_seconds"),
)
PRIMARY, REPLICA = "where-is from the primary", "where-is from the replica"


def store_url(cluster: Topology) -> str:
    """Every node, no query: libpq picks the one taking writes (the default with several),
    and the lag benchmark's writers add their own pool size."""
    hosts = ",".join(f"127.0.0.1:{n.port}" for n in cluster.nodes)
    return f"postgresql://postgres@{hosts}/journey"


def lookups(cluster: Topology, seconds: float, connections: int, work: Path) -> dict[str, Any]:
    """The same where-is load against two servers, one reading the primary and one configured
    with the replica, taken turn about (http.rounds); the median run of each."""
    url = store_url(cluster)
    keys = http.prepare(url, work, fresh=True)
    dev = str(work / "dev.pem")
    token = issue_dev_token(
        ApiSettings(store=Settings(database_url=url), dev_key_path=dev),
        user="bench.user",
        roles=[Role.PRISON],
    )
    auth = [f"Authorization: Bearer {token}", "X-Purpose: benchmark"]
    env = {**os.environ, "JOURNEY_DATABASE_URL": url, "JOURNEY_DEV_KEY": dev}
    env.pop("JOURNEY_REPLICA_URLS", None)
    with_replica = {**env, "JOURNEY_REPLICA_URLS": cluster.nodes[2].url}
    port, replica_port = http.free_port(), http.free_port()
    threads = 1 if shutil.which("wrk") else 0
    with (
        http.server(serve(port), env, port) as primary,
        http.server(serve(replica_port), with_replica, replica_port) as replica,
    ):
        # The replica server answers from the replica, not by falling back to the primary.
        first = keys.read_text().split()[0]
        sample = httpx.get(f"{replica}/people/{first}", headers=dict(h.split(": ") for h in auth))
        assert sample.headers.get("X-Read-From") == "replica", sample.headers
        found = http.rounds(
            {
                PRIMARY: (f"{primary}/people/{{key}}", auth),
                REPLICA: (f"{replica}/people/{{key}}", auth),
            },
            seconds,
            connections,
            keys=keys,
            threads=threads,
        )
    return {name: http.median(runs) for name, runs in found.items()} | {"threads": threads}


def serve(port: int) -> list[str]:
    return [sys.executable, "-m", "ops.cli", "serve", "--port", str(port), "--workers", "2"]


def watch(conninfo: str, stop: threading.Event, samples: list[tuple[float, int]]) -> None:
    """A node's read-model position, sampled every 10 ms (a replica takes no writes)."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        while not stop.is_set():
            row = conn.execute(POSITION).fetchone()
            samples.append((time.monotonic(), int(row[0]) if row else 0))
            time.sleep(0.01)


def lags(cluster: Topology, rate: float, seconds: float) -> dict[str, dict[str, float]]:
    """Commands at `rate` (lag.send_commands, one event a transaction) while the projection
    worker follows the primary's log; per command, seconds from its commit to its position
    in the primary's read models and in the replica's."""
    url = store_url(cluster)
    stop = threading.Event()
    on_primary: list[tuple[float, int]] = []
    on_replica: list[tuple[float, int]] = []
    watchers = [
        threading.Thread(target=watch, args=(cluster.nodes[0].url, stop, on_primary)),
        threading.Thread(target=watch, args=(cluster.nodes[2].url, stop, on_replica)),
    ]
    with lag.worker_process(url):
        try:
            for watcher in watchers:
                watcher.start()
            done, elapsed = lag.send_commands(url, rate, seconds)
            last = max(p for p, _ in done)
            deadline = time.monotonic() + 120
            while min(on_primary[-1][1], on_replica[-1][1]) < last:
                assert time.monotonic() < deadline, "the read models did not reach the last command"
                time.sleep(0.01)
        finally:
            stop.set()
            for watcher in watchers:
                watcher.join()
    return {
        "primary": lag.summarise(done, on_primary, elapsed),
        "replica": lag.summarise(done, on_replica, elapsed),
    }


def run(
    seconds: float, connections: int, rate: float, load_seconds: float
) -> tuple[dict[str, Any], dict[str, dict[str, float]]]:
    with tempfile.TemporaryDirectory() as tmp, topology(replicas=1) as cluster:
        found = lookups(cluster, seconds, connections, Path(tmp))
        return found, lags(cluster, rate, load_seconds)


def section(seconds: float, connections: int, rate: float, load_seconds: float) -> str:
    """The markdown section for the benchmark report."""
    found, lagged = run(seconds, connections, rate, load_seconds)
    layout = "wrk, 1 thread" if found["threads"] else "the project's generator"
    rows = "\n".join(
        f"| {name} | {f['requests']:,.0f} | {f['rps']:,.0f}/s | {f['p50_ms']:.1f} ms | "
        f"{f['p99_ms']:.1f} ms | {f['errors']:,.0f} |"
        for name, f in found.items()
        if name != "threads"
    )
    lag_rows = "\n".join(
        f"| {where} | {f['commands']:,.0f} | {f['rate']:,.0f}/s | {f['p50']:.3f} s | "
        f"{f['p99']:.3f} s | {f['max']:.3f} s |"
        for where, f in (
            ("primary's read models (baseline)", lagged["primary"]),
            ("replica's read models", lagged["replica"]),
        )
    )
    ratio = found[REPLICA]["rps"] / found[PRIMARY]["rps"]
    return (
        "### Reads from a replica (PostgreSQL, pg_auto_failover)\n\n"
        "A monitor, a primary, a synchronous standby and one asynchronous read replica on one "
        f"machine (ops/cluster), {http.PEOPLE:,} people seeded. Where-is from two `journey "
        "serve --workers 2` servers up together, one reading the primary (read and log in one "
        "statement), one configured with the replica (`JOURNEY_REPLICA_URLS`: read there, "
        f"then the access-log row committed on the primary); {connections} connections "
        f"({layout}) for {seconds:.0f} s a run, median of {http.ROUNDS} runs taken turn "
        "about.\n\n"
        "| measurement | requests | rate | p50 | p99 | errors |\n|---|---:|---:|---:|---:|---:|\n"
        f"{rows}\n\nReplica over primary rate: {ratio:.2f}.\n\n"
        f"Then {lag.WRITERS} writer processes send commands at {rate:,.0f}/s in all for "
        f"{load_seconds:.0f} s (one event per transaction, each commit waiting for the "
        "synchronous standby) while `journey projections run` follows the primary's log; lag "
        "is the time from a command's commit to its position in each node's read models "
        "(sampled every 10 ms).\n\n"
        "| read models | commands | achieved rate | p50 | p99 | max |\n"
        "|---|---:|---:|---:|---:|---:|\n"
        f"{lag_rows}\n" + lag.shortfall(rate, lagged["replica"]["rate"])
    )


if __name__ == "__main__":
    run_alone(__doc__, section, *OPTIONS)
