"""Requests racing with one Idempotency-Key, through two stores on one database (as two
servers would be), on SQLite and PostgreSQL: the first request runs the command, a twin with
the same body gets its response, one with another body is refused, and a failure or a dead
server frees the key for a retry."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from functools import partial
from pathlib import Path

import httpx
import pytest

from api.auth import Role
from api.config import ApiSettings
from api.idempotency import TABLE, IdempotencyStore, InProgress, Stored, body_hash
from api.problems import ProblemError
from domain.service.application import JourneyApp
from domain.service.catalogue import Admit
from domain.service.settings import Settings
from projections.db import ReadDb, open_read_db
from tests.conftest import READ_STORES, at, prov
from tests.e2e.conftest import LiveApi, serve
from tests.helpers import register

RACERS = 6
ROUNDS = 10


@pytest.fixture(params=READ_STORES)
def servers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[IdempotencyStore]]:
    """Two stores with their own connections to one database."""
    if request.param == "sqlite":
        settings = Settings(database_url=f"sqlite:///{tmp_path / 'keys.sqlite'}")
    else:
        settings = Settings(database_url=request.getfixturevalue("pg_url"))
    dbs: list[ReadDb] = [open_read_db(settings.database, pool_size=RACERS) for _ in range(2)]
    stores = [IdempotencyStore(db) for db in dbs]
    stores[0].ensure()
    try:
        yield stores
    finally:
        for db in dbs:
            db.close()


def race(calls: list[Callable[[], object]]) -> list[object]:
    """Each call in its own thread, released together; what each returned or raised."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], object]) -> object:
        barrier.wait(timeout=30)
        try:
            return call()
        except ProblemError as refused:
            return refused

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def command(ran: Counter[str], name: str, pause: float = 0.05) -> Callable[[], tuple[str, bytes]]:
    def answer() -> tuple[str, bytes]:
        ran[name] += 1
        time.sleep(pause)  # long enough for every racer to arrive while it runs
        return name, f'{{"ran": "{name}"}}'.encode()

    return answer


def test_different_bodies_with_one_key_run_once_and_the_rest_are_refused(
    servers: list[IdempotencyStore],
) -> None:
    for round_ in range(ROUNDS):
        ran: Counter[str] = Counter()
        key = f"different-{round_}"
        calls: list[Callable[[], object]] = []
        for i in range(RACERS):
            digest = body_hash("POST", "/people/A1/cell-moves", f'{{"cell": "{i}"}}'.encode())
            calls.append(
                partial(servers[i % 2].once, "officer", key, digest, 200, command(ran, str(i)))
            )
        answers = race(calls)
        # Check one body ran, and each other was refused naming the key (nothing dropped).
        assert sum(ran.values()) == 1, ran
        refused = [a for a in answers if isinstance(a, ProblemError)]
        assert len(refused) == RACERS - 1, answers
        assert {(r.status, r.code, r.field) for r in refused} == {
            (422, "idempotency-key-reused", "Idempotency-Key")
        }


def test_twins_with_one_key_get_the_first_response(servers: list[IdempotencyStore]) -> None:
    for round_ in range(ROUNDS):
        ran: Counter[str] = Counter()
        key = f"twins-{round_}"
        digest = body_hash("POST", "/people", b'{"given_name": "Ann"}')
        calls: list[Callable[[], object]] = [
            partial(servers[i % 2].once, "officer", key, digest, 201, command(ran, str(i)))
            for i in range(RACERS)
        ]
        answers = race(calls)
        assert sum(ran.values()) == 1, ran
        (first,) = ran
        replayed = [a for a in answers if isinstance(a, Stored)]
        assert len(replayed) == RACERS - 1, answers
        assert {(r.status, r.response) for r in replayed} == {
            (201, f'{{"ran": "{first}"}}'.encode())
        }
        assert answers.count(first) == 1


def test_a_twin_of_a_slow_request_is_told_to_retry(servers: list[IdempotencyStore]) -> None:
    digest = body_hash("POST", "/people", b"{}")
    started, finish = threading.Event(), threading.Event()

    def slow() -> tuple[str, bytes]:
        started.set()
        finish.wait(timeout=30)
        return "slow", b'{"ran": "slow"}'

    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(servers[0].once, "officer", "slow", digest, 200, slow)
        assert started.wait(timeout=10)
        with pytest.raises(InProgress) as refused:
            servers[1].claim("officer", "slow", digest, wait=timedelta(seconds=0.2))
        assert refused.value.status == 409 and refused.value.retry_after == "1"
        # Check another body is refused at once, even while the first runs.
        with pytest.raises(ProblemError) as other:
            servers[1].claim("officer", "slow", body_hash("POST", "/people", b"[]"))
        assert other.value.status == 422
        finish.set()
        assert first.result(timeout=10) == "slow"
    assert servers[1].claim("officer", "slow", digest) == Stored(digest, 200, b'{"ran": "slow"}')


def test_a_failed_request_frees_its_key(servers: list[IdempotencyStore]) -> None:
    digest = body_hash("POST", "/people", b"{}")

    def failing() -> tuple[str, bytes]:
        raise RuntimeError("the store is down")

    with pytest.raises(RuntimeError):
        servers[0].once("officer", "retried", digest, 200, failing)
    ran: Counter[str] = Counter()
    assert servers[1].once("officer", "retried", digest, 200, command(ran, "again")) == "again"
    assert ran == {"again": 1}


def test_a_dead_servers_claim_lapses(servers: list[IdempotencyStore]) -> None:
    digest = body_hash("POST", "/people", b"{}")
    claim = servers[0].claim("officer", "orphan", digest)
    assert not isinstance(claim, Stored)
    # Check a retry is told to wait while the claim is fresh...
    with pytest.raises(InProgress):
        servers[1].claim("officer", "orphan", digest, wait=timedelta(seconds=0.1))
    # ...and takes it over once it is older than the lease (the server died holding it).
    with servers[0].db.transaction() as cur:
        cur.execute(f"UPDATE {TABLE} SET created_at = %s", ("2020-01-01T00:00:00+00:00",))
    ran: Counter[str] = Counter()
    assert servers[1].once("officer", "orphan", digest, 200, command(ran, "retry")) == "retry"
    # Check the dead claim's late completion cannot overwrite the retry's response.
    servers[0].complete(claim, 200, b'{"ran": "dead"}')
    assert servers[0].find("officer", "orphan") == Stored(digest, 200, b'{"ran": "retry"}')


@pytest.fixture
def two_servers(tmp_path: Path, pg_url: str) -> Iterator[list[LiveApi]]:
    """Two API servers on one PostgreSQL database, one person admitted to Leeds."""
    settings = ApiSettings(
        store=Settings(database_url=pg_url), dev_key_path=str(tmp_path / "dev-key.pem")
    )
    with ExitStack() as stack:
        apis = [stack.enter_context(contextmanager(serve)(settings)) for _ in range(2)]
        app = JourneyApp(settings.store)
        try:
            register(app, "A1234KY", "Ann", "Keyed")
            app.handle("A1234KY", [Admit(prison="LEI", movement_reason="N")], prov(at(0)))
        finally:
            app.close()
        yield apis


@pytest.mark.postgres
def test_one_key_over_http_across_two_servers(two_servers: list[LiveApi]) -> None:
    headers = two_servers[0].headers(Role.PRISON, purpose=None)
    for round_ in range(ROUNDS):
        same = round_ % 2 == 0
        bodies = [
            {
                "occurred_at": at(1 + round_ / 100).isoformat(),
                "prison": "LEI",
                "cell": f"A-1-{0 if same else i:03d}",
            }
            for i in range(RACERS)
        ]
        calls: list[Callable[[], object]] = [
            partial(
                httpx.post,
                f"{two_servers[i % 2].base}/people/A1234KY/cell-moves",
                json=bodies[i],
                headers={**headers, "Idempotency-Key": f"http-{round_}"},
                timeout=30,
            )
            for i in range(RACERS)
        ]
        answers = [a for a in race(calls) if isinstance(a, httpx.Response)]
        statuses = Counter(a.status_code for a in answers)
        if same:
            # Check every twin got the first response, not a conflict.
            assert statuses == {200: RACERS}, [a.text for a in answers]
            assert len({a.json()["entry"] for a in answers}) == 1
        else:
            assert statuses == {200: 1, 422: RACERS - 1}, [a.text for a in answers]
