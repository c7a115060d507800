"""Injection attempts in every text parameter, over real HTTP: each is refused with 4xx
problem details or stored verbatim and harmlessly; never a 5xx, and the database intact."""

from __future__ import annotations

import re
import socket
import sqlite3
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import quote

import httpx
import orjson
import pytest

from api.auth import Role
from domain.service.application import JourneyApp
from domain.service.catalogue import Admit
from tests.conftest import at, prov
from tests.e2e.conftest import LiveApi
from tests.helpers import register

NOMS = "A5555IJ"
PAYLOADS = [
    "' OR 1=1 --",
    "'; DROP TABLE canary; --",
    '" OR ""="',
    "1; UPDATE access_log SET user_name='x' --",
    "%00",
    "nul\x00byte",
    "../../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "A" * 5000,
    "Zoë Ñandú 名前 🚔 \u202eevil",
    '{"roles": ["admin"], "$ne": null}',
    "<script>alert(1)</script>",
    "line\r\nSet-Cookie: session=1",
    "${jndi:ldap://127.0.0.1/x}",
    "%s%s%s%n",
]
TALLY: Counter[str] = Counter()
Attack = Callable[[LiveApi, str], httpx.Response]


@pytest.fixture(scope="module")
def target(shared_api: LiveApi) -> LiveApi:
    """One person in custody, a loaded batch to correct, and a canary table."""
    app = JourneyApp(shared_api.settings.store)
    try:
        register(app, NOMS, "Canary", "Person", date(1975, 6, 7))
        app.handle(NOMS, [Admit(prison="LEI", movement_reason="N")], prov(at(0)))
    finally:
        app.close()
    line = {"command": "cell-moves", "person": NOMS, "prison": "LEI", "cell": "B-1-001"}
    line["occurred_at"] = at(1).isoformat()
    loaded = shared_api.client.post(
        "/imports?source=NOMIS&format=jsonl",
        content=orjson.dumps(line) + b"\n",
        headers={**shared_api.headers(Role.RECOVERY), "Content-Type": "application/x-ndjson"},
    )
    assert loaded.status_code == 201, loaded.text
    shared_api.client.headers["X-Batch"] = loaded.json()["batch_id"]
    with sqlite3.connect(shared_api.settings.store.database.path) as conn:
        conn.execute("CREATE TABLE canary (id INTEGER PRIMARY KEY, word TEXT)")
        conn.execute("INSERT INTO canary (word) VALUES ('tweet')")
    return shared_api


def reader(api: LiveApi, role: Role = Role.PRISON) -> dict[str, str]:
    return api.headers(role)


def command(api: LiveApi, path: str, body: dict[str, Any]) -> httpx.Response:
    body = {"occurred_at": at(2).isoformat(), **body}
    return api.client.post(path, json=body, headers=api.headers(Role.PRISON, purpose=None))


def raw_header(api: LiveApi, name: str, value: str) -> httpx.Response:
    """A header httpx will not send (CR, LF, NUL, non-ASCII): written to the socket as is."""
    try:
        sent = [(k.encode(), v.encode()) for k, v in reader(api).items() if k != name]
        return api.client.get(f"/people/{NOMS}", headers=[*sent, (name.encode(), value.encode())])
    except httpx.LocalProtocolError:
        pass
    host, port = api.base.removeprefix("http://").split(":")
    token = reader(api)["Authorization"]
    purpose = "" if name == "X-Purpose" else "X-Purpose: review\r\n"
    request = (
        (
            f"GET /people/{NOMS} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {token}\r\n"
            f"{purpose}{name}: "
        ).encode()
        + value.encode()
        + b"\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    assert not any(ln.lower().startswith("set-cookie") for ln in lines)
    headers = [(k.strip(), v.strip()) for k, _, v in (ln.partition(":") for ln in lines)]
    return httpx.Response(int(status_line.split(" ")[1]), headers=headers, content=body)


ATTACKS: dict[str, Attack] = {
    "search name": lambda api, p: api.client.get(
        "/search", params={"name": p}, headers=reader(api)
    ),
    "search identifier": lambda api, p: api.client.get(
        "/search", params={"identifier": p}, headers=reader(api)
    ),
    "person path": lambda api, p: api.client.get(
        f"/people/{quote(p, safe='')}", headers=reader(api)
    ),
    "timeline path": lambda api, p: api.client.get(
        f"/people/{quote(p, safe='')}/timeline", headers=reader(api)
    ),
    "X-Purpose header": lambda api, p: raw_header(api, "X-Purpose", p),
    "X-Request-Id header": lambda api, p: raw_header(api, "X-Request-Id", p),
    "command reason": lambda api, p: command(
        api, f"/people/{NOMS}/key-dates", {"dates": {"CRD": "2025-01-01"}, "reason": p}
    ),
    "command source_ref": lambda api, p: command(
        api, f"/people/{NOMS}/key-dates", {"dates": {"CRD": "2025-01-01"}, "source_ref": p}
    ),
    "command cell": lambda api, p: command(
        api, f"/people/{NOMS}/cell-moves", {"prison": "LEI", "cell": p}
    ),
    "registered name": lambda api, p: command(
        api,
        "/people",
        {
            "given_name": p,
            "family_name": "Injected",
            "date_of_birth": "1990-01-01",
            "identifiers": {"NOMS": f"A{PAYLOADS.index(p):04d}XQ"},
        },
    ),
    "prison code in path": lambda api, p: api.client.get(
        f"/prisons/{quote(p, safe='')}/roll", headers=reader(api)
    ),
    "batch id in path": lambda api, p: api.client.get(
        f"/batches/{quote(p, safe='')}", headers=reader(api, Role.RECOVERY)
    ),
    "void reason": lambda api, p: api.client.post(
        f"/batches/{api.client.headers['X-Batch']}/void",
        json={"reason": p, "dry_run": True},
        headers=api.headers(Role.RECOVERY, purpose=None),
    ),
    "audit user filter": lambda api, p: api.client.get(
        "/audit/access", params={"user": p}, headers=api.headers(Role.AUDITOR, purpose=None)
    ),
    "import source": lambda api, p: api.client.post(
        "/imports",
        params={"source": p, "format": "jsonl", "dry_run": "true"},
        content=b"",
        headers={**api.headers(Role.RECOVERY), "Content-Type": "application/x-ndjson"},
    ),
}


@pytest.mark.parametrize("payload", PAYLOADS, ids=lambda p: repr(p[:24]))
@pytest.mark.parametrize("where", list(ATTACKS))
def test_injection_is_refused_or_harmless(target: LiveApi, where: str, payload: str) -> None:
    response = ATTACKS[where](target, payload)
    assert response.status_code < 500, (where, response.text)
    if response.status_code >= 400:
        TALLY["refused"] += 1
        assert response.headers.get("content-type", "application/problem+json") in {
            "application/problem+json",
            "text/plain; charset=utf-8",  # the HTTP server's own refusal of a malformed request
        }
        return
    TALLY["accepted"] += 1
    stored_verbatim(target, where, payload, response)


def stored_verbatim(api: LiveApi, where: str, payload: str, response: httpx.Response) -> None:
    """What was accepted reads back exactly as sent, or is a plain answer with no data."""
    if where in {"command reason", "command source_ref"}:
        field = "reason" if where == "command reason" else "source_ref"
        entries = api.client.get(
            f"/people/{NOMS}/timeline", params={"limit": 500}, headers=reader(api)
        ).json()["entries"]
        assert payload in [e[field] for e in entries]
    elif where == "registered name":
        # Read from the history itself (as_of), not the read models, which may still lag.
        person = api.client.get(
            f"/people/{response.json()['person_id']}",
            params={"as_of": at(3).isoformat()},
            headers=reader(api),
        )
        assert person.json()["given_name"] == payload, person.text
    elif where == "X-Purpose header":
        # Header bytes are read as Latin-1 (as HTTP has it), then kept exactly; a CR LF ends
        # the header on the wire, so what follows it is another header, not the purpose.
        sent = re.split("[\r\n]", payload)[0].encode().decode("latin-1").strip()
        assert logged_purposes(api, response.headers["x-request-id"]) == [sent]
    elif where in {"search name", "search identifier", "audit user filter"}:
        body = response.json()
        assert (body if isinstance(body, list) else body["entries"]) == []
    else:
        assert response.status_code in {200, 201}, (where, response.text)


def logged_purposes(api: LiveApi, request_id: str) -> list[str]:
    found, after = [], 0
    while after is not None:
        page = api.client.get(
            "/audit/access",
            params={"user": "officer.one", "after": after, "limit": 1000},
            headers=api.headers(Role.AUDITOR, purpose=None),
        ).json()
        found += [r["purpose"] for r in page["entries"] if r["request_id"] == request_id]
        after = page["next_after"]
    return found


def test_the_database_is_intact_after_every_attack(target: LiveApi) -> None:
    """Runs after the attacks (same server and store)."""
    assert sum(TALLY.values()) == len(PAYLOADS) * len(ATTACKS), TALLY
    with sqlite3.connect(target.settings.store.database.path) as conn:
        assert conn.execute("SELECT word FROM canary").fetchall() == [("tweet",)]
        # Check the access log is still append-only, and no one rewrote who read what.
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("UPDATE access_log SET user_name = 'x'")
        users = {r[0] for r in conn.execute("SELECT DISTINCT user_name FROM access_log")}
    assert users == {"officer.one"}
    person = target.client.get(f"/people/{NOMS}", headers=reader(target))
    assert person.status_code == 200
    assert (person.json()["location"]["agency"], person.json()["given_name"]) == ("LEI", "Canary")
    print(f"\ninjection attempts: {sum(TALLY.values())}, {dict(TALLY)}")
