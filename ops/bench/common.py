"""Shared benchmark plumbing: a throwaway PostgreSQL database, the machine, the results table."""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from domain.service.storage import DatabaseURL
from ops import scratch

ADMIN_URL = os.environ.get(
    "JOURNEY_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def scratch_database(prefix: str = "journey_bench") -> AbstractContextManager[str]:
    """A database made on the benchmark server for one run and dropped after it."""
    return scratch.scratch_database(ADMIN_URL, prefix)


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


def table(figures: list[Figure], counted: str = "n") -> str:
    """The figures as a markdown table; `counted` heads the column of counts."""
    head = (
        f"| measurement | {counted} | rate | baseline (same run) | ratio |\n"
        "|---|---:|---:|---|---:|\n"
    )
    return head + "\n".join(f.row() for f in figures)


@dataclass(frozen=True)
class Option:
    """A command-line option of a benchmark run alone; its value goes to the section's `dest`
    parameter (by default the option's name)."""

    flag: str
    kind: Callable[[str], Any]
    default: Any
    help: str | None = None
    dest: str | None = None


def run_alone(description: str | None, section: Callable[..., str], *options: Option) -> None:
    """One benchmark from the command line: parse its options, print the machine and the section."""
    parser = argparse.ArgumentParser(description=description)
    for o in options:
        metavar = o.flag.lstrip("-").replace("-", "_").upper()  # as argparse names it
        parser.add_argument(
            o.flag, type=o.kind, default=o.default, help=o.help, dest=o.dest, metavar=metavar
        )
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(section(**vars(args)))
