"""The PostgreSQL event recorder with short retries, so a command fails fast (503) while the
database is out of reach instead of after the library's own ten attempts.

The library retries each read and write ten times, each attempt waiting up to the pool's
timeout for a connection: about fifty seconds before a caller hears anything during an outage.
Two attempts still ride over a connection the server dropped (a restart, a network cut): the
first fails at once on the dead connection, the second gets a fresh one.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry

ATTEMPTS = 2
WAIT = 0.2  # seconds between attempts
# How long one attempt waits for a pooled connection, in seconds (POSTGRES_CONNECT_TIMEOUT).
POOL_WAIT = 2


def _short(method: Any) -> Any:
    """The library's method without its retry wrapper, retried `ATTEMPTS` times instead."""
    return retry((InterfaceError, OperationalError), max_attempts=ATTEMPTS, wait=WAIT)(
        method.__wrapped__
    )


class FailFastRecorder(PostgresApplicationRecorder):
    """The application recorder, its retried reads and writes given short retries."""

    insert_events = _short(PostgresApplicationRecorder.insert_events)
    select_events = _short(PostgresApplicationRecorder.select_events)
    select_notifications = _short(PostgresApplicationRecorder.select_notifications)
    max_notification_id = _short(PostgresApplicationRecorder.max_notification_id)


TOPIC = f"{__name__}:{FailFastRecorder.__name__}"
