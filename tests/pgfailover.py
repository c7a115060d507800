"""A replicated PostgreSQL topology for one test, run by pg_auto_failover (ops/cluster): its
monitor, a primary, a synchronous standby and read replicas on free loopback ports in a
temporary directory, killed and deleted after the test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from ops.cluster.topology import Missing, Topology, topology

__all__ = ["Topology", "failover_cluster"]


@contextmanager
def failover_cluster(replicas: int = 1) -> Iterator[Topology]:
    """The settled topology; fails the test (never skips) when pg_auto_failover is absent."""
    try:
        with topology(replicas) as started:
            yield started
    except Missing as exc:
        pytest.fail(str(exc), pytrace=False)
