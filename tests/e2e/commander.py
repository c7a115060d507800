"""Client threads sending commands to a live API while something breaks under it, keeping
track of which commands were acknowledged, so a test can check each is recorded exactly once."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from domain.service.application import JourneyApp
from domain.service.catalogue import Admit
from tests.conftest import prov

PRISONS = ["LEI", "MDI", "WYI", "DMI", "HLI"]
PROBLEM = "application/problem+json"


def seed_people(app: JourneyApp, count: int, prefix: str = "K") -> list[tuple[str, str]]:
    """People admitted a day ago, as (NOMS, prison)."""
    people = []
    for n in range(count):
        noms, prison = f"{prefix}{n:04d}CS", PRISONS[n % len(PRISONS)]
        app.register(
            prov(datetime.now(UTC) - timedelta(days=2), ref=f"reg-{noms}"),
            given_name="Crash",
            family_name=f"Safety{n}",
            date_of_birth=date(1981, 2, 3),
            identifiers={"NOMS": noms},
        )
        app.handle(
            noms,
            [Admit(prison=prison, movement_reason="N")],
            prov(datetime.now(UTC) - timedelta(days=1)),
        )
        people.append((noms, prison))
    return people


@dataclass
class Command:
    noms: str
    ref: str  # the Idempotency-Key, and the body's source_ref when it gives one
    body: dict[str, Any]
    recorded_as: str  # the source_ref the entry carries in the log


@dataclass
class Commander:
    """Threads sending cell moves, each with its own Idempotency-Key; half the threads also
    give a source_ref, the other half rely on the key alone."""

    base: str
    headers: dict[str, str]
    people: list[tuple[str, str]]
    user: str = "officer.one"  # who the headers' token names
    threads: int = 4
    acked: dict[str, Command] = field(default_factory=dict)
    unanswered: dict[str, Command] = field(default_factory=dict)
    statuses: Counter[int] = field(default_factory=Counter)
    problems: list[httpx.Response] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    running: list[threading.Thread] = field(default_factory=list)

    def start(self) -> Commander:
        self.running = [
            threading.Thread(target=self.send_loop, args=(k,)) for k in range(self.threads)
        ]
        for thread in self.running:
            thread.start()
        return self

    def finish(self) -> None:
        self.stop.set()
        for thread in self.running:
            thread.join(timeout=120)
            assert not thread.is_alive(), "a client thread hung"

    def send_loop(self, k: int) -> None:
        mine = self.people[k :: self.threads]
        with httpx.Client(base_url=self.base, headers=self.headers, timeout=30) as http:
            n = 0
            while not self.stop.is_set():
                noms, prison = mine[n % len(mine)]
                ref = f"cs-{k}-{n}"
                body = {
                    "prison": prison,
                    "cell": f"A-{k}-{n % 1000:03d}",
                    "occurred_at": (datetime.now(UTC) - timedelta(seconds=1)).isoformat(),
                }
                recorded_as = f"idempotency-key:{self.user}:{ref}"
                if k % 2 == 0:
                    body["source_ref"] = recorded_as = ref
                self.send(http, Command(noms, ref, body, recorded_as))
                n += 1

    def send(self, http: httpx.Client, command: Command) -> int | None:
        """One attempt; notes the command as acknowledged or as still unanswered."""
        try:
            response = http.post(
                f"/people/{command.noms}/cell-moves",
                json=command.body,
                headers={"Idempotency-Key": command.ref},
            )
        except httpx.HTTPError:
            with self.lock:
                self.statuses[0] += 1
                self.unanswered[command.ref] = command
            time.sleep(0.05)
            return None
        with self.lock:
            self.statuses[response.status_code] += 1
            if 200 <= response.status_code < 300:
                self.acked[command.ref] = command
                self.unanswered.pop(command.ref, None)
            else:
                self.unanswered[command.ref] = command
                self.problems.append(response)
        return response.status_code

    def retry_unanswered(self, seconds: float = 60) -> int:
        """Send each unanswered command again with its key until acknowledged; how many."""
        retried = 0
        deadline = time.monotonic() + seconds
        with httpx.Client(base_url=self.base, headers=self.headers, timeout=30) as http:
            for command in list(self.unanswered.values()):
                while self.send(http, command) != 200:
                    assert time.monotonic() < deadline, f"{command.ref} never acknowledged"
                    time.sleep(0.2)
                retried += 1
        return retried

    def wait_for_acks(self, count: int, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while len(self.acked) < count:
            assert time.monotonic() < deadline, f"only {len(self.acked)} of {count} acknowledged"
            time.sleep(0.05)


def missing_or_doubled(
    acked: Iterable[Command], counts: Counter[str]
) -> tuple[list[str], list[str]]:
    """Acknowledged commands not in the log, and source_refs the log holds more than once."""
    missing = [c.ref for c in acked if counts[c.recorded_as] == 0]
    return missing, [ref for ref, n in counts.items() if n > 1]


def recorded_refs(app: JourneyApp, people: Iterable[tuple[str, str]]) -> Counter[str]:
    """How many times each source_ref is in the event log, over these people's histories."""
    found: Counter[str] = Counter()
    for noms, _ in people:
        found.update(e.source_ref for e in app.person(noms).timeline() if e.source_ref)
    return found
