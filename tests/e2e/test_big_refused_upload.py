"""One bad upload must not stop the write path: a 50 MB refused file over HTTP answers while
other clients' commands keep their answers within seconds and the server's memory stays
bounded; a writer behind a held lock answers 503; SIGTERM stops the server with a request in
flight. Against `journey serve` as its own process, on a PostgreSQL database of its own."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson
import psycopg
import pytest

from api.auth import Role
from domain.service.application import JourneyApp
from domain.service.settings import Settings
from domain.service.storage import DatabaseURL
from ops.soak.stack import Stack
from tests.conftest import ADMIN_URL
from tests.e2e.commander import seed_people

pytestmark = pytest.mark.postgres

UPLOAD_BYTES = 50 * 1024 * 1024
NDJSON = {"Content-Type": "application/x-ndjson"}
NOTE = "carried over from the regional extract of the old system; " * 5


@pytest.fixture
def stack_url() -> Iterator[str]:
    """A PostgreSQL database for this test alone, dropped after it."""
    admin = DatabaseURL.parse(ADMIN_URL)
    name = f"journey_big_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    auth = f"{admin.user}:{admin.password}" if admin.password else admin.user
    try:
        yield f"postgresql://{auth}@{admin.host}:{admin.port}/{name}"
    finally:
        with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def refused_upload(path: Path) -> Path:
    """About 50 MB of admissions naming people no one holds, each line with a long reason."""
    with path.open("wb") as out:
        n = 0
        while out.tell() < UPLOAD_BYTES:
            line = {
                "command": "admissions",
                "person": f"Z{n % 10000:04d}{chr(65 + n // 10000 % 26)}{chr(65 + n // 260000)}",
                "prison": "LEI",
                "movement_reason": "N",
                "reason": NOTE,
                "occurred_at": "2025-01-02T09:00:00+00:00",
            }
            out.write(orjson.dumps(line) + b"\n")
            n += 1
    return path


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Clerk(threading.Thread):
    """Records cell moves one after another, timing each answer, until stopped."""

    def __init__(self, base: str, headers: dict[str, str], people: list[tuple[str, str]]) -> None:
        super().__init__(daemon=True)
        self.base, self.headers, self.people = base, headers, people
        self.stop = threading.Event()
        self.answers: list[tuple[int, float]] = []  # (status, seconds)
        self.failures: list[str] = []

    def run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=5) as client:
            n = 0
            while not self.stop.is_set():
                noms, prison = self.people[n % len(self.people)]
                body = {
                    "prison": prison,
                    "cell": f"A-1-{n % 900 + 100:03d}",
                    "occurred_at": (datetime.now(UTC) - timedelta(seconds=1)).isoformat(),
                }
                started = time.monotonic()
                try:
                    got = client.post(f"/people/{noms}/cell-moves", json=body, headers=self.headers)
                    self.answers.append((got.status_code, time.monotonic() - started))
                except httpx.HTTPError as exc:
                    self.failures.append(
                        f"{type(exc).__name__} after {time.monotonic() - started:.1f} s"
                    )
                n += 1
                time.sleep(0.05)


class Sampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.stop, self.peak = pid, threading.Event(), 0.0

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, rss_mib(self.pid))
            time.sleep(0.1)


def seeded(url: str, count: int) -> list[tuple[str, str]]:
    app = JourneyApp(Settings(database_url=url))
    try:
        return seed_people(app, count, prefix="C")
    finally:
        app.close()


def test_a_50_mb_refused_upload_leaves_the_write_path_answering(
    stack: Stack, stack_url: str, tmp_path: Path
) -> None:
    people = seeded(stack_url, 6)
    upload = refused_upload(tmp_path / "refused.jsonl")
    stack.start_server()
    assert stack.server is not None
    before = rss_mib(stack.server.pid)
    clerk = Clerk(stack.base, stack.headers(Role.PRISON, user="clerk"), people)
    sampler = Sampler(stack.server.pid)
    sampler.start()
    clerk.start()
    time.sleep(1)
    recovery = {**stack.headers(Role.RECOVERY, user="loader"), **NDJSON}
    started = time.monotonic()
    try:
        with upload.open("rb") as body:
            refused = httpx.post(
                f"{stack.base}/imports?source=SECBIG&format=jsonl",
                content=body,
                headers=recovery,
                timeout=60,
            )
        took = time.monotonic() - started
        time.sleep(1)
    finally:
        clerk.stop.set()
        clerk.join(timeout=30)
        sampler.stop.set()
        sampler.join(timeout=5)
    # Check the upload was refused in time, counting every line.
    assert refused.status_code == 422, refused.text[:500]
    problem = refused.json()
    assert problem["rejected"] == problem["lines"] > 100_000
    assert len(problem["rejects"]) == 1000
    assert took < 30, f"the refusal took {took:.1f} s"
    # Check every command answered within 5 s, and all were recorded.
    assert not clerk.failures, clerk.failures[:5]
    assert clerk.answers, "no command was sent"
    assert {status for status, _ in clerk.answers} == {200}
    slowest = max(seconds for _, seconds in clerk.answers)
    assert slowest < 5, slowest
    # Check the server's memory stayed bounded.
    assert sampler.peak < 400, f"the server reached {sampler.peak:.0f} MiB"
    # Check the batch lists every reject, a page at a time.
    viewer = stack.headers(Role.RECOVERY, user="auditor")
    shown = httpx.get(
        f"{stack.base}/batches/{problem['batch_id']}",
        params={"rejects_offset": problem["lines"] - 10},
        headers=viewer,
        timeout=30,
    )
    assert shown.status_code == 200, shown.text[:300]
    assert shown.json()["rejected"] == problem["lines"]
    assert [r["line"] for r in shown.json()["rejects"]] == list(
        range(problem["lines"] - 9, problem["lines"] + 1)
    )
    print(
        f"\n{upload.stat().st_size:,} bytes, {problem['lines']:,} lines refused in {took:.1f} s; "
        f"{len(clerk.answers)} commands meanwhile, slowest {slowest:.2f} s; server RSS "
        f"{before:.0f} MiB before, peak {sampler.peak:.0f} MiB"
    )


def test_a_writer_behind_a_held_lock_answers_503(stack: Stack, stack_url: str) -> None:
    [(noms, prison)] = seeded(stack_url, 1)
    stack.start_server()
    url = DatabaseURL.parse(stack_url)
    holder = psycopg.connect(url.conninfo())
    try:
        holder.execute("LOCK TABLE journeys_events IN EXCLUSIVE MODE")
        body = {
            "prison": prison,
            "cell": "B-2-002",
            "occurred_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
        }
        started = time.monotonic()
        got = httpx.post(
            f"{stack.base}/people/{noms}/cell-moves",
            json=body,
            headers=stack.headers(Role.PRISON, user="clerk"),
            timeout=30,
        )
        waited = time.monotonic() - started
    finally:
        holder.close()
    assert got.status_code == 503, got.text
    assert got.headers["content-type"].startswith("application/problem+json")
    assert got.headers["retry-after"]
    assert "busy" in got.json()["detail"]
    assert waited < 2 * url.lock_timeout + 4, waited


def test_sigterm_stops_the_server_with_a_request_in_flight(stack: Stack) -> None:
    stack.start_server()
    assert stack.server is not None
    recovery = {**stack.headers(Role.RECOVERY, user="loader"), **NDJSON}
    stop = threading.Event()

    def trickle() -> Iterator[bytes]:
        """An upload that never finishes: a line every half second."""
        while not stop.is_set():
            yield b'{"command": "admissions", "person": "A1234BC", "prison": "LEI"}\n'
            time.sleep(0.5)

    def upload() -> None:
        with contextlib.suppress(httpx.HTTPError):
            httpx.post(
                f"{stack.base}/imports?source=SLOW&format=jsonl",
                content=trickle(),
                headers=recovery,
                timeout=60,
            )

    client = threading.Thread(target=upload, daemon=True)
    client.start()
    time.sleep(2)
    started = time.monotonic()
    stack.server.send_signal(signal.SIGTERM)
    try:
        code = stack.server.wait(timeout=20)
    except Exception:
        stop.set()
        raise
    stopped = time.monotonic() - started
    stop.set()
    assert code in (0, -signal.SIGTERM)
    assert stopped < 10, f"the server took {stopped:.1f} s to stop"
