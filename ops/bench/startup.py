"""Command-line start-up: process time (user + system) of `journey --help` and of a where-is on
a SQLite store, beside the bare interpreter starting and exiting in the same run.

Run alone: .venv/bin/python -m ops.bench.startup
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path
from tempfile import TemporaryDirectory

RUNS = 7
JOURNEY = [sys.executable, "-m", "ops.cli"]
# Before each command imported only what it uses (commit b16add9), on the same kind of machine.
BEFORE = {"--help": 0.51, "whereis": 0.47}


def process_seconds(command: list[str], env: dict[str, str]) -> float:
    """Median user + system seconds of `command` over RUNS runs."""
    samples = []
    for _ in range(RUNS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(command, env=env, check=True, capture_output=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        samples.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    return statistics.median(samples)


def seeded_store(folder: Path) -> dict[str, str]:
    url = f"sqlite:///{folder / 'startup.sqlite'}"
    env = {**os.environ, "JOURNEY_DATABASE_URL": url}
    people = folder / "people.jsonl"
    made = [*JOURNEY, "generate", "--people", "200", "--years", "5", "--out", str(people)]
    subprocess.run(made, env=env, check=True, capture_output=True)
    load = [*JOURNEY, "import", str(people), "--source", "GENERATOR"]
    subprocess.run(load, env=env, check=True, capture_output=True)
    return env


def section() -> str:
    with TemporaryDirectory(prefix="journey-startup-") as tmp:
        env = seeded_store(Path(tmp))
        bare = process_seconds([sys.executable, "-c", "pass"], env)
        rows = [
            ("`journey --help`", "--help", process_seconds([*JOURNEY, "--help"], env)),
            (
                "`journey whereis A0001AA` (SQLite, 200 people)",
                "whereis",
                process_seconds([*JOURNEY, "whereis", "A0001AA"], env),
            ),
        ]
    lines = [
        "### Command-line start-up",
        "",
        f"Process time (user + system) of one `journey` command, median of {RUNS} runs; the "
        "baseline is the bare interpreter starting and exiting (`python -c pass`) in the same "
        "run. Each command imports only what it uses: `--help` loads neither FastAPI, "
        "pydantic, psycopg nor uvicorn (`tests/e2e/test_cli_scripting.py` checks it with "
        "`python -X importtime`). Before that change (commit `b16add9`) every command "
        "imported the whole application.",
        "",
        "| command | process time | before (b16add9) | baseline: bare interpreter | ratio |",
        "|---|---:|---:|---|---:|",
    ]
    for name, key, seconds in rows:
        lines.append(
            f"| {name} | {seconds:.2f} s | {BEFORE[key]:.2f} s | {bare:.3f} s "
            f"| {seconds / bare:.1f} |"
        )
    lines += [
        "",
        "Command: `.venv/bin/python -m ops.bench --only startup`; where the time goes: "
        "`.venv/bin/python -X importtime -m ops.cli whereis A0001AA`.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(section())
