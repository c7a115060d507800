"""Every write of the event store is bounded in size and in time: a refusal of any size keeps
its rejects in pages saved one by one, and a writer behind a held lock fails within the
bound instead of hanging."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
import psycopg
import pytest
from eventsourcing.persistence import PersistenceError

from domain.service.application import JourneyApp
from domain.service.settings import Settings
from domain.service.storage import DatabaseURL
from replay import registry
from replay.batch import PAGE_BYTES, Batch, Reject, batch_name
from replay.importer import REPORTED, Importer, ImportOptions
from tests.conftest import prov
from tests.helpers import loader_batch

LINES = 15_420
NOTE = "transferred from the old extract; " * 40  # a long free-text reason on every line


def refused_file(path: Path, lines: int) -> Path:
    """Admissions of people no one holds, each with a long reason: every line is refused."""
    with path.open("wb") as out:
        for n in range(lines):
            line = {
                "command": "admissions",
                "person": f"B{n % 10000:04d}{chr(65 + n // 10000)}A",
                "prison": "LEI",
                "movement_reason": "N",
                "reason": NOTE,
                "occurred_at": "2025-01-02T09:00:00+00:00",
            }
            out.write(orjson.dumps(line) + b"\n")
    return path


class Writer(threading.Thread):
    """Registers people one after another, timing each save, until stopped."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.app = JourneyApp(Settings(database_url=url))
        self.stop, self.slowest, self.saved = threading.Event(), 0.0, 0
        self.errors: list[Exception] = []

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                self.app.register(
                    prov(datetime.now(UTC) - timedelta(days=1), ref=f"w-{n}"),
                    given_name="Wren",
                    family_name=f"Writer{n}",
                    date_of_birth=date(1980, 1, 1),
                    identifiers={"NOMS": f"W{n:04d}WW"},
                )
                self.saved += 1
            except Exception as exc:  # any failure fails the test below
                self.errors.append(exc)
            self.slowest = max(self.slowest, time.monotonic() - started)
            n += 1
            time.sleep(0.02)


def release_stalled(url: str) -> None:
    """End sessions of this database stuck mid-insert, so the test's tear-down can run."""
    conninfo = DatabaseURL.parse(url).conninfo()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
            "current_database() AND pid <> pg_backend_pid() AND query LIKE '%INSERT INTO%'"
        )


@pytest.mark.postgres
def test_a_large_refusal_answers_promptly_and_keeps_every_reject(
    pg_url: str, tmp_path: Path
) -> None:
    path = refused_file(tmp_path / "refused.jsonl", LINES)
    app = JourneyApp(Settings(database_url=pg_url))
    writer = Writer(pg_url)
    writer.start()
    outcome: dict[str, object] = {}
    loading = threading.Thread(
        target=lambda: outcome.update(
            report=Importer(app).run(path, ImportOptions("SECBIG", "jsonl", "loader"))
        ),
        daemon=True,
    )
    started = time.monotonic()
    loading.start()
    loading.join(timeout=60)
    took = time.monotonic() - started
    writer.stop.set()
    writer.join(timeout=30)
    try:
        if loading.is_alive():
            release_stalled(pg_url)
            pytest.fail(f"the refused load of {path.stat().st_size:,} bytes did not answer")
        report = outcome["report"]
        # Check the refusal answered, counted every line and reported the first ones.
        assert report.outcome == "refused"  # type: ignore[attr-defined]
        assert report.rejected == LINES  # type: ignore[attr-defined]
        assert len(report.rejects) == REPORTED  # type: ignore[attr-defined]
        # Check the writer was never held up and never failed meanwhile.
        assert not writer.errors, writer.errors[:3]
        assert writer.saved > 0
        assert writer.slowest < 5, f"a save waited {writer.slowest:.1f} s"
        # Check every reject is kept and listed, in line order, from the store.
        batch = registry.batch(app, report.batch_id)  # type: ignore[attr-defined]
        assert batch.status == "refused"
        assert len(batch.rejects) == LINES
        assert [r.line for r in batch.rejects] == list(range(1, LINES + 1))
        assert batch.rejects[-1].text.startswith('{"command":"admissions"')
        assert [r.line for r in batch.rejects[999:1001]] == [1000, 1001]
        # Check no stored event is larger than a page's bound, with room for its envelope.
        schema = DatabaseURL.parse(pg_url).schema
        with psycopg.connect(DatabaseURL.parse(pg_url).conninfo()) as conn:
            row = conn.execute(f"SELECT max(length(state)) FROM {schema}.journeys_events")
            largest = row.fetchone()
        assert largest is not None and largest[0] < 2 * PAGE_BYTES
        print(
            f"\nrefused {LINES:,} lines ({path.stat().st_size:,} bytes) in {took:.1f} s; "
            f"a concurrent writer saved {writer.saved} times, slowest {writer.slowest:.2f} s; "
            f"largest stored event {largest[0]:,} bytes"
        )
    finally:
        writer.app.close()
        app.close()


@pytest.mark.postgres
def test_the_same_file_refused_again_lists_only_the_latest_attempt(
    pg_url: str, tmp_path: Path
) -> None:
    path = refused_file(tmp_path / "refused.jsonl", 1200)
    app = JourneyApp(Settings(database_url=pg_url))
    try:
        options = ImportOptions("SECBIG", "jsonl", "loader")
        first = Importer(app).run(path, options)
        again = Importer(app).run(path, options)
        assert (first.outcome, again.outcome) == ("refused", "refused")
        batch = registry.batch(app, again.batch_id)
        assert [r.line for r in batch.rejects] == list(range(1, 1201))
        assert batch.counts.rejected == 1200
    finally:
        app.close()


def test_a_batch_saved_with_its_rejects_inline_still_loads(app: JourneyApp) -> None:
    """Batches saved before rejects were kept in pages hold them in LinesRejected events."""
    file_hash = "0123456789abcdef" * 4
    batch = loader_batch(batch_name("OLD", file_hash), "OLD", file_hash)
    old = [Reject(n, "prison", "unknown prison", f"line {n}") for n in range(1, 1501)]
    for start in (0, 1000):
        rejects = [r.as_dict() for r in old[start : start + 1000]]
        batch.trigger_event(Batch.LinesRejected, rejects=rejects)
    batch.close("refused", 1500)
    app.save(batch)
    loaded = registry.batch(app, "OLD-0123456789abcdef")
    assert loaded.status == "refused"
    assert loaded.counts.rejected == 1500
    assert list(loaded.rejects) == old
    assert loaded.rejects[:2] == old[:2]


@pytest.mark.postgres
def test_a_writer_behind_a_held_lock_fails_within_the_bound(pg_url: str) -> None:
    url = DatabaseURL.parse(pg_url)
    app = JourneyApp(Settings(database_url=pg_url))
    holder = psycopg.connect(url.conninfo())
    try:
        with app.recorder.datastore.get_connection() as conn:  # type: ignore[attr-defined]
            shown = [
                conn.execute(f"SHOW {name}").fetchone()
                for name in ("statement_timeout", "lock_timeout")
            ]
        assert [next(iter(s.values())) for s in shown if s] == [
            f"{url.statement_timeout}s",
            f"{url.lock_timeout}s",
        ]
        holder.execute(f"LOCK TABLE {url.schema}.journeys_events IN EXCLUSIVE MODE")
        started = time.monotonic()
        with pytest.raises(PersistenceError) as raised:
            app.register(
                prov(datetime.now(UTC) - timedelta(days=1)),
                given_name="Held",
                family_name="Back",
                date_of_birth=date(1980, 1, 1),
                identifiers={"NOMS": "H1234HH"},
            )
        waited = time.monotonic() - started
        assert isinstance(raised.value.__cause__, psycopg.errors.LockNotAvailable)
        # Two attempts (the recorder retries once), each waiting the lock bound.
        assert waited < 2 * url.lock_timeout + 3, waited
    finally:
        holder.close()
        app.close()


def test_timeouts_are_read_from_the_url_and_checked() -> None:
    url = DatabaseURL.parse("postgresql://u@h/db?lock_timeout=2&statement_timeout=9")
    assert (url.lock_timeout, url.statement_timeout, url.idle_timeout) == (2, 9, 10)
    assert "statement_timeout=9s" in url.session_options()
    env = url.event_store_env()
    assert env["POSTGRES_LOCK_TIMEOUT"] == "2"
    with pytest.raises(Exception, match="1-3600 seconds"):
        DatabaseURL.parse("postgresql://u@h/db?lock_timeout=0")
