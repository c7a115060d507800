"""A live API server on a free loopback port, and a real HTTP client for it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import psycopg
import pytest
import uvicorn

from api.app import create_app
from api.auth import Role, dev_private_key, issue_dev_token
from api.config import ApiSettings
from domain.service.settings import Settings
from domain.service.storage import DatabaseURL
from ops.soak.stack import Stack


@dataclass
class LiveApi:
    base: str
    settings: ApiSettings
    client: httpx.Client

    def token(self, *roles: Role, user: str = "officer.one", provider: str | None = None) -> str:
        return issue_dev_token(self.settings, user=user, roles=list(roles), provider=provider)

    def headers(
        self,
        *roles: Role,
        purpose: str | None = "case review",
        user: str = "officer.one",
        provider: str | None = None,
    ) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token(*roles, user=user, provider=provider)}"}
        if purpose:
            headers["X-Purpose"] = purpose
        return headers

    def claims(self, **changes: object) -> dict[str, object]:
        """The claims of a token the API issues to officer.one, a prison officer, for ten minutes;
        `changes` replace or add claims, and None leaves one out."""
        issued = issue_dev_token(self.settings, user="officer.one", roles=[Role.PRISON], ttl=600)
        claims: dict[str, object] = jwt.decode(issued, options={"verify_signature": False})
        claims.update(changes)
        return {name: value for name, value in claims.items() if value is not None}

    def signed(self, algorithm: str = "RS256", **changes: object) -> str:
        """A token with those claims, signed with the trusted development key."""
        return jwt.encode(
            self.claims(**changes), dev_private_key(self.settings), algorithm=algorithm
        )

    def upload(
        self,
        query: str,
        content: bytes,
        headers: Mapping[str, str],
        content_type: str = "application/x-ndjson",
    ) -> httpx.Response:
        """A file posted to /imports with the query string given, sent as `content_type`."""
        sent = {**headers, "Content-Type": content_type}
        return self.client.post(f"/imports?{query}", content=content, headers=sent)

    def access_log(self, person_id: str) -> list[dict[str, Any]]:
        """The access-log entries about a person, as an auditor reads them."""
        response = self.client.get(
            "/audit/access",
            params={"person_id": person_id},
            headers=self.headers(Role.AUDITOR, purpose=None),
        )
        assert response.status_code == 200, response.text
        entries: list[dict[str, Any]] = response.json()["entries"]
        return entries

    def wait_for(self, position: int | None, seconds: float = 10) -> None:
        """Wait until every read model has caught up with a log position."""
        deadline = time.monotonic() + seconds
        while self.client.get("/ready").json()["position"] < (position or 0):
            assert time.monotonic() < deadline
            time.sleep(0.02)


def break_access_log(url: DatabaseURL) -> None:
    """Make every access-log insert in the store's schema fail, as a full disk would."""
    with psycopg.connect(url.conninfo(), autocommit=True) as conn:
        conn.execute(
            f"CREATE FUNCTION {url.schema}.break_log() RETURNS trigger LANGUAGE plpgsql "
            "AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$"
        )
        conn.execute(
            f"CREATE TRIGGER break_log BEFORE INSERT ON {url.schema}.access_log "
            f"FOR EACH ROW EXECUTE FUNCTION {url.schema}.break_log()"
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def serve(settings: ApiSettings) -> Iterator[LiveApi]:
    port = free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise AssertionError("the API server did not start")
        time.sleep(0.02)
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=30) as client:
        yield LiveApi(base, settings, client)
    server.should_exit = True
    thread.join(timeout=20)


def dev_settings(folder: Path, database_url: str | None = None) -> ApiSettings:
    """Settings with development tokens, their key in `folder`, on `database_url` or else an
    embedded SQLite store in `folder`."""
    url = database_url or f"sqlite:///{folder / 'api.sqlite'}"
    return ApiSettings(store=Settings(database_url=url), dev_key_path=str(folder / "dev-key.pem"))


@pytest.fixture
def api(tmp_path: Path) -> Iterator[LiveApi]:
    """The API on an embedded SQLite store, with development tokens."""
    yield from serve(dev_settings(tmp_path))


@pytest.fixture
def pg_api(tmp_path: Path, pg_url: str) -> Iterator[LiveApi]:
    """The API on PostgreSQL, with development tokens."""
    yield from serve(dev_settings(tmp_path, pg_url))


@pytest.fixture(scope="module")
def shared_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    """One API server for a whole module (many small cases against one store)."""
    yield from serve(dev_settings(tmp_path_factory.mktemp("api")))


@pytest.fixture
def stack(stack_url: str, tmp_path: Path) -> Iterator[Stack]:
    """`journey serve` with one projection worker on the module's `stack_url`, for the test to
    start; stopped after it."""
    with closing(Stack(stack_url, tmp_path, workers=1)) as started:
        yield started
