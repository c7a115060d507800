"""The HTTP surface: security headers on every response, size limits, and application logs
free of personal data during a realistic run of the real server process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import httpx
import orjson
import pytest

from api.auth import Role, issue_dev_token
from api.config import ApiSettings
from domain.service.catalogue import Admit
from domain.service.settings import Settings
from tests.conftest import at, prov
from tests.e2e.conftest import LiveApi, free_port
from tests.helpers import journey_app, register

NOMS = "A6789HD"
Call = Callable[[LiveApi], httpx.Response]


@pytest.fixture(scope="module")
def served(shared_api: LiveApi) -> LiveApi:
    with journey_app(shared_api.settings.store) as app:
        register(app, NOMS, "Header", "Person", date(1979, 9, 9))
        last = app.handle(NOMS, [Admit(prison="LEI", movement_reason="N")], prov(at(0)))
    shared_api.wait_for(last.position)
    return shared_api


def staff(api: LiveApi, role: Role = Role.PRISON) -> dict[str, str]:
    return api.headers(role)


RESPONSES: dict[str, Call] = {
    "where-is": lambda api: api.client.get(f"/people/{NOMS}", headers=staff(api)),
    "where-is as of": lambda api: api.client.get(
        f"/people/{NOMS}", params={"as_of": at(1).isoformat()}, headers=staff(api)
    ),
    "timeline": lambda api: api.client.get(f"/people/{NOMS}/timeline", headers=staff(api)),
    "search": lambda api: api.client.get("/search", params={"name": "pers"}, headers=staff(api)),
    "roll csv": lambda api: api.client.get(
        "/prisons/LEI/roll", params={"format": "csv"}, headers=staff(api)
    ),
    "queue": lambda api: api.client.get("/queues/long-transits", headers=staff(api)),
    "feed": lambda api: api.client.get("/feed", headers=staff(api, Role.ADMIN)),
    "audit": lambda api: api.client.get("/audit/access", headers=staff(api, Role.AUDITOR)),
    "command": lambda api: api.client.post(
        f"/people/{NOMS}/key-dates",
        json={"occurred_at": at(1).isoformat(), "dates": {"CRD": "2025-02-02"}},
        headers=staff(api),
    ),
    "401": lambda api: api.client.get(f"/people/{NOMS}"),
    "403": lambda api: api.client.get("/batches", headers=staff(api)),
    "404 person": lambda api: api.client.get("/people/B9999ZZ", headers=staff(api)),
    "404 route": lambda api: api.client.get("/nowhere"),
    "405": lambda api: api.client.delete(f"/people/{NOMS}", headers=staff(api)),
    "409": lambda api: api.client.post(
        f"/people/{NOMS}/admissions",
        json={"occurred_at": at(2).isoformat(), "prison": "MDI", "movement_reason": "N"},
        headers=staff(api),
    ),
    "413": lambda api: api.client.post(
        f"/people/{NOMS}/key-dates",
        content=b"{" + b" " * 70_000 + b"}",
        headers={**staff(api), "Content-Type": "application/json"},
    ),
    "415": lambda api: api.client.post(
        f"/people/{NOMS}/key-dates", content=b"x=1", headers={**staff(api), "Content-Type": "a/b"}
    ),
    "431": lambda api: api.client.get("/health", headers={"X-Big": "b" * 20_000}),
    "414": lambda api: api.client.get("/search?name=" + "n" * 9000, headers=staff(api)),
    "health": lambda api: api.client.get("/health"),
    "metrics": lambda api: api.client.get("/metrics"),
    "openapi": lambda api: api.client.get("/openapi.json"),
    "docs page": lambda api: api.client.get("/docs"),
}
PUBLIC = {"health", "metrics", "431"}


@pytest.mark.parametrize("name", list(RESPONSES))
def test_every_response_carries_the_security_headers(served: LiveApi, name: str) -> None:
    response = RESPONSES[name](served)
    assert response.status_code < 500, response.text
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    if name not in PUBLIC:
        assert response.headers["cache-control"] == "no-store", name
    # Check each header is sent once: a route's own value never doubles up with the rule's.
    for header in ("x-frame-options", "cache-control", "x-content-type-options"):
        assert len(response.headers.get_list(header)) <= 1


@pytest.mark.parametrize(
    ("name", "status"), [("413", 413), ("415", 415), ("431", 431), ("414", 414)]
)
def test_limits_answer_problem_details(served: LiveApi, name: str, status: int) -> None:
    response = RESPONSES[name](served)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status


def test_a_chunked_body_over_the_limit_is_refused_with_413(served: LiveApi) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            yield b" " * 1000

    body = served.client.post(
        f"/people/{NOMS}/key-dates",
        content=chunks(),
        headers={**staff(served), "Content-Type": "application/json"},
    )
    assert body.status_code == 413 and body.json()["type"].endswith("too-large")
    text = served.client.post(
        f"/people/{NOMS}/key-dates",
        content=iter([b"dates=none"]),
        headers={**staff(served), "Content-Type": "text/plain"},
    )
    assert text.status_code == 415


def test_an_import_over_its_limit_is_refused_with_413(tmp_path: Path) -> None:
    from tests.e2e.conftest import serve

    settings = ApiSettings(
        store=Settings(database_url=f"sqlite:///{tmp_path / 'small.sqlite'}"),
        dev_key_path=str(tmp_path / "key.pem"),
        max_import_bytes=128 * 1024,
    )
    for api in serve(settings):
        upload = {**api.headers(Role.RECOVERY), "Content-Type": "application/x-ndjson"}
        sized = api.client.post("/imports?source=NOMIS", content=b"\n" * 200_000, headers=upload)
        assert sized.status_code == 413
        streamed = api.client.post(
            "/imports?source=NOMIS",
            content=iter([b"\n" * 100_000, b"\n" * 100_000]),
            headers=upload,
        )
        assert streamed.status_code == 413, streamed.text
        batches = api.client.get("/batches", headers=api.headers(Role.RECOVERY))
        assert batches.json() == []


PEOPLE = [
    {
        "given_name": "Philippa",
        "family_name": "Quartermaine",
        "date_of_birth": "1983-07-19",
        "identifiers": {"NOMS": "G4821QX", "CRN": "Y734920", "PNC": "2012/0394773H"},
    },
    {
        "given_name": "Bartholomew",
        "family_name": "Oyelaran",
        "date_of_birth": "1991-12-02",
        "identifiers": {"NOMS": "K3095TR"},
    },
]


def test_application_logs_hold_no_personal_data(tmp_path: Path) -> None:
    """The real server (`journey serve`), at its normal log level, through a realistic run:
    registrations, commands, reads, searches, refusals, an import with a refused line."""
    port = free_port()
    env = {
        **os.environ,
        "JOURNEY_DATABASE_URL": f"sqlite:///{tmp_path / 'logs.sqlite'}",
        "JOURNEY_DEV_KEY": str(tmp_path / "key.pem"),
    }
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "ops.cli", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            settings = ApiSettings(dev_key_path=env["JOURNEY_DEV_KEY"])
            realistic_run(f"http://127.0.0.1:{port}", settings)
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
    text = log.read_text()
    assert "Application startup complete" in text  # Check the capture did capture.
    secrets = [
        value
        for person in PEOPLE
        for value in (
            person["given_name"],
            person["family_name"],
            person["date_of_birth"],
            *person["identifiers"].values(),  # type: ignore[attr-defined]
        )
    ]
    secrets += ["394773", "1983", "quartermaine"]
    found = [s for s in secrets if str(s) in text]
    assert found == [], text


def realistic_run(base: str, settings: ApiSettings) -> None:
    def auth(*roles: Role, provider: str | None = None) -> dict[str, str]:
        token = issue_dev_token(settings, user="log.tester", roles=list(roles), provider=provider)
        return {"Authorization": f"Bearer {token}", "X-Purpose": "log check"}

    with httpx.Client(base_url=base, timeout=30) as client:
        deadline = time.monotonic() + 30
        while True:
            try:
                if client.get("/health").status_code == 200:
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        staff = auth(Role.PRISON)
        for n, person in enumerate(PEOPLE):
            body = {"occurred_at": at(-1).isoformat(), "source_ref": f"reg-{n}", **person}
            assert client.post("/people", json=body, headers=staff).status_code == 201
        moves = [
            ("admissions", {"prison": "LEI", "movement_reason": "N"}, 200),
            ("admissions", {"prison": "MDI", "movement_reason": "N"}, 409),
            ("cell-moves", {"prison": "LEI", "cell": "A-1-001"}, 200),
            ("releases", {"from_agency": "MDI", "movement_reason": "CR"}, 409),
        ]
        for day, (path, move, status) in enumerate(moves):
            body = {"occurred_at": at(day).isoformat(), **move}
            done = client.post(f"/people/G4821QX/{path}", json=body, headers=staff)
            assert done.status_code == status, done.text
        for ref in ("G4821QX", "Y734920", "12/394773H", "K3095TR", "B0000ZZ", "not-an-id"):
            client.get(f"/people/{ref}", headers=staff)
            client.get(f"/people/{ref}/timeline", headers=staff)
        client.get("/search", params={"name": "Quartermaine"}, headers=staff)
        client.get("/search", params={"date_of_birth": "1983-07-19"}, headers=staff)
        client.get("/people/G4821QX", headers=auth(Role.PARTNER, provider="N07"))
        client.get("/people/G4821QX", headers={"Authorization": "Bearer forged"})
        lines: list[dict[str, object]] = [
            {"command": "cell-moves", "person": "K3095TR", "prison": "LEI", "cell": "A-1-002"},
            {"command": "register", "given_name": "Philippa", "identifiers": {"NOMS": "G4821QX"}},
        ]
        upload = b"\n".join(orjson.dumps({**ln, "occurred_at": at(5).isoformat()}) for ln in lines)
        refused = client.post(
            "/imports?source=NOMIS&format=jsonl",
            content=upload + b"\n",
            headers={**auth(Role.RECOVERY), "Content-Type": "application/x-ndjson"},
        )
        assert refused.status_code == 422, refused.text
