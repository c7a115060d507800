"""Many clients racing conflicting commands on one person over real HTTP, on PostgreSQL: every
race has exactly one winner, every loser gets 409 or 412 problem details, and the person ends
in exactly one possible state. Each race is run for many rounds and the outcomes counted."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from api.auth import Role
from domain.person.state import Responsibility, Status
from domain.service.application import JourneyApp
from domain.service.catalogue import Admit, RequestHandover
from tests.conftest import prov
from tests.e2e.conftest import LiveApi

pytestmark = pytest.mark.postgres
PROBLEM = "application/problem+json"
ROUNDS = 20
CLIENTS = 4
DESTINATIONS = ["MDI", "WYI", "DMI", "HLI"]
Request = tuple[str, dict[str, Any], dict[str, str]]


@dataclass
class Clients:
    """One connection per racing client, each sent from its own thread."""

    http: list[httpx.Client]
    pool: ThreadPoolExecutor

    def race(self, requests: list[Request]) -> list[httpx.Response]:
        """Send one request per client, all released together by a barrier."""
        barrier = threading.Barrier(len(requests))

        def send(http: httpx.Client, request: Request) -> httpx.Response:
            path, body, headers = request
            barrier.wait(timeout=30)
            return http.post(path, json=body, headers=headers)

        return list(self.pool.map(send, self.http, requests))


@pytest.fixture
def clients(pg_api: LiveApi) -> Iterator[Clients]:
    http = [httpx.Client(base_url=pg_api.base, timeout=60) for _ in range(CLIENTS)]
    for client in http:
        client.get("/health")  # connected before any race, so each race is in the server
    with ThreadPoolExecutor(CLIENTS) as pool:
        yield Clients(http, pool)
    for client in http:
        client.close()


def one_winner(responses: list[httpx.Response], losers: Counter[int]) -> int:
    """The winner's index; fails unless exactly one won and every other lost with 409 or 412."""
    won = [i for i, r in enumerate(responses) if 200 <= r.status_code < 300]
    assert len(won) == 1, [(r.status_code, r.text) for r in responses]
    for i, response in enumerate(responses):
        if i in won:
            continue
        assert response.status_code in {409, 412}, (response.status_code, response.text)
        assert response.headers["content-type"] == PROBLEM
        problem = response.json()
        assert problem["status"] == response.status_code
        assert problem["field"] and problem["reason"]
        losers[response.status_code] += 1
    return won[0]


def admitted(app: JourneyApp, noms: str) -> None:
    moment = datetime.now(UTC) - timedelta(days=1)
    app.register(
        prov(moment - timedelta(days=1), ref=f"reg-{noms}"),
        given_name="Race",
        family_name="Http",
        date_of_birth=date(1979, 5, 6),
        identifiers={"NOMS": noms},
    )
    app.handle(noms, [Admit(prison="LEI", movement_reason="N")], prov(moment))


def admitted_each_round(app: JourneyApp, letter: str) -> Iterator[str]:
    """A new person a round, registered and admitted to Leeds: their NOMS number."""
    for n in range(ROUNDS):
        noms = f"{letter}{n:04d}HR"
        admitted(app, noms)
        yield noms


def now() -> str:
    return (datetime.now(UTC) - timedelta(seconds=1)).isoformat()


@pytest.fixture
def journeys(pg_api: LiveApi) -> Iterator[JourneyApp]:
    with closing(JourneyApp(pg_api.settings.store)) as app:
        yield app


@pytest.fixture(params=[False, True], ids=["plain", "if-match"])
def conditional(request: pytest.FixtureRequest) -> bool:
    """Whether the racing clients send If-Match with the version they all read."""
    return bool(request.param)


def test_transfers_of_one_person_to_different_prisons(
    pg_api: LiveApi, journeys: JourneyApp, clients: Clients, conditional: bool
) -> None:
    staff = pg_api.headers(Role.PRISON)
    losers: Counter[int] = Counter()
    winners = 0
    for noms in admitted_each_round(journeys, "T" if conditional else "U"):
        # If-Match names the version every client read: registration and admission.
        headers = {**staff, "If-Match": '"2"'} if conditional else staff
        requests = [
            (
                f"/people/{noms}/transfers-out",
                {"from_prison": "LEI", "to_prison": to, "occurred_at": now()},
                headers,
            )
            for to in DESTINATIONS[:CLIENTS]
        ]
        winner = one_winner(clients.race(requests), losers)
        winners += 1
        # Check the person is in one place: in transit from LEI to the winner's prison only.
        state = journeys.state(noms)
        assert state is not None and state.version == 3
        assert state.location.status is Status.TRANSIT
        assert (state.location.prison, state.location.destination) == ("LEI", DESTINATIONS[winner])
        kinds = [e.kind for e in journeys.timeline(noms)]
        assert kinds == ["Registered", "MovementRecorded", "MovementRecorded"]
    assert winners == ROUNDS and sum(losers.values()) == ROUNDS * (CLIENTS - 1)
    if conditional:
        assert losers[412] > 0, losers  # a loser that read after the winner is told it is stale
    print(
        f"\ntransfers ({'If-Match' if conditional else 'plain'}): {ROUNDS} races, "
        f"{winners} winners, losers {dict(losers)}"
    )


def test_accept_against_reject_of_one_handover(
    pg_api: LiveApi, journeys: JourneyApp, clients: Clients, conditional: bool
) -> None:
    staff = pg_api.headers(Role.PROBATION)
    losers: Counter[int] = Counter()
    outcomes: Counter[str] = Counter()
    for noms in admitted_each_round(journeys, "V" if conditional else "W"):
        journeys.handle(
            noms, [RequestHandover(to="community")], prov(datetime.now(UTC) - timedelta(hours=1))
        )
        headers = {**staff, "If-Match": '"3"'} if conditional else staff
        answers = ["accept", "reject"] * (CLIENTS // 2)
        requests = [
            (
                f"/people/{noms}/handovers/{answer}",
                {"occurred_at": now(), "reason": "not ready" if answer == "reject" else None},
                headers,
            )
            for answer in answers
        ]
        winner = answers[one_winner(clients.race(requests), losers)]
        outcomes[winner] += 1
        # Check the handover ended exactly once, the way the winner said.
        state = journeys.state(noms)
        assert state is not None and state.version == 4
        assert state.ownership.pending_handover is None
        expected = Responsibility.COMMUNITY if winner == "accept" else Responsibility.CUSTODY
        assert state.ownership.responsibility is expected
        ends = [e.kind for e in journeys.timeline(noms) if e.kind.startswith("Handover")]
        final = "HandoverAccepted" if winner == "accept" else "HandoverRejected"
        assert ends == ["HandoverRequested", final]
    assert sum(outcomes.values()) == ROUNDS and sum(losers.values()) == ROUNDS * (CLIENTS - 1)
    print(
        f"\nhandovers ({'If-Match' if conditional else 'plain'}): {ROUNDS} races, "
        f"{sum(outcomes.values())} winners {dict(outcomes)}, losers {dict(losers)}"
    )
