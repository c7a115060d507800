"""The projection runner: follows the event log and keeps every read model exactly once.

Each batch reads many events, derives the touched people's states at the batch's last position,
and writes their rows and the new tracking position in one transaction. A crash anywhere leaves
either the whole batch or none of it, so no event is applied twice or skipped.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError

from domain.service.application import JourneyApp
from projections import tables
from projections.db import ReadDb
from projections.schema import BY_NAME
from projections.source import EventSource
from projections.statistics import Statistics

log = logging.getLogger(__name__)
# Failures of the database's reach rather than of the projections: a restart, a network cut,
# a lock held too long. Anything else still stops the runner.
OUTAGE = (psycopg.OperationalError, sqlite3.OperationalError, OperationalError, InterfaceError)


@dataclass(frozen=True)
class Lag:
    name: str
    generation: int
    position: int
    head: int
    events_behind: int
    seconds_behind: float


class Runner:
    """Catches read models up with the log; `run` keeps doing so until stopped."""

    def __init__(self, app: JourneyApp, db: ReadDb, batch_size: int = 2000) -> None:
        self.app, self.db, self.batch_size = app, db, batch_size
        self.source = EventSource(app)
        tables.ensure(db)
        self.statistics = Statistics(db)

    def step(self) -> int:
        """Apply one batch to the most-behind projections; return how many events it covered."""
        covered = self.apply()
        if covered:
            self.statistics.refresh()
        return covered

    def apply(self) -> int:
        with self.db.transaction() as cur:
            tables.lock(cur, self.db.dialect)
            current = tables.live(cur)
            low = min(g.position for g in current.values())
            group = [g for g in current.values() if g.position == low]
            ahead = [g.position for g in current.values() if g.position > low]
            limit = min([self.batch_size, *(p - low for p in ahead)])
            changes = self.source.changes(low, limit)
            if not changes:
                return 0
            end = changes[-1][0]
            people = {pid for _, pid, topic in changes if topic.startswith("domain.person.")}
            states = self.source.states(people, end).values()
            for gen in group:
                projection, dialect = BY_NAME[gen.name], self.db.dialect
                written = tables.write_states(cur, dialect, projection, gen.generation, states)
                self.statistics.wrote(written)
                tables.set_position(cur, gen.name, gen.generation, end)
            return len(changes)

    def catch_up(self) -> int:
        """Apply batches until every projection has reached the head; return the position."""
        with self.source.kept():
            while self.step():
                pass
        return self.position()

    def position(self) -> int:
        """The position every live read model has reached."""
        with self.db.transaction(write=False) as cur:
            return min(g.position for g in tables.live(cur).values())

    def wait_for(self, position: int, timeout: float = 5.0) -> bool:
        """Wait, at most `timeout` seconds, until read models include a position."""
        deadline = time.monotonic() + timeout
        while self.position() < position:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True

    def run(self, stop: threading.Event, idle: float = 0.05, outage: float = 1.0) -> None:
        """Follow the log until `stop` is set; sleeps briefly only when there is nothing new,
        and waits out a database outage (a batch is all or nothing, so none is half applied).
        The log is read on one connection for the whole run (`EventSource.kept`), not one a
        query: idle, the follower asks twenty times a second."""
        with self.source.kept():
            self._follow(stop, idle, outage)

    def _follow(self, stop: threading.Event, idle: float, outage: float) -> None:
        while not stop.is_set():
            try:
                stepped = self.step()
            except OUTAGE as exc:
                log.warning("read models paused: the database cannot be reached (%s)", exc)
                stop.wait(outage)
                continue
            if not stepped:
                stop.wait(idle)

    def lag(self) -> list[Lag]:
        """Each live projection's position, the log's head, and how far behind it is."""
        head = self.source.head()
        with self.db.transaction(write=False) as cur:
            current = tables.live(cur)
        report = []
        for gen in sorted(current.values(), key=lambda g: g.name):
            seconds = 0.0
            pending = self.source.changes(gen.position, 1) if gen.position < head else []
            oldest = self.source.recorded_at(pending[0][0]) if pending else None
            if oldest is not None:
                seconds = max((datetime.now(UTC) - oldest).total_seconds(), 0.0)
            report.append(
                Lag(gen.name, gen.generation, gen.position, head, head - gen.position, seconds)
            )
        return report
