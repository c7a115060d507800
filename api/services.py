"""The resources one running application holds, built once in the lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from api.access_log import AccessLog
from api.auth import TokenVerifier
from api.config import ApiSettings
from api.idempotency import IdempotencyStore
from api.metrics import Metrics
from domain.service.application import JourneyApp
from projections.db import ReadDb, open_read_db
from projections.embedded import EmbeddedProjections
from projections.replicas import Replicas
from projections.runner import Runner
from projections.tables import ensure

T = TypeVar("T")
THREADS = 40  # blocking calls in flight at once, as many as the framework's own pool allows


@dataclass
class Services:
    settings: ApiSettings
    journeys: JourneyApp
    db: ReadDb
    access: AccessLog
    verifier: TokenVerifier
    idempotency: IdempotencyStore
    runner: Runner
    embedded: EmbeddedProjections | None = None
    metrics: Metrics = field(default_factory=Metrics)
    replicas: Replicas | None = None  # reads that may be answered by a streaming replica
    threads: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(THREADS, thread_name_prefix="blocking")
    )

    async def blocking(self, work: Callable[[], T]) -> T:
        """`work` (the store's calls block) run in a thread of this application's own: the
        framework's hand-off costs the event loop two to three times the CPU per call."""
        return await asyncio.get_running_loop().run_in_executor(self.threads, work)

    async def start(self) -> None:
        """Open what the event loop itself uses (the hot path's connections)."""
        await self.db.aopen()
        if self.replicas is not None:
            await self.replicas.aopen()

    async def stop(self) -> None:
        await self.db.aclose()
        if self.replicas is not None:
            await self.replicas.aclose()
        self.close()

    def close(self) -> None:
        if self.embedded is not None:
            self.embedded.stop()
        if self.replicas is not None:
            self.replicas.close()
        self.threads.shutdown(wait=False)
        self.db.close()
        self.journeys.close()


def prepare(settings: ApiSettings) -> None:
    """Create every table once, before worker processes start: workers starting together on a
    fresh database would otherwise race each other to create the same tables."""
    journeys = JourneyApp(settings.store)
    db = open_read_db(settings.store.database, pool_size=1)
    try:
        ensure(db)
        AccessLog(db).ensure()
        IdempotencyStore(db).ensure()
    finally:
        db.close()
        journeys.close()


def build(settings: ApiSettings) -> Services:
    """Open the store and read models; on SQLite also follow the log in-process."""
    journeys = JourneyApp(settings.store)
    db = open_read_db(settings.store.database, pool_size=16)
    ensure(db)
    access = AccessLog(db)
    access.ensure()
    idempotency = IdempotencyStore(db)
    idempotency.ensure()
    services = Services(
        settings, journeys, db, access, TokenVerifier(settings), idempotency, Runner(journeys, db)
    )
    if settings.store.database.kind == "sqlite":
        services.embedded = EmbeddedProjections(journeys, db).start()
    if settings.store.replicas:
        store = settings.store
        services.replicas = Replicas(store.replicas, pool_size=16, wait=store.replica_wait)
    return services
