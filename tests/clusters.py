"""What the tests that break a database run on it: the projection worker following the log in a
thread, as `journey projections run`, the API served on a store seeded with people, and the
check that every command it acknowledged is recorded exactly once."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from api.config import ApiSettings
from domain.service.application import JourneyApp
from domain.service.settings import Settings
from projections.db import open_read_db
from projections.runner import OUTAGE, Runner
from tests.e2e.commander import Commander, missing_or_doubled, recorded_refs, seed_people
from tests.e2e.conftest import LiveApi, serve

People = list[tuple[str, str]]  # (NOMS, prison)
T = TypeVar("T")


def until(probe: Callable[[], T], seconds: float, failure: str | Callable[[], str]) -> T:
    """The first answer of `probe` that is not empty or false, asking every 0.2 s; fails with
    `failure` (called only then) after `seconds`."""
    deadline = time.monotonic() + seconds
    while not (answer := probe()):
        assert time.monotonic() < deadline, failure if isinstance(failure, str) else failure()
        time.sleep(0.2)
    return answer


@dataclass
class Worker:
    """The projection worker, following the log in a thread, as `journey projections run`."""

    runner: Runner
    stop: threading.Event
    thread: threading.Thread

    def wait_for_head(self, seconds: float) -> None:
        until(self.at_head, seconds, "the worker did not catch up")

    def at_head(self) -> bool:
        """Whether the worker has applied the whole log; this process's own pools may still be
        waiting to reconnect after an outage, so their refusals only mean: not yet."""
        try:
            head = self.runner.app.recorder.max_notification_id() or 0
            return self.runner.position() >= head
        except OUTAGE:
            return False


@contextmanager
def projection_worker(store: Settings) -> Iterator[Worker]:
    """A worker that waits out outages (trying again every 0.5 s), stopped and closed after."""
    app, stop = JourneyApp(store), threading.Event()
    runner = Runner(app, open_read_db(store.database))
    thread = threading.Thread(target=runner.run, args=(stop,), kwargs={"outage": 0.5})
    thread.start()
    try:
        yield Worker(runner, stop, thread)
    finally:
        stop.set()
        thread.join(timeout=30)
        runner.db.close()
        app.close()


@dataclass
class Running:
    """The API and the projection worker on one store, and the people seeded there."""

    live: LiveApi
    people: People
    worker: Worker


def api_and_worker(
    store: Settings, key_dir: Path, count: int, prefix: str, *, caught_up: bool = True
) -> Iterator[Running]:
    """The worker following `store`'s log, and the API on it once `count` people (NOMS numbers
    starting `prefix`) are admitted there, with `caught_up` only once the worker has projected
    them too; both stopped after, the API first."""
    with projection_worker(store) as worker:
        app = JourneyApp(store)
        try:
            people = seed_people(app, count, prefix=prefix)
        finally:
            app.close()
        if caught_up:
            worker.wait_for_head(60)
        settings = ApiSettings(store=store, dev_key_path=str(key_dir / "dev-key.pem"))
        for live in serve(settings):
            yield Running(live, people, worker)


def resent_and_recorded_once(
    load: Commander, worker: Worker, people: People
) -> tuple[int, Counter[str]]:
    """Send every command refused or cut off again with its key, then check the worker caught
    up on its own and each acknowledged command is in the log exactly once; how many were sent
    again, and how many times the log holds each source_ref."""
    refused = set(load.unanswered)
    retried = load.retry_unanswered()
    assert retried == len(refused)
    worker.wait_for_head(60)
    assert worker.thread.is_alive()
    counts = recorded_refs(worker.runner.app, people)
    missing, doubled = missing_or_doubled(load.acked.values(), counts)
    assert not missing and not doubled, (missing, doubled)
    return retried, counts
