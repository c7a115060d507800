"""Reads that a streaming replica may answer (JOURNEY_REPLICA_URLS), with read-your-writes: a
caller naming the log position its command returned (`min_position`) is answered from read
models that include it, a replica's if one reaches it within JOURNEY_REPLICA_WAIT, else the
primary's. Access-log rows are always written to the primary (`disclose`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Query
from psycopg import OperationalError

from api.services import Services
from projections.db import ReadDb

T = TypeVar("T")
SOURCE = "X-Read-From"  # the response header naming who answered: replica or primary
MinPosition = Annotated[
    int | None,
    Query(
        ge=0,
        description="the log position a command returned: answered only from read models "
        "that include it (read-your-writes when reads go to a replica)",
    ),
]


def read_on(svc: Services, min_position: int | None, read: Callable[[ReadDb], T]) -> tuple[T, str]:
    """`read` on a replica whose read models include `min_position`, else on the primary
    (also when the replica is out of reach); with which answered."""
    replica = svc.replicas.reached_blocking(min_position) if svc.replicas is not None else None
    if replica is not None:
        try:
            return read(replica), "replica"
        except OperationalError:
            pass
    return read(svc.db), "primary"
