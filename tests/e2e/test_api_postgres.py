"""The API on PostgreSQL over real HTTP: where-is read and logged together, a failed log write
withholds the data, and the API answers 503 while its database is out of reach and recovers
without a restart."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.auth import Role
from api.config import ApiSettings
from domain.service.catalogue import StartSupervision
from domain.service.settings import Settings
from domain.service.storage import DatabaseURL
from projections.runner import Runner
from tests.conftest import at, prov
from tests.e2e.conftest import LiveApi, break_access_log, serve
from tests.e2e.relay import Relay
from tests.helpers import journey_and_read_db, register

pytestmark = pytest.mark.postgres
PROBLEM = "application/problem+json"


def seed(url: str) -> dict[str, str]:
    """Two people on probation: one held in N55 (Yorkshire), one in N07 (London); the read
    models caught up."""
    ids = {}
    with journey_and_read_db(Settings(database_url=url)) as (app, db):
        for noms, region, pdu in [("A0001PG", "N55", "N55LEE"), ("A0002PG", "N07", "N07CROY")]:
            ids[noms] = register(app, noms, "Pat", "Gres").person_id
            app.handle(noms, [StartSupervision(region=region, pdu=pdu)], prov(at(0)))
        Runner(app, db).catch_up()
    return ids


def logged(api: LiveApi, person_id: str) -> list[tuple[str, str]]:
    return [(e["user"], e["action"]) for e in api.access_log(person_id)]


def test_where_is_is_read_and_logged_together(pg_api: LiveApi) -> None:
    ids = seed(pg_api.settings.store.database_url)
    response = pg_api.client.get("/people/A0001PG", headers=pg_api.headers(Role.PROBATION))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["person_id"] == ids["A0001PG"]
    assert body["ownership"]["region"] == "N55"
    assert response.headers["etag"] == f'"{body["version"]}"'
    assert logged(pg_api, ids["A0001PG"]) == [("officer.one", "person.read")]
    # Check a partner reads its own provider's case, not another's, and only the read it was
    # given is logged.
    partner = pg_api.headers(Role.PARTNER, user="crc.user", provider="N55")
    assert pg_api.client.get("/people/A0001PG", headers=partner).status_code == 200
    refused = pg_api.client.get("/people/A0002PG", headers=partner)
    assert refused.status_code == 404  # as for no such person
    assert refused.headers["content-type"] == PROBLEM
    assert ("crc.user", "person.read") in logged(pg_api, ids["A0001PG"])
    assert logged(pg_api, ids["A0002PG"]) == []
    # Check an unknown person is 404, and malformed identifiers are refused by field.
    unknown = pg_api.client.get("/people/B9999ZZ", headers=pg_api.headers(Role.PRISON))
    assert unknown.status_code == 404
    malformed = pg_api.client.get("/people/12/394773A", headers=pg_api.headers(Role.PRISON))
    assert (malformed.status_code, malformed.json()["field"]) == (422, "identifier")


def test_a_failed_access_log_write_withholds_the_data(pg_api: LiveApi) -> None:
    seed(pg_api.settings.store.database_url)
    url = pg_api.settings.store.database
    break_access_log(url)
    response = pg_api.client.get("/people/A0001PG", headers=pg_api.headers(Role.PRISON))
    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"].endswith("access-log-unavailable")
    assert "N55" not in response.text and "Gres" not in response.text


@pytest.fixture
def relayed_api(tmp_path: Path, pg_url: str) -> Iterator[tuple[LiveApi, Relay]]:
    """The API on PostgreSQL through a relay the test can cut."""
    seed(pg_url)
    direct = DatabaseURL.parse(pg_url)
    relay = Relay((direct.host, direct.port))
    through = pg_url.replace(f"@{direct.host}:{direct.port}/", f"@127.0.0.1:{relay.port}/")
    assert through != pg_url
    settings = ApiSettings(
        store=Settings(database_url=through), dev_key_path=str(tmp_path / "dev-key.pem")
    )
    try:
        for api in serve(settings):
            yield api, relay
    finally:
        relay.cut()


def until(check: Iterator[bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    for ok in check:
        if ok:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return False


def test_database_out_of_reach_is_503_and_the_api_recovers(
    relayed_api: tuple[LiveApi, Relay],
) -> None:
    api, relay = relayed_api
    staff = api.headers(Role.PRISON)
    assert api.client.get("/people/A0001PG", headers=staff).status_code == 200
    assert api.client.get("/ready").status_code == 200
    # Check both answer 503 with problem details while the database is cut off.
    relay.cut()
    started = time.monotonic()
    for path, headers in [("/people/A0001PG", staff), ("/ready", {})]:
        response = api.client.get(path, headers=headers)
        assert response.status_code == 503, (path, response.text)
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["status"] == 503
        assert "Gres" not in response.text
    assert time.monotonic() - started < 10
    # Check the same server answers again once the database is back, with no restart.
    relay.restore()

    def answers(path: str, headers: dict[str, str]) -> Iterator[bool]:
        while True:
            yield api.client.get(path, headers=headers).status_code == 200

    assert until(answers("/ready", {}), 30)
    assert until(answers("/people/A0001PG", staff), 30)
    response = api.client.get("/people/A0001PG", headers=staff)
    assert response.status_code == 200 and response.json()["family_name"] == "Gres"
    search = api.client.get("/search", params={"name": "gres"}, headers=staff)
    assert search.status_code == 200 and len(search.json()) == 2
