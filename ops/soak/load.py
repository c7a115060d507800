"""The soak's clients: readers, writers, racing writers and a data loader, each a thread with
its own HTTP connection, all counting what they got back."""

from __future__ import annotations

import io
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from api.auth import Role
from ops.generator import Generator, noms_for
from ops.generator import write as write_journeys
from ops.soak.stack import Stack

PRISONS = ["LEI", "MDI", "WYI", "DMI", "HLI"]
# Imported people are numbered far from the seeded ones, so no load collides with them.
IMPORT_BASE = 10_000_000
# What each kind of request may answer without it being an error; races also lose with these.
EXPECTED = {
    "read": {200},
    "command": {200},
    "race": {200, 409, 412},
    "import": {201},
    "void": {200},
    "seed": {200, 201},
}


@dataclass
class Tally:
    """Every answer by kind and status; unexpected ones keep a few examples."""

    counts: Counter[tuple[str, int]] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    races: int = 0
    winners: int = 0
    bad_races: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, status: int, text: str = "") -> None:
        with self.lock:
            self.counts[kind, status] += 1
            if status not in EXPECTED[kind] and len(self.examples) < 20:
                self.examples.append(f"{kind} {status}: {text[:300]}")

    def race(self, statuses: list[int]) -> None:
        won = sum(200 <= s < 300 for s in statuses)
        with self.lock:
            self.races += 1
            self.winners += won
            self.bad_races += won != 1

    @property
    def requests(self) -> int:
        return sum(self.counts.values())

    @property
    def unexpected(self) -> int:
        return sum(n for (kind, status), n in self.counts.items() if status not in EXPECTED[kind])

    def by_status(self) -> dict[str, dict[str, int]]:
        table: dict[str, dict[str, int]] = {}
        for (kind, status), n in sorted(self.counts.items()):
            table.setdefault(kind, {})[str(status)] = n
        return table


def now() -> str:
    # A second back: the server refuses entries dated in its future.
    return (datetime.now(UTC) - timedelta(seconds=1)).isoformat()


def call(
    tally: Tally, kind: str, send: Callable[..., httpx.Response], *args: Any, **kwargs: Any
) -> httpx.Response | None:
    """Send one request and count its answer; a failure to get any answer counts as status 0."""
    try:
        response = send(*args, **kwargs)
    except httpx.HTTPError as exc:
        tally.add(kind, 0, repr(exc))
        return None
    tally.add(kind, response.status_code, response.text)
    return response


def registration(n: int, noms: str) -> dict[str, Any]:
    return {
        "given_name": "Soak",
        "family_name": f"Tester{n:04d}",
        "date_of_birth": date(1980, 1, 1 + n % 28).isoformat(),
        "identifiers": {"NOMS": noms},
        "occurred_at": (datetime.now(UTC) - timedelta(days=2)).isoformat(),
        "source_ref": f"soak-reg-{noms}",
    }


def admission(n: int, noms: str) -> dict[str, Any]:
    return {
        "prison": PRISONS[n % len(PRISONS)],
        "movement_reason": "N",
        "occurred_at": (datetime.now(UTC) - timedelta(days=1)).isoformat(),
        "source_ref": f"soak-adm-{noms}",
    }


def seeded(http: httpx.Client, path: str, body: dict[str, Any]) -> None:
    """One set-up request, tried again if the freshly started server drops it; seeding must
    work before the load can mean anything."""
    failure = ""
    for _ in range(5):
        try:
            response = http.post(path, json=body)
        except httpx.HTTPError as exc:
            failure = repr(exc)
            time.sleep(1)
            continue
        if response.status_code in EXPECTED["seed"]:
            return
        failure = f"{response.status_code} {response.text}"
        break
    raise RuntimeError(f"seeding failed at {path}: {failure[:500]}")


@dataclass
class Load:
    """The clients of one soak run against a started stack."""

    stack: Stack
    people: int
    tally: Tally = field(default_factory=Tally)
    stop: threading.Event = field(default_factory=threading.Event)
    pace: float = 0.05  # seconds between one client's requests: a steady load, not a flood

    def noms(self, n: int) -> str:
        return noms_for(n)

    def client(self, *roles: Role) -> httpx.Client:
        return httpx.Client(
            base_url=self.stack.base, headers=self.stack.headers(*roles), timeout=60
        )

    def seed(self) -> None:
        """Register and admit the people the readers and writers work on; wait until the
        read models hold them."""
        with self.client(Role.PRISON) as http:
            for n in range(self.people):
                noms = self.noms(n)
                seeded(http, "/people", registration(n, noms))
                seeded(http, f"/people/{noms}/admissions", admission(n, noms))
            head = http.get("/ready").json().get("head", 0)
            deadline = time.monotonic() + 120
            while http.get("/ready").json().get("position", -1) < head:
                if time.monotonic() > deadline:
                    raise RuntimeError("the read models did not catch up with the seeded people")
                time.sleep(0.2)

    def reader(self, k: int) -> None:
        rng = random.Random(k)
        with self.client(Role.PRISON) as http:
            while not self.stop.is_set():
                n = rng.randrange(self.people)
                noms = self.noms(n)
                call(self.tally, "read", http.get, f"/people/{noms}")
                call(self.tally, "read", http.get, f"/people/{noms}/timeline")
                name = f"tester{n:04d}"[: rng.randint(4, 10)]
                call(self.tally, "read", http.get, "/search", params={"name": name})
                self.stop.wait(self.pace)

    def writer(self, k: int, of: int) -> None:
        """Cell moves on this writer's own share of the people, each with its own key."""
        mine = [n for n in range(self.people) if n % (of + 1) == k]
        rng = random.Random(100 + k)
        with self.client(Role.PRISON) as http:
            while not self.stop.is_set():
                n = rng.choice(mine)
                ref = uuid.uuid4().hex
                body = {
                    "prison": PRISONS[n % len(PRISONS)],
                    "cell": f"{'ABC'[n % 3]}-{rng.randint(1, 4)}-{rng.randint(1, 40):03d}",
                    "occurred_at": now(),
                    "source_ref": f"soak-{ref}",
                }
                path = f"/people/{self.noms(n)}/cell-moves"
                key = {"Idempotency-Key": ref}
                call(self.tally, "command", http.post, path, json=body, headers=key)
                self.stop.wait(self.pace)

    def racer(self, of: int) -> None:
        """Two cell moves on one person with the same If-Match: one wins, one is refused."""
        shared = [n for n in range(self.people) if n % (of + 1) == of]
        rng = random.Random(7)
        with (
            self.client(Role.PRISON) as a,
            self.client(Role.PRISON) as b,
            ThreadPoolExecutor(2) as pool,
        ):
            while not self.stop.is_set():
                n = rng.choice(shared)
                noms, prison = self.noms(n), PRISONS[n % len(PRISONS)]
                # An unconditional move first: its ETag is the version both racers expect.
                body = {"prison": prison, "cell": "R-0-000", "occurred_at": now()}
                first = call(self.tally, "command", a.post, f"/people/{noms}/cell-moves", json=body)
                if first is None or first.status_code != 200:
                    self.stop.wait(self.pace)
                    continue
                statuses = self.race(pool, (a, b), noms, prison, first.headers["etag"])
                self.tally.race(statuses)
                self.stop.wait(self.pace * 10)

    def race(
        self,
        pool: ThreadPoolExecutor,
        clients: tuple[httpx.Client, httpx.Client],
        noms: str,
        prison: str,
        etag: str,
    ) -> list[int]:
        barrier = threading.Barrier(len(clients))

        def move(http: httpx.Client, cell: str) -> int:
            body = {"prison": prison, "cell": cell, "occurred_at": now()}
            barrier.wait(timeout=30)
            path, condition = f"/people/{noms}/cell-moves", {"If-Match": etag}
            got = call(self.tally, "race", http.post, path, json=body, headers=condition)
            return 0 if got is None else got.status_code

        return list(pool.map(move, clients, ("R-1-001", "R-1-002")))

    def loader(self, every: float, people: int) -> None:
        """A generated file loaded as a batch, then that batch voided, again and again."""
        with self.client(Role.RECOVERY) as http:
            round_ = 0
            while not self.stop.is_set():
                self.load_and_void(http, round_, people)
                round_ += 1
                self.stop.wait(every)

    def load_and_void(self, http: httpx.Client, round_: int, people: int) -> None:
        end = datetime.now(UTC) - timedelta(days=1)
        generator = Generator(seed=round_ + 1, years=2, end=end)
        first = IMPORT_BASE + round_ * people
        buffer = io.BytesIO()
        journeys = (generator.journey(n) for n in range(first, first + people))
        write_journeys(buffer, journeys, "jsonl")
        loaded = call(
            self.tally,
            "import",
            http.post,
            "/imports",
            params={"source": "GENERATOR", "format": "jsonl"},
            content=buffer.getvalue(),
            headers={"Content-Type": "application/x-ndjson"},
        )
        if loaded is None or loaded.status_code != 201:
            return
        batch = loaded.json()["batch_id"]
        order = {"reason": "soak run", "dry_run": False}
        call(self.tally, "void", http.post, f"/batches/{batch}/void", json=order)
