"""`journey serve` killed with SIGKILL under write load, then started again: every command it
acknowledged is in the log exactly once, commands cut off are sent again with their key and
recorded once, and verify finds no drift. On PostgreSQL and on the embedded SQLite store."""

from __future__ import annotations

import signal
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from api.auth import Role
from domain.service.application import JourneyApp
from domain.service.settings import Settings
from ops.soak.stack import Stack
from projections.db import open_read_db
from projections.runner import Runner
from projections.verify import verify
from tests.e2e.commander import Commander, missing_or_doubled, recorded_refs, seed_people
from tests.e2e.conftest import LiveApi

USER = "crash.user"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def stack_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'crash.sqlite'}"
    url: str = request.getfixturevalue("pg_url")
    return url


def test_a_server_killed_under_write_load_loses_nothing_acknowledged(
    stack: Stack, stack_url: str
) -> None:
    app = JourneyApp(Settings(database_url=stack_url))
    try:
        people = seed_people(app, 12, prefix="Q")
    finally:
        app.close()
    stack.start_server()
    load = Commander(stack.base, stack.headers(Role.PRISON, user=USER), people, user=USER)
    load.start()
    try:
        load.wait_for_acks(60)
        assert stack.server is not None
        stack.server.send_signal(signal.SIGKILL)
        assert stack.server.wait(30) == -signal.SIGKILL
    finally:
        load.finish()
    acked_at_kill = len(load.acked)
    # Check the restarted server takes the cut-off commands again, each once.
    stack.start_server()
    retried = load.retry_unanswered()
    stack.close()
    settings = Settings(database_url=stack_url)
    app, db = JourneyApp(settings), open_read_db(settings.database)
    try:
        counts = recorded_refs(app, people)
        missing, doubled = missing_or_doubled(load.acked.values(), counts)
        assert not missing and not doubled, (missing, doubled)
        assert len(load.acked) == acked_at_kill + retried
        commanded = sum(n for ref, n in counts.items() if not ref.startswith("reg-"))
        assert commanded == len(load.acked), "a command nobody sent was recorded"
        print(
            f"\n{stack_url.partition(':')[0]}: acknowledged before the kill {acked_at_kill}, "
            f"cut off and sent again {retried}, found exactly once {len(load.acked)}"
        )
        # Check the read models, caught up, match the log exactly.
        Runner(app, db).catch_up()
        drift = verify(app, db)
        assert drift.total == 0, drift.examples
    finally:
        db.close()
        app.close()


def test_a_keyed_retry_after_a_lost_answer_records_once(api: LiveApi, tmp_path: Path) -> None:
    """A command whose write landed but whose answer was lost (a 503 after the commit) is sent
    again with its Idempotency-Key and no source_ref: the key alone makes it one record."""
    app = JourneyApp(api.settings.store)
    try:
        [(noms, prison)] = seed_people(app, 1, prefix="L")
    finally:
        app.close()
    staff = {**api.headers(Role.PRISON), "Idempotency-Key": "lost-answer-1"}
    moment = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    body = {"prison": prison, "cell": "B-2-002", "occurred_at": moment}
    first = api.client.post(f"/people/{noms}/cell-moves", json=body, headers=staff)
    assert first.status_code == 200, first.text
    # The kept answer is lost, as when the database went away between the write and keeping it.
    with sqlite3.connect(api.settings.store.database.path) as conn:
        assert conn.execute("DELETE FROM idempotency_keys").rowcount == 1
    again = api.client.post(f"/people/{noms}/cell-moves", json=body, headers=staff)
    assert again.status_code == 200, again.text
    assert again.json()["entry"] == first.json()["entry"]
    app = JourneyApp(api.settings.store)
    try:
        moves = [e for e in app.timeline(noms) if e.kind == "CellMoved"]
    finally:
        app.close()
    assert [e.source_ref for e in moves] == ["idempotency-key:officer.one:lost-answer-1"]
