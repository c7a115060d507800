"""Disclosure over real HTTP: one access-log entry per person disclosed, and partners see only
the cases their own provider holds, through reads, search and the feed."""

from __future__ import annotations

from datetime import date

from api.auth import Role
from domain.service.catalogue import Admit, StartSupervision
from tests.conftest import at, prov
from tests.e2e.conftest import LiveApi
from tests.helpers import journey_app, register


def seed(api: LiveApi) -> dict[str, str]:
    """Three Smiths: two held in N55 (Yorkshire), one in N07 (London)."""
    ids = {}
    with journey_app(api.settings.store) as app:
        for noms, region, pdu in [
            ("A0001SM", "N55", "N55LEE"),
            ("A0002SM", "N55", "N55LEE"),
            ("A0003SM", "N07", "N07CROY"),
        ]:
            ids[noms] = register(app, noms, "Sam", "Smith", date(1985, 5, 5)).person_id
            last = app.handle(noms, [StartSupervision(region=region, pdu=pdu)], prov(at(0)))
    api.wait_for(last.position)
    return ids


def logged(api: LiveApi, action: str) -> list[dict[str, object]]:
    response = api.client.get(
        "/audit/access", params={"limit": 1000}, headers=api.headers(Role.AUDITOR, purpose=None)
    )
    rows: list[dict[str, object]] = response.json()["entries"]
    return [r for r in rows if r["action"] == action]


def test_search_logs_one_entry_per_person_disclosed(api: LiveApi) -> None:
    ids = seed(api)
    found = api.client.get(
        "/search", params={"name": "smith"}, headers=api.headers(Role.PROBATION, user="po.smith")
    )
    assert found.status_code == 200
    assert sorted(r["noms"] for r in found.json()) == ["A0001SM", "A0002SM", "A0003SM"]
    rows = logged(api, "person.search")
    assert sorted(str(r["person_id"]) for r in rows) == sorted(ids.values())
    assert {r["user"] for r in rows} == {"po.smith"}
    assert len({r["request_id"] for r in rows}) == 1


def test_partner_sees_only_its_providers_cases(api: LiveApi) -> None:
    ids = seed(api)
    partner = api.headers(Role.PARTNER, user="crc.user", provider="N55")
    assert api.client.get("/people/A0001SM", headers=partner).status_code == 200
    assert api.client.get("/people/A0003SM", headers=partner).status_code == 404
    assert api.client.get("/people/A0003SM/timeline", headers=partner).status_code == 404
    found = api.client.get("/search", params={"name": "smith"}, headers=partner)
    assert sorted(r["noms"] for r in found.json()) == ["A0001SM", "A0002SM"]
    feed = api.client.get("/feed", params={"after": 0, "limit": 100}, headers=partner)
    assert feed.status_code == 200
    people = {c["person_id"] for c in feed.json()["changes"]}
    assert people == {ids["A0001SM"], ids["A0002SM"]}
    assert feed.json()["next_after"] > 0
    # Check the feed page's disclosures name the recipient provider, one row per person.
    rows = logged(api, "feed.page")
    assert sorted(str(r["person_id"]) for r in rows) == sorted(people)
    assert {r["recipient"] for r in rows} == {"N55"}
    # Check a partner cannot write to another provider's case either.
    move = api.client.post(
        "/people/A0003SM/com-allocations",
        headers=partner,
        json={"occurred_at": at(1).isoformat(), "officer": "X", "pdu": "N07CROY"},
    )
    assert move.status_code == 404  # as for no such person


def test_roll_csv_and_metrics(api: LiveApi) -> None:
    with journey_app(api.settings.store) as app:
        register(app, "A0009RL", "Rolly", "Inmate", date(1990, 1, 1))
        last = app.handle("A0009RL", [Admit(prison="LEI", movement_reason="N")], prov(at(0)))
    api.wait_for(last.position)
    staff = api.headers(Role.PRISON)
    roll = api.client.get("/prisons/LEI/roll", headers=staff)
    assert roll.json()["counts"] == {"in": 1}
    csv = api.client.get("/prisons/LEI/roll", params={"format": "csv"}, headers=staff)
    assert csv.headers["content-type"].startswith("text/csv")
    assert "A0009RL" in csv.text and csv.text.startswith("person_id,")
    earlier = api.client.get(
        "/prisons/LEI/roll", params={"as_of": at(-0.5).isoformat()}, headers=staff
    )
    assert earlier.json()["people"] == []
    assert api.client.get("/population", headers=staff).json()["counts"] == {"LEI": 1}
    assert api.client.get("/prisons/XYZ/roll", headers=staff).status_code == 422
    metrics = api.client.get("/metrics").text
    assert "journey_http_requests_total" in metrics
    assert 'route="/prisons/{code}/roll"' in metrics


def test_partner_scoping_is_one_rule_for_every_route(api: LiveApi) -> None:
    """Only a token with the partner role alone is scoped to its provider; one that also holds
    a role reading every case (auditor, prison staff) sees every case through every route."""
    ids = seed(api)
    for extra in (Role.AUDITOR, Role.PRISON):
        both = api.headers(Role.PARTNER, extra, user=f"partner.{extra}", provider="N55")
        # Check reads of a case another provider holds.
        assert api.client.get("/people/A0003SM", headers=both).status_code == 200
        assert api.client.get("/people/A0003SM/timeline", headers=both).status_code == 200
        found = api.client.get("/search", params={"name": "smith"}, headers=both)
        assert sorted(r["noms"] for r in found.json()) == ["A0001SM", "A0002SM", "A0003SM"]
        feed = api.client.get("/feed", params={"after": 0, "limit": 100}, headers=both)
        assert {c["person_id"] for c in feed.json()["changes"]} == set(ids.values())
        # Check a command on that case (the partner role may allocate a COM).
        move = api.client.post(
            "/people/A0003SM/com-allocations",
            headers=both,
            json={"occurred_at": at(1).isoformat(), "officer": str(extra), "pdu": "N07CROY"},
        )
        assert move.status_code == 200, move.text
    # Check the partner role alone stays scoped on each of those routes.
    partner = api.headers(Role.PARTNER, user="crc.user", provider="N55")
    assert api.client.get("/people/A0003SM", headers=partner).status_code == 404
    assert api.client.get("/people/A0003SM/timeline", headers=partner).status_code == 404
    found = api.client.get("/search", params={"name": "smith"}, headers=partner)
    assert sorted(r["noms"] for r in found.json()) == ["A0001SM", "A0002SM"]
    feed = api.client.get("/feed", params={"after": 0, "limit": 100}, headers=partner)
    assert {c["person_id"] for c in feed.json()["changes"]} == {ids["A0001SM"], ids["A0002SM"]}
    move = api.client.post(
        "/people/A0003SM/com-allocations",
        headers=partner,
        json={"occurred_at": at(2).isoformat(), "officer": "X", "pdu": "N07CROY"},
    )
    assert move.status_code == 404
