"""Concurrent saves in one process share a transaction: shown by the rows' own transaction ids
(`xmin`), with the table's lock held elsewhere so that saves pile up behind the first."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from typing import Any

import psycopg
import pytest

from domain.service.application import JourneyApp
from domain.service.catalogue import MoveCell
from domain.service.errors import ConcurrencyConflict
from domain.service.results import CommandResult
from domain.service.settings import Settings
from tests.conftest import at, prov
from tests.helpers import admitted
from tests.support import noms

pytestmark = pytest.mark.postgres


@contextmanager
def table_locked(app: JourneyApp) -> Iterator[None]:
    """The event table's EXCLUSIVE lock, held by another session until the block ends."""
    url = app.settings.database
    with psycopg.connect(url.conninfo()) as conn:
        conn.execute(f"LOCK TABLE {url.schema}.journeys_events IN EXCLUSIVE MODE")
        yield
        conn.rollback()


def waiting(app: JourneyApp) -> int:
    """Saves queued behind the one being written."""
    commit: Any = app.recorder.__dict__.get("_group_commit")
    return 0 if commit is None else len(commit.waiting)


def until(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 2
    while not check():
        assert time.monotonic() < deadline, "saves never queued"
        time.sleep(0.005)


def piled_up(app: JourneyApp, refs: list[str]) -> list[CommandResult | Exception]:
    """A cell move for each reference, the first in flight while the rest queue behind it."""
    outcomes: list[CommandResult | Exception] = [RuntimeError("not run")] * len(refs)

    def move(k: int) -> None:
        try:
            command = MoveCell(prison="LEI", cell=f"B-1-{k:03d}")
            outcomes[k] = app.handle(refs[k], [command], prov(at(1)))
        except Exception as error:
            outcomes[k] = error

    threads = [threading.Thread(target=move, args=(k,)) for k in range(len(refs))]
    with table_locked(app):
        threads[0].start()
        until(lambda: app.recorder.__dict__.get("_group_commit") is not None)
        time.sleep(0.2)  # the first save is now waiting for the lock, inside its statement
        for thread in threads[1:]:
            thread.start()
        until(lambda: waiting(app) == len(refs) - 1)
    for thread in threads:
        thread.join()
    return outcomes


def transactions(app: JourneyApp, refs: list[str]) -> int:
    """How many transactions wrote the refs' people's cell moves."""
    url = app.settings.database
    ids = [app.resolve(ref) for ref in refs]
    with psycopg.connect(url.conninfo()) as conn:
        row = conn.execute(
            f"SELECT count(DISTINCT xmin::text) FROM {url.schema}.journeys_events "
            "WHERE originator_id = ANY(%s) AND originator_version = 4",
            (ids,),
        ).fetchone()
    assert row is not None
    return int(row[0])


def in_cells(app: JourneyApp, count: int) -> list[str]:
    """People admitted and put in a cell (so each has a version 3 to build on)."""
    refs = [noms(n) for n in range(count)]
    for ref in refs:
        admitted(app, ref)
        app.handle(ref, [MoveCell(prison="LEI", cell="A-1-001")], prov(at(1)))
    return refs


def test_saves_that_queue_behind_one_are_written_in_one_transaction(pg_url: str) -> None:
    with closing(JourneyApp(Settings(database_url=pg_url))) as app:
        refs = in_cells(app, 8)
        outcomes = piled_up(app, refs)
        # Check every save succeeded, each at its own position: the first alone, the seven
        # that queued behind it in one transaction.
        assert all(isinstance(o, CommandResult) for o in outcomes), outcomes
        done = [o for o in outcomes if isinstance(o, CommandResult)]
        assert len({d.position for d in done}) == len(refs)
        assert transactions(app, refs) == 2


def test_a_conflicting_save_in_a_group_fails_alone(pg_url: str) -> None:
    with closing(JourneyApp(Settings(database_url=pg_url))) as app:
        refs = in_cells(app, 6)
        # The last two name one person: both build version 4 from version 3, one must lose.
        outcomes = piled_up(app, [*refs, refs[-1]])
        lost = [o for o in outcomes if isinstance(o, ConcurrencyConflict)]
        done = [o for o in outcomes if isinstance(o, CommandResult)]
        # Check only the stale save failed; the group was written again save by save.
        assert len(lost) == 1 and len(done) == len(refs), outcomes
        assert {d.person_id for d in done} == {str(app.resolve(ref)) for ref in refs}
        assert transactions(app, refs) == len(refs)
