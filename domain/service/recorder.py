"""The PostgreSQL event recorder with a short retry, so a command fails fast (503) while the
database is out of reach instead of after the library's own ten attempts.

The library retries each read and write ten times, each attempt waiting up to the pool's
timeout for a connection: about fifty seconds before a caller hears anything during an outage.
Here a failed attempt tests the pool's idle connections, dropping those that died with the
server (a restart, a network cut), and tries once more: that rides over a dead connection,
and fails within two pool timeouts when the database is really gone.
"""

from __future__ import annotations

import functools
import time
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.postgres import PostgresApplicationRecorder

from domain.service.group_commit import grouped

WAIT = 0.2  # seconds before the second attempt
# How long one attempt waits for a pooled connection, in seconds (POSTGRES_CONNECT_TIMEOUT).
POOL_WAIT = 2


def _short(method: Any) -> Any:
    """The library's method without its retry wrapper, tried at most twice instead."""
    inner = method.__wrapped__

    @functools.wraps(inner)
    def attempt(self: PostgresApplicationRecorder, *args: Any, **kwargs: Any) -> Any:
        try:
            return inner(self, *args, **kwargs)
        except (InterfaceError, OperationalError):
            self.datastore.pool.check()
            time.sleep(WAIT)
            return inner(self, *args, **kwargs)

    return attempt


class FailFastRecorder(PostgresApplicationRecorder):
    """The application recorder, its retried reads and writes given one retry each."""

    # Concurrent saves in one process share a transaction (see group_commit).
    insert_events = grouped(_short(PostgresApplicationRecorder.insert_events))
    select_events = _short(PostgresApplicationRecorder.select_events)
    select_notifications = _short(PostgresApplicationRecorder.select_notifications)
    max_notification_id = _short(PostgresApplicationRecorder.max_notification_id)


TOPIC = f"{__name__}:{FailFastRecorder.__name__}"
