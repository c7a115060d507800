"""People kept in memory between commands are checked against the store before reuse: another
process's entry, a merge or an erasure is seen at once; a refused command leaves nothing half
done. Concurrent commands in one process share transactions, each with its own outcome."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

import pytest

from domain.errors import DomainError
from domain.service.application import JourneyApp
from domain.service.catalogue import MoveCell, Release, VoidEntries
from domain.service.errors import ConcurrencyConflict, StaleVersion
from domain.service.kept import Kept
from domain.service.results import CommandResult
from domain.service.settings import Settings
from projections.db import ReadDb
from tests.conftest import at, prov
from tests.helpers import admitted, register
from tests.integration.test_erasure import NOMS, erase, populate
from tests.support import noms


def other_process(app: JourneyApp) -> JourneyApp:
    """A second application on the same store, as another worker would be."""
    return JourneyApp(app.settings)


def test_another_process_entry_is_seen_by_the_next_command(
    store: tuple[JourneyApp, ReadDb],
) -> None:
    app, _ = store
    admitted(app, "A1111AA")
    app.handle("A1111AA", [MoveCell(prison="LEI", cell="A-1-001")], prov(at(1)))
    with closing(other_process(app)) as other:
        other.handle("A1111AA", [MoveCell(prison="LEI", cell="B-1-001")], prov(at(2)))
    # Check the kept person is not reused: the next command builds on the other's entry.
    done = app.handle("A1111AA", [MoveCell(prison="LEI", cell="C-1-001")], prov(at(3)))
    assert done.person_version == 5
    state = app.state("A1111AA")
    assert state is not None and state.location.cell == "C-1-001"
    # Check a command naming the version it saw before the other's entry is refused as stale.
    with pytest.raises(StaleVersion):
        app.handle("A1111AA", [MoveCell(prison="LEI", cell="D-1-001")], prov(at(4)), 4)


def test_a_refused_command_leaves_the_kept_person_as_stored(
    store: tuple[JourneyApp, ReadDb],
) -> None:
    app, _ = store
    admitted(app, "A2222AA")
    with pytest.raises(DomainError):
        # Released from a prison they are not in: refused, nothing recorded.
        app.handle("A2222AA", [Release(from_agency="MDI", movement_reason="CR")], prov(at(1)))
    done = app.handle("A2222AA", [MoveCell(prison="LEI", cell="A-1-001")], prov(at(2)))
    assert done.person_version == 3
    assert [e.originator_version for e in app.person("A2222AA").active_entries()] == [2, 3]


def test_a_person_erased_elsewhere_is_not_served_from_memory(
    store: tuple[JourneyApp, ReadDb],
) -> None:
    app, db = store
    populate(app, db)
    app.handle(NOMS, [MoveCell(prison="LEI", cell="A-1-002")], prov(at(3)))
    with closing(other_process(app)) as other:
        erase(other, db)
    # Check the command is refused (the erasure read from the store), nothing recorded.
    with pytest.raises(DomainError):
        app.handle(NOMS, [MoveCell(prison="LEI", cell="A-1-003")], prov(at(4)))


@pytest.mark.postgres
def test_concurrent_commands_each_get_their_own_outcome(pg_url: str) -> None:
    with closing(JourneyApp(Settings(database_url=pg_url))) as app:
        people = [noms(n) for n in range(12)]
        for ref in people:
            admitted(app, ref)

        def move(k: int) -> CommandResult | Exception:
            ref = people[k % len(people)]
            try:
                # Two commands per person, both naming version 2: one must lose.
                cell = f"A-1-{k:03d}"
                return app.handle(ref, [MoveCell(prison="LEI", cell=cell)], prov(at(1)), 2)
            except (StaleVersion, ConcurrencyConflict) as refused:
                return refused

        with ThreadPoolExecutor(16) as pool:
            outcomes = list(pool.map(move, range(2 * len(people))))
        done = [o for o in outcomes if isinstance(o, CommandResult)]
        # Check each person took exactly one of their two, each at a position of its own.
        assert len(done) == len(outcomes) - len(done) == len(people)
        assert len({d.person_id for d in done}) == len(people)
        assert len({d.position for d in done}) == len(done)
        for ref in people:
            assert app.person(ref).version == 3


def lands_on_kept_after_merge_elsewhere(app: JourneyApp, kept: str, removed: str) -> None:
    """Another process merges `removed` into `kept`; a cell move naming `removed` is then
    recorded on `kept`."""
    with closing(other_process(app)) as other:
        other.merge(kept, removed, prov(at(2)))
    done = app.handle(removed, [MoveCell(prison="LEI", cell="C-1-001")], prov(at(3)))
    assert done.person_id == str(app.resolve(kept))
    state = app.state(kept)
    assert state is not None and state.location.cell == "C-1-001"


def test_a_merge_elsewhere_sends_the_next_command_to_the_kept_record(
    store: tuple[JourneyApp, ReadDb],
) -> None:
    app, _ = store
    register(app, "A3333AA")
    admitted(app, "A4444AA")
    app.handle("A4444AA", [MoveCell(prison="LEI", cell="A-1-001")], prov(at(1)))
    # Check the command naming the removed record's number lands on the record kept by the
    # merge, not on the removed one this process still holds in memory.
    lands_on_kept_after_merge_elsewhere(app, "A3333AA", "A4444AA")


def test_what_a_process_keeps_stays_within_its_bounds(
    store: tuple[JourneyApp, ReadDb],
) -> None:
    app, _ = store
    app.kept = Kept(app.recorder, app.repository, size=3)
    people = [noms(n) for n in range(10)]
    for ref in people:
        admitted(app, ref)
    # Check every command lands, twice round, while at most 3 people and 6 of the identifiers
    # that named them are kept.
    for turn in range(2):
        for k, ref in enumerate(people):
            cell = f"A-{turn + 1}-{k:03d}"
            assert app.handle(ref, [MoveCell(prison="LEI", cell=cell)], prov(at(1 + turn))).changed
            assert len(app.kept.people) <= 3
            assert len(app.kept.claims) <= 6 and len(app.kept.claim_heads) <= 6
    state = app.state(people[0])
    assert state is not None and state.location.cell == "A-2-000"


def test_a_merge_elsewhere_redirects_a_person_known_only_by_their_claim(
    store: tuple[JourneyApp, ReadDb],
) -> None:
    app, _ = store
    app.kept = Kept(app.recorder, app.repository, size=1)
    register(app, "A5555AA")
    admitted(app, "A6666AA")
    admitted(app, "A7777AA")
    app.handle("A6666AA", [MoveCell(prison="LEI", cell="A-1-001")], prov(at(1)))
    # A7777AA's command leaves A6666AA out of memory, its claim still known.
    app.handle("A7777AA", [MoveCell(prison="LEI", cell="A-1-002")], prov(at(1)))
    assert len(app.kept.people) == 1 and app.kept.claim_heads
    # Check the command naming the removed record's number lands on the merge's kept record.
    lands_on_kept_after_merge_elsewhere(app, "A5555AA", "A6666AA")
    # Check a person known only by their claim is still worked on when nothing changed.
    app.handle("A6666AA", [MoveCell(prison="LEI", cell="C-1-002")], prov(at(4)))
    app.handle("A7777AA", [MoveCell(prison="LEI", cell="A-1-003")], prov(at(4)))
    done = app.handle("A7777AA", [MoveCell(prison="LEI", cell="A-1-004")], prov(at(5)))
    assert done.person_version == 5


@pytest.mark.postgres
def test_a_kept_person_changed_elsewhere_is_caught_up_not_read_afresh(pg_url: str) -> None:
    with closing(JourneyApp(Settings(database_url=pg_url))) as app:
        admitted(app, "A8888AA")
        app.handle("A8888AA", [MoveCell(prison="LEI", cell="A-1-001")], prov(at(1)))
        with closing(other_process(app)) as other:
            other.handle("A8888AA", [MoveCell(prison="LEI", cell="B-1-001")], prov(at(2)))
            other.handle(
                "A8888AA",
                [VoidEntries(entries=(3,))],
                prov(at(2, hours=1), reason="entered in error"),
            )
        # Check the kept person takes only the other's two events, as the refusing save
        # returned them (no read of its own), and the command lands on them as it would on the
        # person read afresh.
        done = app.handle("A8888AA", [MoveCell(prison="LEI", cell="C-1-001")], prov(at(3)))
        assert app.kept.caught_up == 1 and app.kept.read_since == 0
        assert done.person_version == 6
        kept = app.kept.people[app.resolve("A8888AA")]
        with closing(other_process(app)) as fresh:
            stored = fresh.person("A8888AA")
            assert kept.version == stored.version and kept.state() == stored.state()
            assert [e.originator_version for e in kept.active_entries()] == [2, 4, 6]
        # Check a refusal on a kept person leaves them kept, as stored.
        with pytest.raises(DomainError):
            app.handle("A8888AA", [Release(from_agency="MDI", movement_reason="CR")], prov(at(4)))
        assert app.kept.people[kept.id].version == 6 and not kept.collect_events()
        # Check a backdated entry from elsewhere is caught up and folded afresh at the check.
        with closing(other_process(app)) as other:
            other.handle("A8888AA", [MoveCell(prison="LEI", cell="D-1-001")], prov(at(2.5)))
        done = app.handle("A8888AA", [MoveCell(prison="LEI", cell="E-1-001")], prov(at(5)))
        assert app.kept.caught_up == 2 and done.person_version == 8
        assert app.kept.read_since == 0
        state = app.state("A8888AA")
        assert state is not None and state.location.cell == "E-1-001"
