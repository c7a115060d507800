"""A throwaway PostgreSQL database for a benchmark or soak run, dropped after it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from domain.service.storage import DatabaseURL


@contextmanager
def scratch_database(server: str, prefix: str) -> Iterator[str]:
    """A database made on `server` (an admin URL) for one run, and its URL; dropped after."""
    admin = DatabaseURL.parse(server)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    auth = admin.user + (f":{admin.password}" if admin.password else "")
    try:
        yield f"postgresql://{auth}@{admin.host}:{admin.port}/{name}"
    finally:
        with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
