"""Time to a first answer: a fresh clone, `ops/demo`, and the printed token asking where a person
is, as a newcomer would; once with empty package caches (a fresh machine) and once with the
caches the first run filled (a machine whose packages are already downloaded).

The baseline is the floor any first run pays: a bare virtual environment with the same Python
dependencies installed from the same caches, in the same run.

Run alone: .venv/bin/python -m ops.bench.firstrun [--people N]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 600.0


@dataclass(frozen=True)
class FirstRun:
    """Seconds from `ops/demo` starting to each milestone."""

    installed: float  # the set-up finished and the demo started
    data_ready: float  # the API started serving (the demo printed its token)
    answered: float  # the printed token's where-is answered 200 and /ui/sign-in 200
    people: int


def caches(root: Path) -> dict[str, str]:
    return {
        "PIP_CACHE_DIR": str(root / "pip-cache"),
        "npm_config_cache": str(root / "npm-cache"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }


def clean_env(cache_root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JOURNEY_", "VIRTUAL_ENV"))}
    return {**env, **caches(cache_root), "COLUMNS": "120"}


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def fresh_clone(work: Path, name: str) -> Iterator[Path]:
    clone = work / name
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    yield clone


def first_run(clone: Path, cache_root: Path, people: int | None) -> FirstRun:
    """`ops/demo` in `clone`, timed to the first where-is answered with its printed token."""
    port = free_port()
    args = ["ops/demo", "--port", str(port)] + ([] if people is None else ["--people", str(people)])
    started = time.perf_counter()
    demo = subprocess.Popen(
        args,
        cwd=clone,
        env=clean_env(cache_root),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    installed = ready = 0.0
    token, urls, loaded = "", [], 0
    try:
        assert demo.stdout is not None
        for line in demo.stdout:
            if line.startswith("database:") and not installed:
                installed = time.perf_counter() - started
            if found := re.match(r"loaded (\d+) people", line):
                loaded = int(found.group(1))
            if line.startswith("TOKEN="):
                token = line.removeprefix("TOKEN=").strip()
                ready = time.perf_counter() - started
            if line.startswith("try: curl"):
                urls.append(line.split()[-1])
            if urls and line.startswith(("INFO", "Uvicorn")):
                break
        if not (token and urls):
            raise RuntimeError(f"the demo stopped before serving (exit {demo.wait(30)})")
        answered = ask(urls, token, started)
        return FirstRun(installed, ready, answered, loaded)
    finally:
        demo.terminate()
        demo.wait(30)


def ask(urls: list[str], token: str, started: float) -> float:
    """Poll until every printed where-is answers 200, then the sign-in page; return when."""
    headers = {"Authorization": f"Bearer {token}", "X-Purpose": "first-run benchmark"}
    sign_in = urls[0].split("/people/")[0] + "/ui/sign-in"
    while True:
        try:
            codes = [httpx.get(url, headers=headers, timeout=10).status_code for url in urls]
            codes.append(httpx.get(sign_in, timeout=10).status_code)
        except httpx.TransportError:
            codes = []
        if codes and all(code == 200 for code in codes):
            return time.perf_counter() - started
        if codes and any(code != 200 for code in codes):
            raise RuntimeError(f"the demo answered {codes} for {urls} and {sign_in}")
        if time.perf_counter() - started > DEADLINE:
            raise RuntimeError("the demo did not answer in time")
        time.sleep(0.1)


def bare_install(work: Path, cache_root: Path) -> float:
    """Seconds to make a virtual environment and install the project's dependencies alone."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    venv = work / "bare-venv"
    started = time.perf_counter()
    env = clean_env(cache_root)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, *project["dependencies"]], check=True, env=env)
    seconds = time.perf_counter() - started
    subprocess.run(["rm", "-rf", str(venv)], check=True)
    return seconds


def section(people: int | None = None) -> str:
    with TemporaryDirectory(prefix="journey-firstrun-") as tmp:
        work = Path(tmp)
        cold_baseline = bare_install(work, work / "baseline-caches")
        with fresh_clone(work, "first") as clone:
            cold = first_run(clone, work / "caches", people)
        warm_baseline = bare_install(work, work / "caches")
        with fresh_clone(work, "second") as clone:
            warm = first_run(clone, work / "caches", people)
    rows = [
        ("fresh machine (empty package caches)", cold, cold_baseline),
        ("packages already downloaded", warm, warm_baseline),
    ]
    shown = cold.people
    lines = [
        "### Time to a first answer (the demo)",
        "",
        f"A fresh `git clone`, then `ops/demo` on the embedded SQLite default ({shown:,} "
        "people over ten years), timed to the moment the printed token's where-is answers "
        "200 for each person the demo shows and `/ui/sign-in` answers 200. Package caches "
        "are private to the run: empty first, then the ones the first run filled. The "
        "baseline installs the same Python dependencies into a bare virtual environment from "
        "the same caches.",
        "",
        "| first run | set-up done | serving | first answer | baseline: bare install | ratio |",
        "|---|---:|---:|---:|---|---:|",
    ]
    for name, run, baseline in rows:
        lines.append(
            f"| {name} | {run.installed:.1f} s | {run.data_ready:.1f} s | {run.answered:.1f} s "
            f"| {baseline:.1f} s | {run.answered / baseline:.2f} |"
        )
    lines += ["", "Command: `.venv/bin/python -m ops.bench --only firstrun`."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=None)
    print(section(parser.parse_args().people))


if __name__ == "__main__":
    main()
