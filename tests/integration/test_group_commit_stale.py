"""A save built on a kept person who changed in another process is refused on its own: the
saves queued with it still share one transaction, and the command is worked again reading no
more than it must."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import Any
from uuid import UUID

import pytest

from domain.service.application import JourneyApp
from domain.service.catalogue import MoveCell
from domain.service.results import CommandResult
from domain.service.settings import Settings
from tests.conftest import at, prov
from tests.integration.test_group_commit import in_cells, piled_up, transactions

pytestmark = pytest.mark.postgres


@contextmanager
def two_processes(pg_url: str) -> Iterator[tuple[JourneyApp, JourneyApp]]:
    with (
        closing(JourneyApp(Settings(database_url=pg_url))) as app,
        closing(JourneyApp(Settings(database_url=pg_url))) as other,
    ):
        yield app, other


def test_a_kept_person_changed_elsewhere_leaves_the_rest_of_its_group_together(
    pg_url: str,
) -> None:
    with two_processes(pg_url) as (app, other):
        refs = in_cells(app, 8)
        # Another process records an entry for the last person, whom this one keeps.
        other.handle(refs[-1], [MoveCell(prison="LEI", cell="C-1-001")], prov(at(1)))
        outcomes = piled_up(app, refs)
        # Check every command succeeded (the stale one worked again on the stored person),
        # and the six current saves that queued shared one transaction: the stale save was
        # refused on its own, not the whole group.
        assert all(isinstance(o, CommandResult) for o in outcomes), outcomes
        assert transactions(app, refs) == 3


def test_a_kept_person_changed_elsewhere_is_caught_up_from_the_refusing_save(
    pg_url: str,
) -> None:
    with two_processes(pg_url) as (app, other):
        [ref] = in_cells(app, 1)
        other.handle(ref, [MoveCell(prison="LEI", cell="C-1-001")], prov(at(1)))
        other.handle(ref, [MoveCell(prison="LEI", cell="C-1-002")], prov(at(1, hours=1)))
        read = reads(app)
        done = app.handle(ref, [MoveCell(prison="LEI", cell="D-1-001")], prov(at(2)))
        # Check the command built on the other's two entries without reading anything: the
        # refused save returned them, and the claim that named the person was unchanged.
        assert done.person_version == 6
        assert read == [] and app.kept.caught_up == 1
        state = app.state(ref)
        assert state is not None and state.location.cell == "D-1-001"


def reads(app: JourneyApp) -> list[UUID]:
    """The aggregates the application reads from the store from now on, in order."""
    read: list[UUID] = []
    select: Any = app.recorder.select_events

    def counted(originator_id: UUID, **kwargs: Any) -> Any:
        read.append(originator_id)
        return select(originator_id, **kwargs)

    app.recorder.select_events = counted  # type: ignore[method-assign,assignment]
    return read
