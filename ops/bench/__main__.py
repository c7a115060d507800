"""The benchmark suite: every figure beside its baseline from the same run, written to
docs/benchmarks.md.

Run: .venv/bin/python -m ops.bench [--size small|national] [--only NAME] [--out FILE]

The rebuild, where-is and time-travel sections share one store seeded once per run (910,000
people, about 10 million events, at national size); the others use their own smaller data.
"""

from __future__ import annotations

import argparse
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ops.bench import (
    append,
    erasure,
    firstrun,
    http,
    lag,
    pages,
    rebuild,
    recovery,
    replica,
    retention,
    startup,
    store,
    travel,
)
from ops.bench.common import machine
from ops.bench.store import Store, load_average, loads, national_store

# Each section's arguments at each size, side by side: (small, national).
ARGUMENTS: dict[str, tuple[tuple[Any, ...], tuple[Any, ...]]] = {
    # National: 910,000 people of 11 events each, 10,010,000 events in the shared store.
    "store": ((20_000,), (910_000,)),
    "append": ((2_000, 2_000), (20_000, 5_000)),
    "rebuild": ((20_000, 2_000), (190_000, 3_000)),
    "lag": ((500.0, 20.0), (500.0, 60.0)),
    "http": ((10.0, 16), (20.0, 16)),
    # Loads and voids of N people; peak memory of a load of N and of the larger size.
    "recovery": ((2_000, 8_000), (20_000, 200_000)),
    "travel": ((2_000,), (2_000,)),
    "erasure": ((2_000,), (20_000,)),
    "firstrun": ((), ()),
    "startup": ((), ()),
    "pages": ((1_500, 300), (1_500, 300)),
    "replica": ((10.0, 16, 500.0, 20.0), (20.0, 16, 500.0, 60.0)),
    "retention": ((20_000,), (910_000,)),
}
SIZES = {
    size: {name: pair[column] for name, pair in ARGUMENTS.items()}
    for column, size in enumerate(("small", "national"))
}


MODULES = {
    "append": append,
    "rebuild": rebuild,
    "lag": lag,
    "http": http,
    "recovery": recovery,
    "travel": travel,
    "erasure": erasure,
    "firstrun": firstrun,
    "startup": startup,
    "pages": pages,
    "replica": replica,
    "retention": retention,
}
PROFILES = "### Where the time goes (py-spy profiles)"
FAILED: list[str] = []  # sections that failed in this run
# These run on the shared store, in this order: the rebuild fills the read models the where-is
# lookups then read.
ON_STORE = ["rebuild", "http", "travel"]
ORDER = [
    "### The shared store (PostgreSQL)",
    "### Appending events (PostgreSQL)",
    "### Rebuilding every read model (PostgreSQL)",
    "### Catch-up lag under load (PostgreSQL)",
    "### HTTP (PostgreSQL)",
    "### Loads and voids (PostgreSQL)",
    "### Time travel (PostgreSQL)",
    "### Erasing a person (PostgreSQL)",
    "### Time to a first answer (the demo)",
    "### Command-line start-up",
    "### Pages (PostgreSQL)",
    "### Reads from a replica (PostgreSQL, pg_auto_failover)",
    "### Retention review (PostgreSQL)",
    # Written by hand from py-spy profiles, never by a run: kept as it stands.
    PROFILES,
]


# Each module's heading, in the report's order (a test checks each module writes its own).
HEADINGS = dict(zip(MODULES, ORDER[1:], strict=False))


def existing_sections(text: str) -> dict[str, str]:
    """The `### ` sections of an earlier report that the suite still writes, by heading."""
    found: dict[str, str] = {}
    for chunk in text.split("\n### ")[1:]:
        section = "### " + chunk.rstrip("\n") + "\n"
        if section.splitlines()[0] in ORDER:
            found[section.splitlines()[0]] = section
    return found


def timed_section(name: str, size: dict[str, tuple[Any, ...]], shared: Store | None) -> str:
    """One section, with the machine's load average at its start and end; a section that
    fails says so and why, and the run goes on (a national run takes hours)."""
    print(f"running {name} ...", flush=True)
    before = load_average()
    args = size[name]
    try:
        text: str = (
            MODULES[name].section(*args, store=shared) if shared else MODULES[name].section(*args)
        )
    except Exception as error:
        traceback.print_exc()
        FAILED.append(name)
        text = f"{HEADINGS[name]}\n\nFailed in this run: {type(error).__name__}: {error}\n"
    text += f"\n{loads((before, load_average()))}\n"
    print(text, flush=True)
    return text


@contextmanager
def maybe_store(people: int, wanted: bool) -> Iterator[Store | None]:
    if not wanted:
        yield None
        return
    print(f"seeding the shared store: {people:,} people ...", flush=True)
    with national_store(people) as seeded:
        yield seeded


def run(size: dict[str, tuple[Any, ...]], chosen: list[str]) -> list[str]:
    """The chosen sections: those on the shared store first, then the store is dropped."""
    sections = []
    on_store = [name for name in ON_STORE if name in chosen]
    with maybe_store(size["store"][0], bool(on_store)) as shared:
        if shared is not None:
            sections.append(store.section(shared))
            print(sections[-1], flush=True)
        sections += [timed_section(name, size, shared) for name in on_store]
    sections += [timed_section(name, size, None) for name in chosen if name not in ON_STORE]
    return sections


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--out", type=Path, default=Path("docs/benchmarks.md"))
    parser.add_argument("--only", choices=list(MODULES), action="append")
    args = parser.parse_args()
    chosen = args.only or list(MODULES)
    started = time.perf_counter()
    sections = run(SIZES[args.size], chosen)
    kept = {} if not args.out.exists() else existing_sections(args.out.read_text())
    kept.update({section.splitlines()[0]: section for section in sections})
    order = [h for h in ORDER if h in kept]
    report = (
        "# Benchmarks\n\n"
        f"Produced by `python -m ops.bench --size {args.size}"
        f"{' --only ' + ' --only '.join(chosen) if args.only else ''}`; last run "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {time.perf_counter() - started:.0f} s. "
        "A run with `--only` replaces just its sections.\n\n"
        f"Machine: {machine()}.\n\n"
        "Each figure is measured beside its baseline in the same run, on the same machine; "
        "the machine is shared (each section gives the load average at its start and end), so "
        "compare ratios rather than absolute rates. The rebuild, where-is and time-travel "
        "sections run on one shared store, described first; the others say what data they "
        "use.\n\n" + "\n".join(kept[h] for h in order)
    )
    args.out.write_text(report)
    print(f"written to {args.out}")
    if FAILED:
        raise SystemExit(f"sections that failed: {', '.join(FAILED)}")


if __name__ == "__main__":
    main()
