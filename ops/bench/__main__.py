"""The benchmark suite: every figure beside its baseline from the same run, written to
docs/benchmarks.md.

Run: .venv/bin/python -m ops.bench [--size small|national] [--out docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from pathlib import Path

from ops.bench import append, http, lag, rebuild, recovery
from ops.bench.common import machine

SIZES = {
    "small": {
        "append": (2_000, 2_000),
        "rebuild": (20_000, 2_000),
        "lag": (500.0, 20.0),
        "http": (10.0, 16),
        "recovery": (2_000,),
    },
    "national": {
        "append": (20_000, 5_000),
        "rebuild": (190_000, 3_000),
        "lag": (500.0, 60.0),
        "http": (20.0, 16),
        "recovery": (20_000,),
    },
}


MODULES = {"append": append, "rebuild": rebuild, "lag": lag, "http": http, "recovery": recovery}
ORDER = [
    "### Appending events (PostgreSQL)",
    "### Rebuilding every read model (PostgreSQL)",
    "### Catch-up lag under load (PostgreSQL)",
    "### HTTP (PostgreSQL)",
    "### Loads, voids and time travel (PostgreSQL)",
]


def existing_sections(text: str) -> dict[str, str]:
    """The `### ` sections of an earlier report, by heading."""
    found: dict[str, str] = {}
    for chunk in text.split("\n### ")[1:]:
        section = "### " + chunk.rstrip("\n") + "\n"
        found[section.splitlines()[0]] = section
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--out", type=Path, default=Path("docs/benchmarks.md"))
    parser.add_argument("--only", choices=list(MODULES), action="append")
    args = parser.parse_args()
    size = SIZES[args.size]
    chosen = args.only or list(MODULES)
    started = time.perf_counter()
    sections = []
    for name in chosen:
        print(f"running {name} ...", flush=True)
        module = MODULES[name]
        sections.append(module.section(*size[name]))
        print(sections[-1], flush=True)
    kept = {} if not args.out.exists() else existing_sections(args.out.read_text())
    kept.update({section.splitlines()[0]: section for section in sections})
    order = [h for h in ORDER if h in kept] + [h for h in kept if h not in ORDER]
    report = (
        "# Benchmarks\n\n"
        f"Produced by `python -m ops.bench --size {args.size}"
        f"{' --only ' + ' --only '.join(chosen) if args.only else ''}`; last run "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {time.perf_counter() - started:.0f} s. "
        "A run with `--only` replaces just its sections.\n\n"
        f"Machine: {machine()}.\n\n"
        "Each figure is measured beside its baseline in the same run, on the same machine; "
        "the machine is shared, so compare ratios rather than absolute rates.\n\n"
        + "\n".join(kept[h] for h in order)
    )
    args.out.write_text(report)
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
