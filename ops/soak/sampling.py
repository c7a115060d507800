"""Samples taken through a soak run (each process's resident memory, the database's
connections, requests so far) and the trends read from them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

MIB = 1024 * 1024


@dataclass(frozen=True)
class Sample:
    seconds: float
    rss: dict[str, float]  # MiB by process role
    connections: int
    requests: int
    unexpected: int

    @property
    def total_rss(self) -> float:
        return sum(self.rss.values())


def rss_mib(pid: int) -> float | None:
    """Resident memory of one process, from /proc (None once it has gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024 / MIB
    except OSError:
        return None
    return None


def connections(conninfo: str, dbname: str) -> int:
    """Sessions open on the soak's database, the sampler's own excluded."""
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (dbname,),
        ).fetchone()
    return int(row[0]) if row else 0


@dataclass
class Sampler:
    """Takes a sample every `every` seconds in its own thread until stopped."""

    pids: Callable[[], dict[str, int]]
    count_connections: Callable[[], int]
    progress: Callable[[], tuple[int, int]]  # (requests, unexpected) so far
    every: float = 10.0
    samples: list[Sample] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    started: float = field(default_factory=time.monotonic)

    def take(self) -> Sample:
        rss = {role: rss_mib(pid) for role, pid in self.pids().items()}
        requests, unexpected = self.progress()
        sample = Sample(
            round(time.monotonic() - self.started, 1),
            {role: round(mib, 1) for role, mib in rss.items() if mib is not None},
            self.count_connections(),
            requests,
            unexpected,
        )
        self.samples.append(sample)
        return sample

    def run(self, echo: Callable[[Sample], None]) -> None:
        while not self.stop.wait(self.every):
            echo(self.take())


def slope_per_hour(points: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) points, in value units per hour."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if spread == 0:
        return 0.0
    covariance = sum((x - mean_x) * (y - mean_y) for x, y in points)
    return covariance / spread * 3600


def settled(samples: Sequence[Sample]) -> list[Sample]:
    """The last two thirds of the run: the first third is start-up and warm-up."""
    return list(samples[len(samples) // 3 :])


@dataclass(frozen=True)
class Trend:
    window_seconds: float
    rss_slope: dict[str, float]  # MiB/hour by process role, and "total"
    connections_min: int
    connections_max: int
    connections_slope: float  # connections/hour

    @classmethod
    def of(cls, samples: Sequence[Sample]) -> Trend:
        window = settled(samples)
        roles = sorted({role for s in window for role in s.rss})
        slopes = {
            role: slope_per_hour([(s.seconds, s.rss[role]) for s in window if role in s.rss])
            for role in roles
        }
        slopes["total"] = slope_per_hour([(s.seconds, s.total_rss) for s in window])
        counts = [s.connections for s in samples] or [0]
        return cls(
            window[-1].seconds - window[0].seconds if window else 0.0,
            {role: round(v, 1) for role, v in slopes.items()},
            min(counts),
            max(counts),
            round(slope_per_hour([(s.seconds, s.connections) for s in window]), 1),
        )
