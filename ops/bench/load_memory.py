"""Peak memory of a load against the file's size: the same generated journeys at two sizes,
each loaded by a fresh process (parse, spool, check, write) whose peak resident memory is read
from the kernel when it is done, with that of the second process checking chunks beside it, if
the load had one. A load spools to disk and holds one chunk of people at a time, so neither peak
should grow with the file.

Run alone: .venv/bin/python -m ops.bench.load_memory [--people N] [--larger M]
           [--helped auto|yes|no]  (whether a second process checks chunks; auto: as a load
           decides, by the file's size and an idle core)
"""

from __future__ import annotations

import resource
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path

from ops.bench.common import Option, run_alone, scratch_database

END = datetime(2026, 11, 1, tzinfo=UTC)
OPTIONS = (
    Option("--people", int, 1000),
    Option("--larger", int, 4000),
    Option("--helped", str, "auto", "auto, yes or no"),
)
HELPED = {"auto": None, "yes": True, "no": False}


@dataclass(frozen=True)
class Peak:
    people: int
    entries: int
    seconds: float
    before_mib: float  # resident after start-up, before the load
    peak_mib: float
    helper_mib: float  # the second process's peak; 0 if the load had none


def _mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _children_mib() -> float:
    """The largest peak of this process's children that have ended."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def load_in_child(url: str, path: str, people: int, helped: bool | None = None) -> Peak:
    """Runs in a fresh process: one load, and that process's peak resident memory."""
    from domain.service.application import JourneyApp
    from domain.service.settings import Settings
    from replay.importer import Importer, ImportOptions

    app = JourneyApp(Settings(database_url=url + "?pool_size=2"))
    before = _mib()
    try:
        started = time.perf_counter()
        options = ImportOptions("GENERATOR", "jsonl", "bench")
        report = Importer(app, helped=helped).run(path, options)
        seconds = time.perf_counter() - started
    finally:
        app.close()
    assert report.outcome == "recorded", report.rejects[:3]
    return Peak(people, report.entries, seconds, before, _mib(), _children_mib())


def measure(people: int, helped: bool | None = None) -> Peak:
    from ops.generator import Generator, write

    with scratch_database() as url, tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "people.jsonl"
        with path.open("wb") as out:
            write(out, Generator(seed=7, years=10, end=END).people(people), "jsonl")
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
            return pool.submit(load_in_child, url, str(path), people, helped).result()


def section(people: int, larger: int, helped: str = "auto") -> str:
    peaks = [measure(people, HELPED[helped]), measure(larger, HELPED[helped])]
    rows = "\n".join(
        f"| {p.people:,} | {p.entries:,} | {p.entries / p.seconds:,.0f} events/s | "
        f"{p.before_mib:,.0f} MiB | {p.peak_mib:,.0f} MiB | {_helper(p)} |"
        for p in peaks
    )
    growth = (peaks[1].peak_mib - peaks[1].before_mib) - (peaks[0].peak_mib - peaks[0].before_mib)
    return (
        "Peak memory of a load, each size loaded by a fresh process (peak resident set from "
        "the kernel):\n\n"
        "| people | entries | rate | resident before the load | peak | second process's peak |\n"
        "|---:|---:|---:|---:|---:|---:|\n"
        f"{rows}\n\n"
        f"From {people:,} to {larger:,} people the load's own peak grew by {growth:,.0f} MiB"
        f"{_helper_growth(peaks)}.\n"
    )


def _helper_growth(peaks: list[Peak]) -> str:
    if not all(p.helper_mib for p in peaks):
        return ""
    return f", the second process's by {peaks[1].helper_mib - peaks[0].helper_mib:,.0f} MiB"


def _helper(peak: Peak) -> str:
    return f"{peak.helper_mib:,.0f} MiB" if peak.helper_mib else "none"


if __name__ == "__main__":
    run_alone(__doc__, section, *OPTIONS)
