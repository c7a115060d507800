"""Two server processes writing the same person at once, on PostgreSQL: exactly one writer wins,
the other is told why, and nothing is lost or recorded twice."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import partial
from uuid import UUID

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError

from domain.errors import IdentifierTaken, ImpossibleJourney
from domain.person.aggregate import Person
from domain.person.recorded import Recorded
from domain.person.state import PersonState, Responsibility, Status
from domain.service.application import JourneyApp
from domain.service.catalogue import (
    AcceptHandover,
    AddIdentifier,
    Admit,
    MoveCell,
    RejectHandover,
    RequestHandover,
    TransferOut,
)
from domain.service.errors import ConcurrencyConflict
from domain.service.results import CommandResult
from domain.service.settings import Settings
from domain.service.storage import DatabaseURL
from tests.conftest import at, prov

pytestmark = pytest.mark.postgres

NOMS_FORM = re.compile(r"^[A-Z]\d{4}[A-Z]{2}$")
BARRIER_TIMEOUT = 30


@dataclass
class Outcome:
    """What one racing writer got: a result or the error it raised."""

    name: str
    result: CommandResult | None = None
    error: BaseException | None = None


@pytest.fixture
def two_apps(pg_url: str) -> Iterator[tuple[JourneyApp, JourneyApp]]:
    """Two applications on one schema, as two server processes would be."""
    settings = Settings(database_url=pg_url)
    first, second = JourneyApp(settings), JourneyApp(settings)
    try:
        yield first, second
    finally:
        first.close()
        second.close()


def race(calls: dict[str, Callable[[], CommandResult]]) -> dict[str, Outcome]:
    """Run the calls in threads released together by a barrier; collect each outcome."""
    barrier = threading.Barrier(len(calls))
    outcomes = {name: Outcome(name) for name in calls}

    def run(name: str, call: Callable[[], CommandResult]) -> None:
        try:
            barrier.wait(timeout=BARRIER_TIMEOUT)
            outcomes[name].result = call()
        except BaseException as exc:
            outcomes[name].error = exc

    threads = [threading.Thread(target=run, args=item) for item in calls.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=BARRIER_TIMEOUT * 2)
        assert not thread.is_alive(), "a racing writer hung"
    return outcomes


def split(outcomes: dict[str, Outcome]) -> tuple[Outcome, Outcome]:
    """The winner and the loser of a two-writer race; fails unless exactly one won."""
    won = [o for o in outcomes.values() if o.error is None]
    lost = [o for o in outcomes.values() if o.error is not None]
    assert len(won) == 1 and len(lost) == 1, {o.name: o.error for o in outcomes.values()}
    loser_error = lost[0].error
    assert isinstance(loser_error, ConcurrencyConflict | ImpossibleJourney), repr(loser_error)
    return won[0], lost[0]


def stored_versions(pg_url: str, person_id: str) -> list[int]:
    """The versions the event table itself holds for one person, read with plain SQL."""
    database = DatabaseURL.parse(pg_url)
    with psycopg.connect(database.conninfo()) as conn:
        rows = conn.execute(
            f"SELECT originator_version FROM {database.schema}.journeys_events "
            "WHERE originator_id = %s ORDER BY originator_version",
            (UUID(person_id),),
        ).fetchall()
    return [row[0] for row in rows]


def register_and_admit(app: JourneyApp, noms: str) -> str:
    assert NOMS_FORM.match(noms), noms
    result = app.register(
        prov(at(-1), ref=f"reg-{noms}"),
        given_name="Race",
        family_name="Tester",
        date_of_birth=date(1985, 3, 4),
        identifiers={"NOMS": noms},
    )
    app.handle(noms, [Admit(prison="LEI", movement_reason="N")], prov(at(0)))
    return result.person_id


@dataclass
class Rounds:
    """Races run one new person a round, counting whether the store (a stale save) or the
    journey rules (a loser that loaded after the winner) decided each."""

    count: int
    store_conflicts: int = 0
    rule_refusals: int = 0

    def people(self, letter: str, *apps: JourneyApp) -> Iterator[tuple[str, str]]:
        """Each round's NOMS number and person id, registered and admitted by the apps in turn;
        once all have run, checks every round was decided one way or the other."""
        for n in range(self.count):
            noms = f"{letter}{n:04d}AA"
            yield noms, register_and_admit(apps[n % len(apps)], noms)
        # How often the store (rather than the rules) decided is timing-dependent: reported only.
        assert self.store_conflicts + self.rule_refusals == self.count, (
            f"{self.store_conflicts} store-level conflicts and {self.rule_refusals} rule refusals "
            f"in {self.count} rounds"
        )

    def decided_by_store(self, loser: Outcome) -> bool:
        """Count the race; true when the loser was stopped by the store rather than the rules."""
        if isinstance(loser.error, ConcurrencyConflict):
            self.store_conflicts += 1
            return True
        self.rule_refusals += 1
        return False


def test_two_transfers_out_at_once_exactly_one_wins(
    two_apps: tuple[JourneyApp, JourneyApp], pg_url: str
) -> None:
    first, second = two_apps
    rounds = Rounds(30)
    for noms, pid in rounds.people("R", second, first):
        outcomes = race(
            {
                "MDI": partial(
                    first.handle,
                    noms,
                    [TransferOut(from_prison="LEI", to_prison="MDI")],
                    prov(at(1)),
                ),
                "WYI": partial(
                    second.handle,
                    noms,
                    [TransferOut(from_prison="LEI", to_prison="WYI")],
                    prov(at(1)),
                ),
            }
        )
        winner, loser = split(outcomes)
        assert winner.result is not None
        assert (winner.result.entry, winner.result.person_version) == (3, 3)
        assert winner.result.changed
        if rounds.decided_by_store(loser):
            # Check a store-level conflict carries the state that won.
            assert isinstance(loser.error, ConcurrencyConflict)
            assert loser.error.field == "version"
            current = loser.error.current
            assert current is not None
            assert current.version == 3
            assert current.location.destination == winner.name
        else:
            # Check a loser that loaded after the winner is refused by the journey rules.
            assert isinstance(loser.error, ImpossibleJourney)
            assert loser.error.field == "from_agency"
            assert loser.error.conflicting_entry == 3
        # Check both processes now see the same single transfer, to the winner's prison.
        for app in (first, second):
            state = app.state(noms)
            assert state is not None
            assert state.version == 3
            assert state.location.status is Status.TRANSIT
            assert (state.location.prison, state.location.destination) == ("LEI", winner.name)
            entries = app.timeline(noms)
            assert [(e.entry, e.kind) for e in entries] == [
                (1, "Registered"),
                (2, "MovementRecorded"),
                (3, "MovementRecorded"),
            ]
            assert entries[2].details["to_agency"] == winner.name
        # Check the table itself holds each version once: nothing lost, nothing doubled.
        assert stored_versions(pg_url, pid) == [1, 2, 3]


def stale_cell_move(a: JourneyApp, b: JourneyApp, noms: str) -> tuple[str, Person, Recorded]:
    """A person B loads at version 2 while A moves them to cell A-1-001 at version 3, then moves
    to B-1-001 on B's stale copy (not saved): the person id, B's copy and its move."""
    pid = register_and_admit(a, noms)
    stale = b.person(noms)
    assert stale.version == 2
    moved = a.handle(noms, [MoveCell(prison="LEI", cell="A-1-001")], prov(at(1)))
    assert moved.person_version == 3
    recorded = stale.move_cell(prov(at(2)), prison="LEI", cell="B-1-001")
    assert recorded.version == 3
    return pid, stale, recorded


def test_a_stale_aggregate_cannot_be_saved(
    two_apps: tuple[JourneyApp, JourneyApp], pg_url: str
) -> None:
    a, b = two_apps
    noms = "S0001AA"
    pid, b_person, _ = stale_cell_move(a, b, noms)
    head = a.recorder.max_notification_id()
    # Check saving B's stale aggregate is refused by the store itself.
    with pytest.raises(IntegrityError):
        b.save(b_person)
    assert a.recorder.max_notification_id() == head
    assert stored_versions(pg_url, pid) == [1, 2, 3]
    # Check going through the service on B reloads and succeeds.
    result = b.handle(noms, [MoveCell(prison="LEI", cell="B-1-001")], prov(at(2)))
    assert (result.entry, result.person_version, result.changed) == (4, 4, True)
    state = a.state(noms)
    assert state is not None
    assert (state.version, state.location.cell) == (4, "B-1-001")
    assert stored_versions(pg_url, pid) == [1, 2, 3, 4]


def test_the_service_turns_a_stale_save_into_a_conflict(
    two_apps: tuple[JourneyApp, JourneyApp], pg_url: str
) -> None:
    a, b = two_apps
    pid, b_person_stale, recorded = stale_cell_move(a, b, "S0002AA")
    with pytest.raises(ConcurrencyConflict) as caught:
        b._save(b_person_stale, recorded)
    # Check the conflict carries the state that won: A's cell move at version 3.
    current = caught.value.current
    assert isinstance(current, PersonState)
    assert current.version == 3
    assert current.location.cell == "A-1-001"
    assert caught.value.field == "version"
    assert caught.value.reason
    assert stored_versions(pg_url, pid) == [1, 2, 3]


def test_accept_and_reject_of_one_handover_race(
    two_apps: tuple[JourneyApp, JourneyApp], pg_url: str
) -> None:
    first, second = two_apps
    rounds = Rounds(20)
    for noms, pid in rounds.people("H", first):
        second.handle(noms, [RequestHandover(to="community")], prov(at(1)))
        outcomes = race(
            {
                "accept": partial(first.handle, noms, [AcceptHandover()], prov(at(2))),
                "reject": partial(
                    second.handle, noms, [RejectHandover()], prov(at(2), reason="not ready")
                ),
            }
        )
        winner, loser = split(outcomes)
        assert winner.result is not None
        assert (winner.result.entry, winner.result.person_version) == (4, 4)
        if rounds.decided_by_store(loser):
            assert isinstance(loser.error, ConcurrencyConflict)
            assert loser.error.current is not None
            assert loser.error.current.version == 4
        else:
            # Check a late loser is told no handover is pending any more.
            assert isinstance(loser.error, ImpossibleJourney)
            assert loser.error.field == "handover"
            assert loser.error.conflicting_entry == 4
        expected = Responsibility.COMMUNITY if winner.name == "accept" else Responsibility.CUSTODY
        kind = "HandoverAccepted" if winner.name == "accept" else "HandoverRejected"
        for app in (first, second):
            state = app.state(noms)
            assert state is not None
            assert state.version == 4
            assert state.ownership.pending_handover is None
            assert state.ownership.responsibility is expected
            assert [e.kind for e in app.timeline(noms)] == [
                "Registered",
                "MovementRecorded",
                "HandoverRequested",
                kind,
            ]
        assert stored_versions(pg_url, pid) == [1, 2, 3, 4]


def test_two_people_claiming_one_identifier_at_once(
    two_apps: tuple[JourneyApp, JourneyApp],
) -> None:
    first, second = two_apps
    taken = 0
    for n in range(15):
        a = register_and_admit(first, f"C{n:04d}AA")
        b = register_and_admit(first, f"C{n:04d}BB")
        crn = f"Y{n:06d}"
        outcomes = race(
            {
                "a": partial(first.handle, a, [AddIdentifier(kind="CRN", value=crn)], prov(at(2))),
                "b": partial(second.handle, b, [AddIdentifier(kind="CRN", value=crn)], prov(at(2))),
            }
        )
        won = [o for o in outcomes.values() if o.error is None]
        lost = [o for o in outcomes.values() if o.error is not None]
        # Check exactly one person holds the identifier, and the other is told who does.
        assert len(won) == 1 and len(lost) == 1, outcomes
        assert isinstance(lost[0].error, IdentifierTaken), repr(lost[0].error)
        winner = a if won[0].name == "a" else b
        assert lost[0].error.holder == winner
        assert str(first.resolve(crn)) == winner
        loser_state = first.state(b if winner == a else a)
        assert loser_state is not None and "CRN" not in loser_state.identifiers
        taken += 1
    assert taken == 15
