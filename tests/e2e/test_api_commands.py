"""Commands over real HTTP: a journey recorded, retries, stale versions, and refusals that
record nothing."""

from __future__ import annotations

from typing import Any

from api.auth import Role
from tests.conftest import at
from tests.e2e.conftest import LiveApi

NOMS = "A1234BC"


def post(api: LiveApi, path: str, body: dict[str, Any], *roles: Role, **headers: str) -> Any:
    sent = {**api.headers(*(roles or (Role.PRISON,)), purpose=None), **headers}
    return api.client.post(path, json=body, headers=sent)


def head(api: LiveApi) -> int:
    position: int = api.client.get("/ready").json()["head"]
    return position


def register(api: LiveApi) -> dict[str, Any]:
    response = post(
        api,
        "/people",
        {
            "occurred_at": at(-1).isoformat(),
            "given_name": "Jo",
            "family_name": "Walker",
            "date_of_birth": "1990-04-01",
            "identifiers": {"NOMS": NOMS},
            "source_ref": "reg-1",
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_journey_over_http(api: LiveApi) -> None:
    register(api)
    steps: list[tuple[str, dict[str, Any], Role]] = [
        ("admissions", {"prison": "LEI", "movement_reason": "N"}, Role.PRISON),
        ("cell-moves", {"prison": "LEI", "cell": "A-2-003"}, Role.PRISON),
        ("key-dates", {"dates": {"CRD": "2024-08-01"}}, Role.PROBATION),
        ("handovers", {"to": "community"}, Role.PRISON),
        ("handovers/accept", {}, Role.PROBATION),
        ("transfers-out", {"from_prison": "LEI", "to_prison": "MDI"}, Role.PRISON),
        ("arrivals", {"prison": "MDI"}, Role.PRISON),
    ]
    for day, (path, body, role) in enumerate(steps):
        response = post(
            api, f"/people/{NOMS}/{path}", {"occurred_at": at(day).isoformat(), **body}, role
        )
        assert response.status_code == 200, (path, response.text)
        assert response.json()["changed"] is True
    last = response.json()
    assert response.headers["etag"] == f'"{last["version"]}"'
    person = api.client.get(
        f"/people/{NOMS}", params={"as_of": at(10).isoformat()}, headers=api.headers(Role.PRISON)
    )
    assert person.json()["location"]["agency"] == "MDI"
    assert person.json()["ownership"]["responsibility"] == "community"


def test_idempotency_key(api: LiveApi) -> None:
    register(api)
    body = {"occurred_at": at(0).isoformat(), "prison": "LEI", "movement_reason": "N"}
    first = post(api, f"/people/{NOMS}/admissions", body, **{"Idempotency-Key": "k-1"})
    before = head(api)
    again = post(api, f"/people/{NOMS}/admissions", body, **{"Idempotency-Key": "k-1"})
    # Check the retry returns the first response and records nothing.
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert head(api) == before
    other = post(
        api, f"/people/{NOMS}/admissions", {**body, "prison": "MDI"}, **{"Idempotency-Key": "k-1"}
    )
    assert other.status_code == 422 and other.json()["field"] == "Idempotency-Key"
    assert head(api) == before


def test_if_match(api: LiveApi) -> None:
    register(api)
    body = {"occurred_at": at(0).isoformat(), "prison": "LEI", "movement_reason": "N"}
    stale = post(api, f"/people/{NOMS}/admissions", body, **{"If-Match": '"7"'})
    assert stale.status_code == 412
    # Check the current state comes only with a stated purpose (a logged disclosure).
    assert "current" not in stale.json()
    told = post(
        api, f"/people/{NOMS}/admissions", body, **{"If-Match": '"7"', "X-Purpose": "re-reading"}
    )
    assert told.status_code == 412 and told.json()["current"]["version"] == 1
    fresh = post(api, f"/people/{NOMS}/admissions", body, **{"If-Match": '"1"'})
    assert fresh.status_code == 200 and fresh.json()["version"] == 2


def test_bad_input_gets_problem_details_and_records_nothing(api: LiveApi) -> None:
    register(api)
    post(
        api,
        f"/people/{NOMS}/admissions",
        {"occurred_at": at(0).isoformat(), "prison": "LEI", "movement_reason": "N"},
    )
    before = head(api)
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        ("transfers-out", {"from_prison": "MDI", "to_prison": "LEI"}, 409, "from_agency"),
        ("admissions", {"prison": "XYZ", "movement_reason": "N"}, 422, "prison"),
        ("cell-moves", {"prison": "LEI", "cell": "nowhere"}, 422, "cell"),
        ("releases", {"from_agency": "LEI", "movement_reason": "ZZ"}, 422, "reason"),
        ("key-dates", {"dates": {"NOPE": "2025-01-01"}}, 422, "dates.NOPE"),
        ("handovers", {"to": "elsewhere"}, 422, "to"),
        ("cell-moves", {"prison": "LEI"}, 422, "cell"),
    ]
    for path, body, status, field in cases:
        response = post(api, f"/people/{NOMS}/{path}", {"occurred_at": at(1).isoformat(), **body})
        assert response.status_code == status, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["field"] == field, response.json()
    future = post(
        api,
        f"/people/{NOMS}/cell-moves",
        {"occurred_at": "2099-01-01T00:00:00+00:00", "prison": "LEI", "cell": "A-1-1"},
    )
    assert future.status_code == 422 and future.json()["field"] == "occurred_at"
    bad_id = post(
        api,
        "/people/12/394773A/cell-moves",
        {"occurred_at": at(1).isoformat(), "prison": "LEI", "cell": "A-1-001"},
    )
    assert bad_id.status_code == 422 and bad_id.json()["field"] == "identifier"
    big = api.client.post(
        f"/people/{NOMS}/cell-moves",
        content=b"{" + b" " * 70_000 + b"}",
        headers={**api.headers(Role.PRISON, purpose=None), "Content-Type": "application/json"},
    )
    assert big.status_code == 413
    text = api.client.post(
        f"/people/{NOMS}/cell-moves",
        content=b"prison=LEI",
        headers={**api.headers(Role.PRISON, purpose=None), "Content-Type": "text/plain"},
    )
    assert text.status_code == 415
    assert head(api) == before


def test_roles_on_commands(api: LiveApi) -> None:
    register(api)
    body = {"occurred_at": at(0).isoformat(), "prison": "LEI", "movement_reason": "N"}
    assert post(api, f"/people/{NOMS}/admissions", body, Role.AUDITOR).status_code == 403
    assert post(api, f"/people/{NOMS}/admissions", body, Role.PRISON).status_code == 200
    void = {"occurred_at": at(1).isoformat(), "entries": [2], "reason": "keyed in error"}
    assert post(api, f"/people/{NOMS}/voids", void, Role.PRISON).status_code == 403
    done = post(api, f"/people/{NOMS}/voids", void, Role.RECOVERY)
    assert done.status_code == 200 and done.json()["changed"] is True
