"""Where-is over HTTP with authentication and access logging, beside a bare FastAPI + psycopg
lookup of the same row in the same run; then recording movements over HTTP. PostgreSQL; the
load comes from a second process on loopback.

Run: .venv/bin/python -m ops.bench.http [--connections 16] [--seconds 15]
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg

from api.auth import Role, issue_dev_token
from api.config import ApiSettings
from domain.service.application import JourneyApp
from domain.service.settings import Settings
from domain.service.storage import DatabaseURL
from ops.bench.append import INSERT, RAW_TABLE, raw_rows, reset_raw
from ops.bench.common import Option, run_alone, scratch_database
from ops.bench.store import Store, analyze, seed
from ops.sample import noms_number
from projections.db import open_read_db
from projections.rebuild import rebuild
from projections.runner import Runner
from projections.schema import BY_NAME

PEOPLE = 2000
RAW = "raw INSERT 1 row/tx (recording's baseline)"
BULK = 100_000  # events behind, beyond which the read models are rebuilt rather than followed
WORKERS = 2  # one per core, for the project and the baseline alike
WARMUP = 5.0  # seconds of load before the timed lookup runs, not counted
START_WAIT = 180  # seconds a server may take to answer /health (a national store, a busy machine)
ROUNDS = 3  # timed runs of each lookup, taken turn about; the median is reported
OPTIONS = (
    Option("--connections", int, 16),
    Option("--seconds", float, 15),
)
RECORD_SCRIPT = Path(__file__).with_name("record.lua")
# After every seeded person's last entry (person n's end n minutes and 110 hours after 2024-01-01
# 08:00, in 2025 for a national store), when each is in MDI: a move on anyone keys.txt names.
MOVE_BODY = '{"occurred_at": "2026-01-01T00:00:00+00:00", "prison": "MDI", "cell": "D-1-{i}"}'
OURS, BARE = "where-is (auth + access log)", "bare FastAPI + psycopg"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def server(args: list[str], env: dict[str, str], port: int) -> Iterator[str]:
    base = f"http://127.0.0.1:{port}"
    # What the server says goes to a file, to be shown if it fails to start.
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        try:
            deadline = time.monotonic() + START_WAIT
            while not answers(base):
                if time.monotonic() > deadline or process.poll() is not None:
                    errors.seek(0)
                    said = errors.read().decode(errors="replace")[-2000:]
                    code = process.poll()
                    how = (
                        f"exit code {code}" if code is not None else f"no answer in {START_WAIT} s"
                    )
                    raise RuntimeError(f"server did not start ({how}): {args}\n{said}")
                time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=30)


def answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=1).status_code < 500
    except httpx.HTTPError:
        return False


def load(
    url: str,
    seconds: float,
    connections: int,
    headers: list[str],
    *,
    keys: Path,
    post_json: str = "",
) -> dict[str, float]:
    args = [
        sys.executable,
        "-m",
        "ops.bench.load",
        url,
        "--connections",
        str(connections),
        "--seconds",
        str(seconds),
        "--keys",
        str(keys),
    ]
    for header in headers:
        args += ["--header", header]
    if post_json:
        args += ["--post-json", post_json]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=600)
    figures: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def wrk(
    url: str,
    seconds: float,
    connections: int,
    headers: list[str],
    threads: int,
    *,
    script: tuple[str, ...] = (),
) -> dict[str, float]:
    """wrk, when the machine has it (Debian package `wrk`): a C load generator that is not
    itself the bottleneck, as a Python client on a 2-core machine can be. `script` is a Lua
    script and its arguments, which make the requests."""
    args = [
        "wrk",
        f"-t{min(threads, connections)}",
        f"-c{connections}",
        f"-d{seconds:.0f}s",
        "--latency",
        *(["-s", script[0]] if script else []),
        url,
        *(["--", *script[1:]] if script else []),
    ]
    for header in headers:
        args[1:1] = ["-H", header]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=600).stdout

    def ms(label: str) -> float:
        found = re.search(rf"{label}\s+([\d.]+)(us|ms|s)\b", out)
        assert found, out
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[found.group(2)]
        return float(found.group(1)) * scale

    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    assert rate and total, out
    return {
        "requests": float(total.group(1)),
        "rps": float(rate.group(1)),
        "p50_ms": ms("50%"),
        "p99_ms": ms("99%"),
        "errors": float(errors.group(1)) if errors else 0.0,
    }


def layouts() -> list[int]:
    """wrk thread counts to measure the lookups with (none: the project's generator). On a
    2-core machine the generator's threads take cores from the servers and PostgreSQL, and the
    tail shows it, so both layouts are reported."""
    return [1, 2] if shutil.which("wrk") else [0]


def get_load(
    url: str,
    seconds: float,
    connections: int,
    headers: list[str],
    *,
    keys: Path,
    threads: int,
    warmup: bool = False,
) -> dict[str, float]:
    """GET load on one row: wrk if present, else the project's own generator; with `warmup`,
    a run of WARMUP seconds whose figures are discarded."""
    length = WARMUP if warmup else seconds
    if threads:
        key = keys.read_text().split()[0]
        return wrk(url.replace("{key}", key), length, connections, headers, threads)
    return load(url, length, connections, headers, keys=keys)


def rounds(
    targets: dict[str, tuple[str, list[str]]],
    seconds: float,
    connections: int,
    *,
    keys: Path,
    threads: int,
) -> dict[str, list[dict[str, float]]]:
    """ROUNDS timed runs of each target (a URL and its headers), taken in turn, after a
    discarded warm-up of each. Each run opens its connections afresh, and the server's workers
    share them out unevenly, by chance (16 connections between 2 workers came out anywhere
    from 8/8 to 16/0): so each figure is the median of several runs, taken turn about, so the
    targets see the same spread of chances and of the machine's other load."""
    for url, headers in targets.values():
        get_load(url, seconds, connections, headers, keys=keys, threads=threads, warmup=True)
    found: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
    for _ in range(ROUNDS):
        for name, (url, headers) in targets.items():
            found[name].append(
                get_load(url, seconds, connections, headers, keys=keys, threads=threads)
            )
    return found


def median(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run with the median rate, its latencies as measured with it."""
    return sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]


def layout(threads: int) -> str:
    return f"wrk {threads} thread{'s' if threads > 1 else ''}" if threads else "generator"


def prepare(url: str, work: Path, *, fresh: bool, people: int = PEOPLE) -> Path:
    """Seeds PEOPLE people into a fresh log, brings the read models to the head of the log and
    writes the NOMS numbers the load uses: PEOPLE people spread evenly over the `people` the
    store holds, so at national size recording meets people all over the store."""
    settings = Settings(database_url=url)
    if fresh:
        seed(url, PEOPLE, seeders=1)
    app = JourneyApp(settings)
    db = open_read_db(settings.database)
    # After the suite's rebuild there is nothing to do. A log never projected (`--only http`
    # at national size) gets the bulk rebuild, several times faster than following it.
    runner = Runner(app, db)
    if max(lag.events_behind for lag in runner.lag()) > BULK:
        rebuild(app, db, list(BY_NAME), chunk=2000)
    runner.catch_up()
    analyze(url)  # the read models, for both servers alike
    db.close()
    app.close()
    keys = work / "keys.txt"
    step = max(1, people // PEOPLE)
    keys.write_text("\n".join(noms_number(1 + k * step) for k in range(PEOPLE)))
    return keys


def run(
    seconds: float, connections: int, url: str, *, fresh: bool, people: int = PEOPLE
) -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        keys = prepare(url, work, fresh=fresh, people=people)
        env = {**os.environ, "JOURNEY_DATABASE_URL": url, "JOURNEY_DEV_KEY": str(work / "dev.pem")}
        token = issue_dev_token(
            ApiSettings(store=Settings(database_url=url), dev_key_path=str(work / "dev.pem")),
            user="bench.user",
            roles=[Role.PRISON],
        )
        auth = [f"Authorization: Bearer {token}", "X-Purpose: benchmark"]
        results: dict[str, dict[str, float]] = {}
        port, bare_port = free_port(), free_port()
        journey = [sys.executable, "-m", "ops.cli", "serve", "--port", str(port)]
        journey += ["--workers", str(WORKERS)]
        bare = [sys.executable, "-m", "uvicorn", "ops.bench.bare_app:create_app", "--factory"]
        bare += ["--workers", str(WORKERS), "--port", str(bare_port)]
        bare += ["--log-level", "warning", "--no-access-log"]
        with server(journey, env, port) as ours, server(bare, env, bare_port) as base:
            for t in layouts():
                found = rounds(
                    {
                        OURS: (f"{ours}/people/{{key}}", auth),
                        BARE: (f"{base}/where/{{key}}", []),
                    },
                    seconds,
                    connections,
                    keys=keys,
                    threads=t,
                )
                results[f"{OURS}, {layout(t)}"] = median(found[OURS])
                results[f"{BARE}, {layout(t)}"] = median(found[BARE])
                results[f"ratios, {layout(t)}"] = {
                    str(n): o["rps"] / b["rps"]
                    for n, (o, b) in enumerate(zip(found[OURS], found[BARE], strict=True))
                }
            results["record a cell move"] = record(ours, seconds, connections, auth, keys)
        results[RAW] = raw_inserts(url, max(1000, int(results["record a cell move"]["requests"])))
    return results


def record(
    base: str, seconds: float, connections: int, headers: list[str], keys: Path
) -> dict[str, float]:
    """Cell moves posted across people, each with its own cell: by wrk and its Lua script
    when the machine has wrk (one thread), else by the project's generator."""
    if shutil.which("wrk"):
        script = (str(RECORD_SCRIPT), str(keys), MOVE_BODY)
        return wrk(base, seconds, connections, headers, 1, script=script)
    url = f"{base}/people/{{key}}/cell-moves"
    return load(url, seconds, connections, headers, keys=keys, post_json=MOVE_BODY)


def raw_inserts(url: str, count: int) -> dict[str, float]:
    """Recording's baseline: the log's own stored rows inserted one per transaction from one
    connection into a table of the same shape, each insert timed."""
    with psycopg.connect(DatabaseURL.parse(url).conninfo()) as conn:
        rows = raw_rows(conn, count)
        reset_raw(conn)
        times = []
        for row in rows:
            started = time.perf_counter()
            conn.execute(INSERT, row)
            conn.commit()
            times.append(time.perf_counter() - started)
        conn.execute(f"DROP TABLE {RAW_TABLE}")
        conn.commit()
    times.sort()
    return {
        "requests": len(times),
        "rps": len(times) / sum(times),
        "p50_ms": times[len(times) // 2] * 1000,
        "p99_ms": times[int(0.99 * (len(times) - 1))] * 1000,
        "errors": 0,
    }


def section(seconds: float, connections: int, store: Store | None = None) -> str:
    """The markdown section for the benchmark report; on the shared store when given one."""
    if store is None:
        with scratch_database() as url:
            r = run(seconds, connections, url, fresh=True)
        over = f"over {PEOPLE:,} people seeded for this section"
    else:
        r = run(seconds, connections, store.url, fresh=False, people=store.people)
        over = f"on the shared store ({store.describe()})"
    moves = r["record a cell move"]
    verdicts = " ".join(verdict(r, t) for t in layouts())
    rows = "\n".join(
        f"| {name} | {f['requests']:,.0f} | {f['rps']:,.0f}/s | {f['p50_ms']:.1f} ms | "
        f"{f['p99_ms']:.1f} ms | {f['errors']:,.0f} |"
        for name, f in r.items()
        if not name.startswith("ratios")
    )
    return (
        "### HTTP (PostgreSQL)\n\n"
        f"{connections} connections from a second process on loopback for {seconds:.0f} s a run "
        f"({generators()}), "
        f"{over}; {WORKERS} uvicorn workers each, both servers up together. Each lookup figure "
        f"is the median of {ROUNDS} runs taken turn about with the baseline's, after a "
        f"discarded {WARMUP:.0f} s warm-up of each: every run opens its connections afresh and "
        "the workers share them out unevenly, by chance. Where-is is "
        "`GET /people/{NOMS}` "
        "with a bearer token, a stated purpose and an access-log entry committed per request "
        "(lookups arriving together share one statement); "
        "the baseline is a bare FastAPI endpoint (async, an async psycopg pool of the same size) "
        "reading the same location row. "
        f"Recording is `POST /people/{{NOMS}}/cell-moves` on {PEOPLE:,} people spread evenly "
        "over the store, in turn.\n\n"
        "| measurement | requests | rate | p50 | p99 | errors |\n|---|---:|---:|---:|---:|---:|\n"
        f"{rows}\n\n"
        f"{verdicts} Recording: {moves['rps']:,.0f} commands/s, "
        f"{moves['rps'] / r[RAW]['rps']:.2f} of the raw single-row INSERT rate (target at least "
        f"0.5), p99 {moves['p99_ms']:.1f} ms (target under 50 ms); the raw inserts are the "
        "log's own stored rows, one per transaction from one connection, after the HTTP runs.\n"
    )


def generators() -> str:
    if shutil.which("wrk"):
        return (
            "wrk with 1 and then 2 threads for the lookups, on one person's row; wrk with 1 "
            "thread and `ops/bench/record.lua` for recording, across people"
        )
    return "the project's generator for the lookups, on one person's row, and for recording"


def verdict(r: dict[str, dict[str, float]], threads: int) -> str:
    ours, bare = r[f"{OURS}, {layout(threads)}"], r[f"{BARE}, {layout(threads)}"]
    each = ", ".join(f"{v:.2f}" for v in r[f"ratios, {layout(threads)}"].values())
    return (
        f"With {layout(threads)}: where-is rate over the bare lookup "
        f"{ours['rps'] / bare['rps']:.2f} (target at least 0.50; run by run {each}), where-is "
        f"p99 {ours['p99_ms']:.1f} ms (target under 25 ms)."
    )


if __name__ == "__main__":
    run_alone(__doc__, section, *OPTIONS)
