"""What a load and the log's follower keep for their whole run: one connection for their
queries (not one a query), opened again after an outage; a query now and then borrowing from
the application's pool; a load's refused lines kept in order
however many go by, and reject pages whose early commit never leaks to the store's other
writes."""

from __future__ import annotations

import threading
import time
from contextlib import closing
from typing import Any

import psycopg
import pytest

from domain.service.application import JourneyApp
from domain.service.settings import Settings
from projections.db import ReadDb, open_read_db
from projections.runner import Runner
from projections.source import EventSource
from replay.batch import Reject, RejectPage, page_id
from replay.bulk import BulkWriter
from replay.spool import FLUSH, Spool
from tests.support import seed

PID = "SELECT pg_backend_pid() WHERE %s = %s"


def backend(source: EventSource) -> int:
    [(pid,)] = source._fetch(PID, [1, 1])
    return int(pid)


def ended(conninfo: str, pids: set[int], within: float = 5) -> bool:
    """Whether the server's backends of these pids have all ended: a closed connection's
    backend leaves `pg_stat_activity` a moment after the client closes it."""
    deadline = time.monotonic() + within
    with psycopg.connect(conninfo, autocommit=True) as conn:
        while True:
            alive = {row[0] for row in conn.execute("SELECT pid FROM pg_stat_activity")}
            if not pids & alive:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)


@pytest.mark.postgres
def test_a_kept_block_asks_every_query_on_one_connection_and_closes_it(pg_url: str) -> None:
    with closing(JourneyApp(Settings(database_url=pg_url))) as app:
        source = EventSource(app)
        conninfo = app.settings.database.conninfo()
        queries = 12
        outside = {backend(source) for _ in range(queries)}
        # Check a query outside a block borrows one of the application's pooled connections
        # (a feed page, say): connections are used again, and none closed after its query.
        assert len(outside) < queries
        with psycopg.connect(conninfo, autocommit=True) as conn:
            alive = {row[0] for row in conn.execute("SELECT pid FROM pg_stat_activity")}
        assert outside <= alive
        others: list[int] = []
        with source.kept():
            inside = {backend(source) for _ in range(3)}
            assert len(inside) == 1
            # Another thread asks on a connection of its own, never on this thread's.
            thread = threading.Thread(target=lambda: others.append(backend(source)))
            thread.start()
            thread.join()
            assert others and others[0] not in inside
            with source.kept():  # nested: the same connection
                assert backend(source) in inside
            assert backend(source) in inside
        after = backend(source)
        assert after not in inside
        assert ended(conninfo, inside), "the kept connection outlived its block"


@pytest.mark.postgres
def test_a_kept_connection_that_broke_gives_way_to_a_fresh_one(pg_url: str) -> None:
    with closing(JourneyApp(Settings(database_url=pg_url))) as app:
        source = EventSource(app)
        with source.kept():
            first = backend(source)
            with psycopg.connect(app.settings.database.conninfo(), autocommit=True) as conn:
                conn.execute("SELECT pg_terminate_backend(%s)", [first])
            with pytest.raises(psycopg.OperationalError):
                backend(source)
            again = {backend(source) for _ in range(3)}
            assert len(again) == 1 and first not in again


def rejects(lines: range) -> list[Reject]:
    return [Reject(n, "person", f"no person holds NOMS:Z{n:04d}AA", f"line {n}") for n in lines]


def test_rejects_kept_before_and_after_the_file_is_read_come_back_in_line_order() -> None:
    with Spool() as spool:
        # Read: a few unreadable lines; then checked, person by person, lines out of order.
        spool.reject(Reject(3, "line", "not JSON", "{"))
        assert spool.rejected == 1
        spool.finish()
        late = rejects(range(FLUSH * 2 + 7, 9, -1))
        for n in range(0, len(late), 3):
            spool.reject_all(late[n : n + 3])
        spool.reject_all([])
        assert spool.rejected == len(late) + 1
        back = list(spool.rejects())
        assert [r.line for r in back] == [3, *range(10, FLUSH * 2 + 8)]
        assert back[1] == Reject(10, "person", "no person holds NOMS:Z0010AA", "line 10")
        spool.reject_all(rejects(range(1, 3)))
        assert [r.line for r in spool.rejects()][:4] == [1, 2, 3, 10]


@pytest.mark.postgres
def test_a_page_written_unflushed_leaves_the_pooled_connection_flushing(pg_url: str) -> None:
    # One pooled connection: the page's and the one looked at after are the same.
    one = pg_url.replace("pool_size=4", "pool_size=1") + "&max_overflow=0"
    with closing(JourneyApp(Settings(database_url=one))) as app:
        writer = BulkWriter(app)
        page = RejectPage.write(page_id("B1", "a", 0), "B1", rejects(range(1, 4)))
        writer.save(page, flushed=False)
        datastore = app.recorder.datastore  # type: ignore[attr-defined]
        with datastore.get_connection() as conn:
            assert conn.execute("SHOW synchronous_commit").fetchone()["synchronous_commit"] == "on"
        stored: object = app.repository.get(page.id)
        assert isinstance(stored, RejectPage)
        assert [r.line for r in stored.rejects] == [1, 2, 3]


def caught_up(db: ReadDb, people: int, within: float = 30) -> None:
    deadline = time.monotonic() + within
    while db.query("SELECT count(*) FROM rm_people_g1")[0][0] < people:
        assert time.monotonic() < deadline, "the follower did not catch up"
        time.sleep(0.05)


@pytest.mark.postgres
def test_the_follower_reads_the_log_on_one_connection_and_outlives_losing_it(
    pg_url: str,
) -> None:
    settings = Settings(database_url=pg_url)
    app, db = JourneyApp(settings), open_read_db(settings.database)
    runner = Runner(app, db)
    opened: list[int] = []
    connect = runner.source._connect

    def counted() -> Any:
        conn = connect()
        opened.append(conn.info.backend_pid)
        return conn

    runner.source._connect = counted  # type: ignore[method-assign]
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,), kwargs={"outage": 0.2})
    try:
        seed(app, 0, 20)
        thread.start()
        caught_up(db, 20)
        time.sleep(0.5)  # idle: about ten more polls
        seed(app, 20, 20)
        caught_up(db, 40)
        assert len(opened) == 1, opened
        # Its connection lost (as in a server restart): it opens another and goes on.
        with psycopg.connect(app.settings.database.conninfo(), autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(%s)", [opened[0]])
        seed(app, 40, 20)
        caught_up(db, 60)
        assert len(opened) == 2, opened
    finally:
        stop.set()
        thread.join(timeout=10)
        db.close()
        app.close()
    assert not thread.is_alive()
    assert ended(settings.database.conninfo(), set(opened)), (
        "the follower's connection outlived its run"
    )
