"""Shared benchmark plumbing: a throwaway PostgreSQL database, the machine, the results table."""

from __future__ import annotations

import os
import platform
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from domain.service.storage import DatabaseURL

ADMIN_URL = os.environ.get(
    "JOURNEY_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def scratch_database(prefix: str = "journey_bench") -> Iterator[str]:
    """A database made for one benchmark run and dropped after it."""
    admin = DatabaseURL.parse(ADMIN_URL)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    auth = admin.user + (f":{admin.password}" if admin.password else "")
    try:
        yield f"postgresql://{auth}@{admin.host}:{admin.port}/{name}"
    finally:
        with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def machine() -> str:
    """Cores, CPU model, memory, Python and PostgreSQL versions."""
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = "?"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split()[1])
        mem = f"{kib / 1024 / 1024:.0f} GiB"
    with psycopg.connect(DatabaseURL.parse(ADMIN_URL).conninfo()) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    pg = row[0] if row else "?"
    return (
        f"{os.cpu_count()} cores ({model}), {mem} RAM, Python {platform.python_version()}, "
        f"PostgreSQL {pg}"
    )


@dataclass(frozen=True)
class Figure:
    name: str
    count: int
    seconds: float
    baseline_name: str
    baseline_seconds: float
    unit: str = "events/s"

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    @property
    def baseline_rate(self) -> float:
        return self.count / self.baseline_seconds

    @property
    def ratio(self) -> float:
        return self.rate / self.baseline_rate

    def row(self) -> str:
        return (
            f"| {self.name} | {self.count:,} | {self.rate:,.0f} {self.unit} | "
            f"{self.baseline_name}: {self.baseline_rate:,.0f} {self.unit} | "
            f"{self.ratio:.2f} |"
        )


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def table(figures: list[Figure]) -> str:
    head = "| measurement | n | rate | baseline (same run) | ratio |\n|---|---:|---:|---|---:|\n"
    return head + "\n".join(f.row() for f in figures)
