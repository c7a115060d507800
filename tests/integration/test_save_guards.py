"""The save function's guards, checked one by one for a command's few kept aggregates and in
one statement for a group's many: either way a save on an aggregate changed since it was read
(a later row, or its newest row shredded) is left out alone, answered with the rows stored
since, and the other saves in the call are written."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from domain.erasure import SHREDDED_TOPIC
from domain.service.application import JourneyApp
from domain.service.kept import StaleKept
from domain.service.recorder import FEW_GUARDS, FailFastRecorder
from domain.service.settings import Settings

pytestmark = pytest.mark.postgres
TOPIC = "tests.integration.test_save_guards:Row"


@pytest.fixture
def recorder(pg_url: str) -> Iterator[FailFastRecorder]:
    app = JourneyApp(Settings(database_url=pg_url))
    assert isinstance(app.recorder, FailFastRecorder)
    yield app.recorder
    app.close()


def row(aid: UUID, version: int, topic: str = TOPIC) -> StoredEvent:
    return StoredEvent(aid, version, topic, f"{aid}:{version}".encode())


@pytest.mark.parametrize("guards", [1, FEW_GUARDS, FEW_GUARDS + 1, 3 * FEW_GUARDS])
def test_stale_guards_leave_out_their_saves_alone(recorder: FailFastRecorder, guards: int) -> None:
    kept = [uuid4() for _ in range(guards)]
    recorder.append_saves([([row(aid, 1)], {}) for aid in kept])
    # The first kept aggregate gains two rows elsewhere; the last (when another) is shredded.
    recorder.append_saves([([row(kept[0], 2), row(kept[0], 3)], {})])
    shredded = kept[-1] if guards > 1 else None
    if shredded is not None:
        recorder.append_saves([([row(shredded, 2, SHREDDED_TOPIC)], {})])
    versions = {aid: 3 if aid == kept[0] else 2 if aid == shredded else 1 for aid in kept}
    # Each save adds the next row of one kept aggregate, guarded at version 1 (as first read).
    saves = [([row(aid, versions[aid] + 1)], {aid: 1}) for aid in kept]
    # The shredded one is guarded at the version it now has: its topic alone makes it stale.
    if shredded is not None:
        saves[-1] = ([row(shredded, 3)], {shredded: 2})
    outcomes = recorder.append_saves(saves)
    # Check the changed and the shredded are refused, each alone, with what was stored since.
    first = outcomes[0]
    assert isinstance(first, StaleKept) and first.changed == (kept[0],)
    assert first.since is not None
    assert [r.originator_version for r in first.since[kept[0]]] == [2, 3]
    if shredded is not None:
        last = outcomes[-1]
        assert isinstance(last, StaleKept) and last.changed == (shredded,)
        assert last.since == {shredded: []}
    # Check every other save was written, with its own notification id.
    middle = outcomes[1:-1] if shredded is not None else []
    assert all(isinstance(o, list) and len(o) == 1 for o in middle), middle
    for aid in kept[1 : len(kept) - (shredded is not None)]:
        assert [r.originator_version for r in recorder.select_events(aid)] == [1, 2]
    assert [r.originator_version for r in recorder.select_events(kept[0])] == [1, 2, 3]


def test_unguarded_and_current_saves_are_written(recorder: FailFastRecorder) -> None:
    aid = uuid4()
    [ids] = recorder.append_saves([([row(aid, 1)], {})])
    [more] = recorder.append_saves([([row(aid, 2), row(aid, 3)], {aid: 1})])
    assert isinstance(ids, list) and isinstance(more, list) and len(more) == 2
    assert more[0] > ids[0]
