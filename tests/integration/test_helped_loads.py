"""A load checked and encoded by two processes on PostgreSQL (a second one takes chunks while
this one does the others) records exactly what one process would: every position in order,
entries stamped when written, people changed between the passes checked again, a refused line
anywhere refusing the whole file with its line and field named, and no process left behind."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from domain.service.application import JourneyApp
from domain.service.movement_commands import MoveCell
from domain.service.settings import Settings
from replay.importer import Importer, ImportOptions
from tests.conftest import prov
from tests.helpers import nomis_movement
from tests.integration.test_bulk_loads import (
    ADMITTED,
    PEOPLE,
    TRANSFERRED,
    check_written_in_order,
    moves,
)
from tests.support import noms

pytestmark = pytest.mark.postgres


def helped_load(app: JourneyApp, path: Path, lines: list[bytes], **kwargs: object) -> None:
    path.write_bytes(b"\n".join(lines) + b"\n")
    before = children()
    importer = Importer(app, chunk=7, helped=True, **kwargs)  # type: ignore[arg-type]
    report = importer.run(path, ImportOptions("NOMIS", "nomis", "loader"))
    assert report.outcome == "recorded", report.rejects
    assert report.people == PEOPLE
    assert children() <= before  # the load's second process is gone (others may run on)


def children() -> set[str]:
    """This process's child processes still running (earlier tests may have left some that
    live as long as the test process, such as multiprocessing's resource tracker)."""
    return {
        pid
        for task in Path("/proc/self/task").iterdir()
        for pid in (task / "children").read_text().split()
    }


@pytest.fixture
def pg_app(pg_url: str) -> Iterator[JourneyApp]:
    with closing(JourneyApp(Settings(database_url=pg_url))) as app:
        yield app


def test_a_helped_load_writes_every_position_in_order_stamped_when_written(
    pg_app: JourneyApp, tmp_path: Path
) -> None:
    helped_load(pg_app, tmp_path / "in.jsonl", moves(range(PEOPLE), ADMITTED, *TRANSFERRED))
    # Check what two processes wrote is what one writes.
    check_written_in_order(pg_app)


def test_a_person_changed_between_helped_passes_is_checked_again(
    pg_app: JourneyApp, tmp_path: Path
) -> None:
    helped_load(pg_app, tmp_path / "first.jsonl", moves(range(PEOPLE), ADMITTED))
    # One person in the first chunk (encoded here) and one in the second (encoded by the
    # second process).
    changed = {noms(3), noms(10)}

    def meanwhile(phase: str, done: int, total: int) -> None:
        # The checking pass is over: another user moves them before the write.
        if phase == "checking" and done == total:
            moved = prov(datetime(2025, 2, 1, tzinfo=UTC))
            for ref in changed:
                pg_app.handle(ref, [MoveCell(prison="LEI", cell="B-2-002")], moved)

    second = moves(range(PEOPLE), *TRANSFERRED)
    helped_load(pg_app, tmp_path / "second.jsonl", second, progress=meanwhile)
    # Check both the other user's entry and the load's stand, each once, on every person.
    for n in range(PEOPLE):
        entries = pg_app.person(noms(n)).active_entries()
        assert len(entries) == (4 if noms(n) in changed else 3), entries


def test_a_line_refused_in_any_chunk_refuses_the_whole_helped_load(
    pg_app: JourneyApp, tmp_path: Path
) -> None:
    lines = moves(range(PEOPLE), ADMITTED, *TRANSFERRED)
    # A release from a prison the person never entered, in a late chunk, and one early.
    late = nomis_movement(noms(PEOPLE - 2), "2025-02-01", "REL", "OUT", "WYI", "OUT", "CR")
    early = nomis_movement(noms(1), "2025-02-01", "REL", "OUT", "WYI", "OUT", "CR")
    lines += [orjson.dumps(late), orjson.dumps(early)]
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    before = children()
    report = Importer(pg_app, chunk=7, helped=True).run(
        path, ImportOptions("NOMIS", "nomis", "loader")
    )
    # Check nothing was recorded, and each refused line is named with its field.
    assert report.outcome == "refused"
    assert [r.line for r in report.rejects] == [len(lines) - 1, len(lines)]
    assert all(r.field for r in report.rejects)
    log = pg_app.notification_log.select(start=1, limit=1000)
    assert not [row for row in log if row.topic.startswith("domain.person")]
    assert children() <= before


@pytest.mark.parametrize("interpreter", ["/nonexistent/python", "/bin/false"])
def test_a_second_process_that_cannot_start_or_ends_early_leaves_the_checks_here(
    pg_app: JourneyApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, interpreter: str
) -> None:
    # One that cannot be started at all, and one that ends before answering.
    monkeypatch.setattr(sys, "executable", interpreter)
    helped_load(pg_app, tmp_path / "in.jsonl", moves(range(PEOPLE), ADMITTED, *TRANSFERRED))
    for n in range(PEOPLE):
        state = pg_app.state(noms(n))
        assert state is not None and state.location.agency == "MDI"
