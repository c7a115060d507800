"""The backup and restore drill on PostgreSQL, through the `journey` command line: back up the
store, restore it into a fresh database, rebuild and verify the read models there, and get the
same where-is answers as before."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest

from domain.service.application import JourneyApp
from domain.service.settings import Settings
from domain.service.storage import DatabaseURL
from ops.backup import ToolError, tool, tool_major
from projections import queries
from projections.db import open_read_db
from projections.runner import Runner
from replay.importer import Importer, ImportOptions
from replay.voiding import Corrector
from tests.conftest import ADMIN_URL
from tests.support import noms, seed

pytestmark = pytest.mark.postgres
PEOPLE = 40


def journey(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The `journey` command against one store, as an operator runs it."""
    env = {**os.environ, "JOURNEY_DATABASE_URL": url, "COLUMNS": "200"}
    command = [sys.executable, "-m", "ops.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False)


@pytest.fixture
def fresh_database() -> Iterator[str]:
    """An empty database the restore goes into, dropped afterwards."""
    name = f"journey_restore_{uuid.uuid4().hex[:10]}"
    admin = DatabaseURL.parse(ADMIN_URL)
    with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://{admin.user}@{admin.host}:{admin.port}/{name}"
    finally:
        with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def load_and_void(app: JourneyApp, tmp_path: Path) -> str:
    """People seeded, then a bad batch that moves three of them, loaded and voided."""
    seed(app, 0, PEOPLE)
    lines = [
        {
            "command": "cell-moves",
            "person": noms(n),
            "occurred_at": "2024-03-01T10:00:00+00:00",
            "prison": ["LEI", "MDI", "WYI", "DMI", "HLI"][(n + 1) % 5],
            "cell": "Z-9-099",
        }
        for n in (1, 2, 4)
    ]
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(line) for line in lines) + b"\n")
    report = Importer(app).run(path, ImportOptions("NOMIS", "jsonl", "loader", file_name="bad"))
    assert report.outcome == "recorded", report
    Corrector(app).void(report.batch_id, reason="wrong cells", by="rec.lead")
    return report.batch_id


def where_is(url: str) -> dict[str, Any]:
    """Every person's derived state and read-model record, by NOMS number."""
    app = JourneyApp(Settings(database_url=url))
    db = open_read_db(app.settings.database)
    answers: dict[str, Any] = {}
    try:
        for n in range(PEOPLE):
            state = app.state(noms(n))
            assert state is not None
            record = queries.person_record(db, state.person_id)
            answers[noms(n)] = (asdict(state), record)
    finally:
        db.close()
        app.close()
    return answers


def test_backup_restore_rebuild_verify(pg_url: str, fresh_database: str, tmp_path: Path) -> None:
    app = JourneyApp(Settings(database_url=pg_url))
    db = open_read_db(app.settings.database)
    try:
        batch = load_and_void(app, tmp_path)
        Runner(app, db).catch_up()
    finally:
        db.close()
        app.close()
    before = where_is(pg_url)
    # Check the voided batch left its marks (the drill carries them across).
    assert all(rec is not None and rec.location["cell"] != "Z-9-099" for _, rec in before.values())

    dump = tmp_path / "store.dump"
    done = journey(pg_url, "backup", "--out", str(dump))
    assert done.returncode == 0, done.stdout + done.stderr
    assert dump.stat().st_size > 0

    schema = DatabaseURL.parse(pg_url).schema
    target = f"{fresh_database}?schema={schema}"
    done = journey(target, "restore", str(dump), "--into", target)
    assert done.returncode == 0, done.stdout + done.stderr
    for step in (("projections", "rebuild"), ("projections", "verify")):
        done = journey(target, *step)
        assert done.returncode == 0, done.stdout + done.stderr
    assert "no drift" in done.stdout

    # Check every where-is answer, and the batch's void, are the same after the restore.
    assert where_is(target) == before
    shown = journey(target, "batches", "show", batch)
    assert shown.returncode == 0 and "void" in shown.stdout.lower(), shown.stdout

    # Check a second restore into the same (no longer fresh) schema is refused, naming --into.
    again = journey(target, "restore", str(dump), "--into", target)
    assert again.returncode == 1
    assert "--into" in again.stderr and "not fresh" in again.stderr


def test_restore_refuses_another_schema_and_an_existing_sqlite_file(
    pg_url: str, fresh_database: str, tmp_path: Path
) -> None:
    app = JourneyApp(Settings(database_url=pg_url))
    try:
        seed(app, 0, 2)
    finally:
        app.close()
    dump = tmp_path / "small.dump"
    assert journey(pg_url, "backup", "--out", str(dump)).returncode == 0
    wrong = f"{fresh_database}?schema=elsewhere"
    refused = journey(wrong, "restore", str(dump), "--into", wrong)
    assert refused.returncode == 1 and "?schema=" in refused.stderr, refused.stderr
    # Check a SQLite store is backed up as a copy, restored only into a new file.
    lite = f"sqlite:///{tmp_path / 'j.sqlite'}"
    seed_sqlite = JourneyApp(Settings(database_url=lite))
    seed_sqlite.close()
    taken = journey(lite, "backup", "--out", str(tmp_path / "x.bak"))
    assert taken.returncode == 0 and "j.sqlite" in taken.stdout, taken.stderr
    refused = journey(lite, "restore", str(tmp_path / "x.bak"), "--into", lite)
    assert refused.returncode == 1 and "already exists" in refused.stderr


def test_client_tools_older_than_the_server_are_refused() -> None:
    installed = tool_major(tool("pg_dump", 10))
    with pytest.raises(ToolError) as caught:
        tool("pg_dump", installed + 1)
    assert f"older than the server ({installed + 1})" in str(caught.value)
    assert f"postgresql-client-{installed + 1}" in str(caught.value)
    with pytest.raises(ToolError, match="not found: install postgresql-client"):
        tool("pg_no_such_tool", installed)
