"""The command lane: a well-formed command from an admitted caller goes straight to its route's
endpoint with the very values the framework would resolve; anything else is handed back, body
and all, to the framework's own routing, which answers as it always has."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from fastapi import FastAPI
from fastapi.dependencies.utils import solve_dependencies
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.routing import Match
from starlette.types import Message

from api.app import create_app
from api.auth import Role, issue_dev_token
from api.lane import HANDED_BACK, CommandLane, Lane
from api.matrix import all_routes
from api.routes import commands
from tests.aio import run
from tests.conftest import at
from tests.e2e.conftest import LiveApi, dev_settings

NOMS = "A1234BC"
MOVE = {"occurred_at": at(1).isoformat(), "prison": "LEI", "cell": "A-2-003"}


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    yield create_app(dev_settings(tmp_path))


def lane_of(app: FastAPI) -> CommandLane:
    first = app.router.routes[0]
    assert isinstance(first, CommandLane)
    return first


def command_routes() -> list[APIRoute]:
    return [r for r in commands.router.routes if isinstance(r, APIRoute) and r.path != "/people"]


def test_the_lane_takes_every_command_route_each_path_only_that_route_matches(
    app: FastAPI,
) -> None:
    lane = lane_of(app)
    taken = [entry.route for entries in lane.by_tail.values() for entry in entries]
    assert sorted(r.path for r in taken) == sorted(r.path for r in command_routes())
    posts = [r for r in all_routes(list(app.router.routes)) if "POST" in (r.methods or ())]
    for route in taken:
        for ref in (NOMS, "12/394773H", str(uuid4()), "A1234BC/merges"):
            path = route.path.replace("{ref:path}", ref)
            scope = {"type": "http", "method": "POST", "path": path, "root_path": ""}
            matched, child = lane.matches(scope)
            assert matched is Match.FULL, path
            assert child["route"] is route and child["path_params"] == {"ref": ref}
            # Check no other route could take it, whatever the framework's order.
            assert [r.path for r in posts if r.path_regex.match(path)] == [route.path], path
            # Check a request handed back is left to the framework.
            assert lane.matches({**scope, HANDED_BACK: True})[0] is Match.NONE


def test_the_lane_leaves_reads_and_other_writes_alone(app: FastAPI) -> None:
    lane = lane_of(app)
    for method, path in [
        ("GET", f"/people/{NOMS}"),
        ("GET", f"/people/{NOMS}/cell-moves"),
        ("POST", "/people"),
        ("POST", f"/people/{NOMS}/merges"),
        ("POST", f"/people/{NOMS}/restrictions"),
        ("POST", f"/ui/people/{NOMS}/movement"),
        ("POST", "/imports"),
    ]:
        scope = {"type": "http", "method": method, "path": path, "root_path": ""}
        assert lane.matches(scope)[0] is Match.NONE, (method, path)


def headers(
    app: FastAPI, role: Role = Role.PRISON, extra: dict[str, str] | None = None
) -> dict[str, str]:
    token = issue_dev_token(app.state.services.settings, user="officer.one", roles=[role])
    return {"authorization": f"Bearer {token}", "content-type": "application/json", **(extra or {})}


Headers = dict[str, str] | list[tuple[str, str]]


def cases(app: FastAPI) -> list[tuple[str, Headers, bytes]]:
    good = json.dumps(MOVE).encode()
    return [
        ("well formed", headers(app), good),
        (
            "version, key and purpose",
            headers(
                app, extra={"if-match": '"3"', "x-purpose": "review", "idempotency-key": "k-1"}
            ),
            good,
        ),
        ("no token", {"content-type": "application/json"}, good),
        ("another scheme", {**headers(app), "authorization": "Basic b2ZmaWNlcjpw"}, good),
        ("a forged token", {**headers(app), "authorization": "Bearer a.b.c"}, good),
        ("a role the route does not admit", headers(app, Role.AUDITOR), good),
        ("a key too long", headers(app, extra={"idempotency-key": "k" * 201}), good),
        ("an empty purpose", headers(app, extra={"x-purpose": ""}), good),
        (
            "a version given twice",
            [*headers(app, extra={"if-match": '"3"'}).items(), ("if-match", "nine")],
            good,
        ),
        ("not JSON", headers(app), b"{not json"),
        ("no body", headers(app), b""),
        ("a field missing", headers(app), json.dumps({"prison": "LEI"}).encode()),
        ("a field unknown", headers(app), json.dumps({**MOVE, "wing": "A"}).encode()),
        (
            "a time without a zone",
            headers(app),
            json.dumps({**MOVE, "occurred_at": "2024-03-01T00:00:00"}).encode(),
        ),
        ("text, not JSON", headers(app, extra={"content-type": "text/plain"}), good),
    ]


def scope_of(app: FastAPI, given: Headers, path: str) -> dict[str, Any]:
    pairs = given.items() if isinstance(given, dict) else given
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in pairs]
    return {
        "type": "http",
        "method": "POST",
        "path": path,
        "root_path": "",
        "app": app,
        "headers": raw,
        "query_string": b"",
        "state": {"request_id": "r-1"},
    }


def receiving(body: bytes) -> Any:
    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def by_framework(route: APIRoute, scope: dict[str, Any], body: bytes) -> Any:
    """The endpoint's values as the framework resolves them, or None if it refuses."""
    try:
        document = (
            json.loads(body)
            if body and "json" in dict(scope["headers"]).get(b"content-type", b"").decode()
            else (body or None)
        )
    except ValueError:
        return None
    async with AsyncExitStack() as stack:
        scope = {**scope, "fastapi_inner_astack": stack, "fastapi_function_astack": stack}
        try:
            solved = await solve_dependencies(
                request=Request(scope, receiving(body)),
                dependant=route.dependant,
                body=document,
                async_exit_stack=stack,
                embed_body_fields=route._embed_body_fields,
            )
        except Exception:  # a refused token or role
            return None
    return None if solved.errors else solved.values


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[None]:
    async with app.router.lifespan_context(app):
        yield


def comparable(values: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if values is None else {k: v for k, v in values.items() if k != "request"}


def test_the_lane_resolves_what_the_framework_resolves_or_hands_the_request_back(
    app: FastAPI,
) -> None:
    async def check() -> None:
        async with running(app):
            lane = lane_of(app)
            for route in command_routes():
                entry: Lane = next(
                    e for es in lane.by_tail.values() for e in es if e.route is route
                )
                path = route.path.replace("{ref:path}", NOMS)
                for name, given, body in cases(app):
                    scope = scope_of(app, given, path)
                    scope["path_params"] = {"ref": NOMS}
                    ours = await entry.values(Request(dict(scope), receiving(body)), body)
                    theirs = await by_framework(route, dict(scope), body)
                    assert comparable(ours) == comparable(theirs), (route.path, name)
            # Check the well-formed case is the lane's to answer, for a route that admits it.
            moves = next(e for e in lane.by_tail["cell-moves"])
            scope = {
                **scope_of(app, headers(app), "/people/X/cell-moves"),
                "path_params": {"ref": "X"},
            }
            good = json.dumps(MOVE).encode()
            assert await moves.values(Request(scope, receiving(good)), good) is not None

    run(check())


def post(api: LiveApi, path: str, body: bytes, **extra: str) -> Any:
    sent = {**api.headers(Role.PRISON, purpose=None), "Content-Type": "application/json", **extra}
    return api.client.post(path, content=body, headers=sent)


def registered(api: LiveApi) -> None:
    body = {
        "occurred_at": at(0).isoformat(),
        "given_name": "Jo",
        "family_name": "Walker",
        "date_of_birth": "1990-04-01",
        "identifiers": {"NOMS": NOMS},
    }
    assert post(api, "/people", json.dumps(body).encode()).status_code == 201
    admit = {"occurred_at": at(0, 1).isoformat(), "prison": "LEI", "movement_reason": "N"}
    assert post(api, f"/people/{NOMS}/admissions", json.dumps(admit).encode()).status_code == 200


def test_a_request_handed_back_is_answered_by_the_framework_from_the_same_body(
    api: LiveApi,
) -> None:
    registered(api)
    # Check a body the lane read and refused reaches the framework whole: it names the field.
    wrong = post(api, f"/people/{NOMS}/cell-moves", json.dumps({**MOVE, "cell": 7}).encode())
    assert wrong.status_code == 422, wrong.text
    assert "cell" in wrong.text
    # Check a header the framework refuses is refused by it, after the lane read the body.
    long_key = post(
        api,
        f"/people/{NOMS}/cell-moves",
        json.dumps(MOVE).encode(),
        **{"Idempotency-Key": "k" * 201},
    )
    assert long_key.status_code == 422, long_key.text
    assert "idempotency-key" in long_key.text.lower()
    # Check a refused token is the framework's 401, with its challenge.
    anonymous = api.client.post(f"/people/{NOMS}/cell-moves", json=MOVE)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    # Check the lane's answer is the route's: the entry, the version as an ETag, and a retry
    # under the same key given the first answer.
    keyed = {"Idempotency-Key": "move-1"}
    first = post(api, f"/people/{NOMS}/cell-moves", json.dumps(MOVE).encode(), **keyed)
    again = post(api, f"/people/{NOMS}/cell-moves", json.dumps(MOVE).encode(), **keyed)
    assert first.status_code == again.status_code == 200, first.text
    assert first.headers["etag"] == f'"{first.json()["version"]}"'
    assert again.json() == first.json()
    assert first.headers["content-type"] == "application/json"
