"""Shared fixtures: every store the project supports, each made fresh for a test and dropped.

PostgreSQL tests need the server named by JOURNEY_TEST_POSTGRES (default: the local server).
When it cannot be reached they fail with a message saying so; they are never skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from hypothesis import settings as hypothesis_settings

from domain.provenance import Provenance
from domain.service.application import JourneyApp
from domain.service.settings import Settings
from domain.service.storage import DatabaseURL
from projections.db import ReadDb, open_read_db

# CI runs the same examples every time (a red run must be reproducible); elsewhere Hypothesis
# keeps exploring new ones.
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

ADMIN_URL = os.environ.get("JOURNEY_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
STORES = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _admin_conninfo() -> str:
    return DatabaseURL.parse(ADMIN_URL).conninfo()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A database made for this test session and dropped after it."""
    name = f"journey_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(_admin_conninfo(), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is needed for this test but cannot be reached at {ADMIN_URL} "
            f"(set JOURNEY_TEST_POSTGRES to another server): {exc}",
            pytrace=False,
        )
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = DatabaseURL.parse(ADMIN_URL)
    url = f"postgresql://{base.user}@{base.host}:{base.port}/{name}"
    if base.password:
        url = f"postgresql://{base.user}:{base.password}@{base.host}:{base.port}/{name}"
    try:
        yield url
    finally:
        with psycopg.connect(_admin_conninfo(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url(pg_database: str) -> Iterator[str]:
    """A fresh schema in the session's database, dropped after the test."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    conninfo = DatabaseURL.parse(pg_database).conninfo()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{pg_database}?schema={schema}&pool_size=4"
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture(params=STORES)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for each store in turn: the contract every implementation must meet."""
    if request.param == "memory":
        return Settings(database_url="memory://")
    if request.param == "sqlite":
        return Settings(database_url=f"sqlite:///{tmp_path / 'journey.sqlite'}")
    return Settings(database_url=request.getfixturevalue("pg_url"))


@pytest.fixture
def app(settings: Settings) -> Iterator[JourneyApp]:
    with closing(JourneyApp(settings)) as application:
        yield application


READ_STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=READ_STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[JourneyApp, ReadDb]]:
    """An application and its read-model database, on each store read models support."""
    if request.param == "sqlite":
        settings = Settings(database_url=f"sqlite:///{tmp_path / 'j.sqlite'}")
    else:
        settings = Settings(database_url=request.getfixturevalue("pg_url"))
    with closing(JourneyApp(settings)) as app, closing(open_read_db(settings.database)) as db:
        yield app, db


@pytest.fixture
def memory_app() -> Iterator[JourneyApp]:
    with closing(JourneyApp(Settings(database_url="memory://"))) as application:
        yield application


T0 = datetime(2024, 1, 8, 9, 0, tzinfo=UTC)


def at(days: float = 0, hours: float = 0) -> datetime:
    """A moment relative to the scenarios' fixed start."""
    return T0 + timedelta(days=days, hours=hours)


def prov(
    when: datetime,
    *,
    ref: str | None = None,
    reason: str | None = None,
    batch: str | None = None,
    source: str = "API",
    by: str = "officer.one",
) -> Provenance:
    """An entry's provenance as the scenarios record it: by officer.one through the API unless
    they say otherwise."""
    return Provenance(by, source, when, batch, ref, reason, correlation_id="test")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many PostgreSQL tests ran, so a summary shows they were not skipped."""
    stats = terminalreporter.stats
    ran = [
        r
        for key in ("passed", "failed")
        for r in stats.get(key, [])
        if getattr(r, "when", "") == "call" and "postgres" in r.keywords
    ]
    terminalreporter.write_line(f"PostgreSQL tests run: {len(ran)}")
