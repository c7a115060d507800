"""Person-level reads over real HTTP: the answer, the access log, and the refusals."""

from __future__ import annotations

from datetime import date

from api.auth import Role
from domain.service.catalogue import AddIdentifier, Admit, MoveCell, RecordKeyDates
from tests.conftest import at, prov
from tests.e2e.conftest import LiveApi
from tests.helpers import journey_app, register


def seed_person(api: LiveApi, noms: str = "A1234BC") -> str:
    with journey_app(api.settings.store) as app:
        result = register(app, {"NOMS": noms, "CRN": "X111111"}, "Ann", "Reader", date(1984, 2, 3))
        app.handle(noms, [AddIdentifier(kind="PNC", value="12/394773H")], prov(at(0)))
        app.handle(noms, [Admit(prison="LEI", movement_reason="N")], prov(at(0)))
        app.handle(noms, [MoveCell(prison="LEI", cell="B-2-014")], prov(at(0, 2)))
        last = app.handle(noms, [RecordKeyDates(dates={"CRD": date(2024, 9, 1)})], prov(at(1)))
    api.wait_for(last.position)
    return result.person_id


def test_where_is_answers_in_one_request_and_is_logged(api: LiveApi) -> None:
    person_id = seed_person(api)
    response = api.client.get("/people/A1234BC", headers=api.headers(Role.PRISON))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["location"]["agency"] == "LEI" and body["location"]["cell"] == "B-2-014"
    assert body["ownership"]["responsibility"] == "custody"
    assert body["key_dates"] == {"CRD": "2024-09-01"}
    assert body["identifiers"] == {
        "CRN": ["X111111"],
        "NOMS": ["A1234BC"],
        "PNC": ["2012/0394773H"],
    }
    assert response.headers["etag"] == f'"{body["version"]}"'
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    # Check exactly one access-log entry names the person, the user and the purpose.
    rows = api.access_log(person_id)
    assert [(r["user"], r["action"], r["purpose"]) for r in rows] == [
        ("officer.one", "person.read", "case review")
    ]


def test_time_travel_read(api: LiveApi) -> None:
    seed_person(api)
    before = api.client.get(
        "/people/X111111",
        params={"as_of": at(0, 1).isoformat()},
        headers=api.headers(Role.PROBATION),
    )
    assert before.status_code == 200, before.text
    assert before.json()["location"]["cell"] is None


def test_refusals(api: LiveApi) -> None:
    seed_person(api)
    assert api.client.get("/people/A1234BC").status_code == 401
    no_purpose = api.client.get("/people/A1234BC", headers=api.headers(Role.PRISON, purpose=None))
    assert no_purpose.status_code == 400
    assert no_purpose.json()["field"] == "X-Purpose"
    bad_id = api.client.get("/people/12/394773A", headers=api.headers(Role.PRISON))
    assert bad_id.status_code == 422 and bad_id.json()["field"] == "identifier"
    assert bad_id.headers["content-type"] == "application/problem+json"
    unknown = api.client.get("/people/B9999ZZ", headers=api.headers(Role.PRISON))
    assert unknown.status_code == 404
    forged = api.headers(Role.PRISON)
    forged["Authorization"] = forged["Authorization"][:-4] + "AAAA"
    assert api.client.get("/people/A1234BC", headers=forged).status_code == 401


def test_a_failed_access_log_write_withholds_the_data(api: LiveApi) -> None:
    seed_person(api)
    import sqlite3

    path = api.settings.store.database.path
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TRIGGER break_log BEFORE INSERT ON access_log "
            "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        )
    response = api.client.get("/people/A1234BC", headers=api.headers(Role.PRISON))
    assert response.status_code == 503
    assert "LEI" not in response.text and "Reader" not in response.text
    assert response.json()["type"].endswith("access-log-unavailable")
