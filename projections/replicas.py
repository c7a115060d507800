"""Read replicas: streamed copies of the primary, read models included (they are tables on the
primary, replicated with everything else). A read that names a log position is answered by a
replica only once that replica's read models include it; after a bounded wait, by the primary."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import psycopg

from domain.service.storage import DatabaseURL
from projections.db import PostgresDb
from projections.schema import META

# The position every live read model on a replica has reached, as `Runner.position` says of
# the primary's.
POSITION = f"SELECT COALESCE(MIN(position), 0) FROM {META} WHERE state = 'live'"
POLL = 0.01  # seconds between looks at a replica that has not yet reached a position


class Replicas:
    """The replicas' read-model connections, taken in turn."""

    def __init__(self, urls: Sequence[DatabaseURL], *, pool_size: int, wait: float) -> None:
        self.dbs = [PostgresDb(url, pool_size) for url in urls]
        self.wait = wait
        # The highest position each replica was seen at: positions only grow, so a read
        # asking for one already seen needs no look.
        self.seen = [0] * len(self.dbs)
        self.turn = 0

    async def aopen(self) -> None:
        for db in self.dbs:
            await db.aopen()

    async def aclose(self) -> None:
        for db in self.dbs:
            await db.aclose()

    def close(self) -> None:
        for db in self.dbs:
            db.close()

    def position(self, index: int) -> int:
        """A replica's read-model position, read now."""
        rows = self.dbs[index].query(POSITION)
        self.seen[index] = max(self.seen[index], int(rows[0][0]))
        return self.seen[index]

    def order(self) -> list[int]:
        """The replicas, starting with the next in turn."""
        self.turn = (self.turn + 1) % len(self.dbs)
        return [(self.turn + k) % len(self.dbs) for k in range(len(self.dbs))]

    def reached_blocking(self, position: int | None) -> PostgresDb | None:
        """A replica whose read models include `position` (any replica when None), waiting
        at most `wait` seconds; None when none reached it in time or none answers: the
        primary answers then."""
        if not self.dbs:
            return None
        order = self.order()
        if position is None:
            return self.dbs[order[0]]
        deadline = time.monotonic() + self.wait
        while True:
            for index in order:
                try:
                    if self.seen[index] >= position or self.position(index) >= position:
                        return self.dbs[index]
                except psycopg.OperationalError:
                    continue  # a replica out of reach: another, or the primary, answers
            if time.monotonic() >= deadline:
                return None
            time.sleep(POLL)

    async def reached(self, position: int | None) -> PostgresDb | None:
        """`reached_blocking` for the event loop: at once when no look is needed (no position
        asked for, or one a replica was already seen at), else in a worker thread."""
        if position is None or max(self.seen, default=-1) >= position:
            return self.reached_blocking(position)
        return await asyncio.to_thread(self.reached_blocking, position)
