"""A partner sees only the cases its own provider holds, through every route and the feed: the
people another provider holds stay invisible, and cannot be changed, by any identifier."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import pytest

from api.auth import Role
from domain.service.application import is_uuid
from domain.service.catalogue import Admit, StartSupervision
from tests.conftest import at, prov
from tests.e2e.conftest import LiveApi
from tests.helpers import journey_app, register

MINE = {"NOMS": "A0001PA", "CRN": "X100001", "PNC": "2012/0394773H"}
THEIRS = {"NOMS": "A0002PB", "CRN": "X200002", "PNC": "2013/0000001Z"}
ATTEMPTS: list[str] = []
BORN = date(1988, 8, 8)


def pnc(value: str) -> str:
    """A valid PNC check character for the number (the domain refuses a wrong one)."""
    letters = "ZABCDEFGHJKLMNPQRTUVWXY"
    year, serial = value.split("/")
    return f"{year}/{serial[:7]}{letters[int(year[2:] + serial[:7]) % 23]}"


@pytest.fixture(scope="module")
def world(shared_api: LiveApi) -> dict[str, str]:
    """One person held in N55 (the partner's provider), one in N07, one in custody only."""
    ids: dict[str, str] = {}
    with journey_app(shared_api.settings.store) as app:
        for name, idents, region, pdu in [
            ("mine", MINE, "N55", "N55LEE"),
            ("theirs", THEIRS, "N07", "N07CROY"),
        ]:
            chosen = {**idents, "PNC": pnc(idents["PNC"])}
            idents["PNC"] = chosen["PNC"]
            ids[name] = register(app, chosen, "Pat", f"Partner{name.title()}", BORN).person_id
            last = app.handle(
                idents["NOMS"], [StartSupervision(region=region, pdu=pdu)], prov(at(0))
            )
        ids["custody"] = register(app, "A0003PC", "Pat", "PartnerCustody", BORN).person_id
        last = app.handle("A0003PC", [Admit(prison="LEI", movement_reason="N")], prov(at(0)))
    shared_api.wait_for(last.position)
    return ids


def partner(api: LiveApi) -> dict[str, str]:
    return api.headers(Role.PARTNER, user="crc.worker", provider="N55")


def get(api: LiveApi, path: str, **params: Any) -> Any:
    ATTEMPTS.append(path)
    return api.client.get(path, params=params, headers=partner(api))


def refs(world: dict[str, str], key: str) -> list[str]:
    idents = MINE if key == "mine" else THEIRS
    return [*idents.values(), world[key], idents["PNC"].replace("20", "", 1)]


def test_partner_reads_its_own_case_by_every_identifier(
    shared_api: LiveApi, world: dict[str, str]
) -> None:
    for ref in refs(world, "mine"):
        assert get(shared_api, f"/people/{ref}").status_code == 200, ref
        assert get(shared_api, f"/people/{ref}/timeline").status_code == 200, ref


@pytest.mark.parametrize("who", ["theirs", "custody"])
def test_another_providers_case_is_refused_by_every_identifier_and_time(
    shared_api: LiveApi, world: dict[str, str], who: str
) -> None:
    chosen = refs(world, who) if who == "theirs" else ["A0003PC", world["custody"]]
    for ref in chosen:
        for params in (
            {},
            {"as_of": at(5).isoformat()},
            {"as_known_at": datetime.now(UTC).isoformat()},
        ):
            response = get(shared_api, f"/people/{ref}", **params)
            as_unknown(shared_api, response, ref)
            assert "Partner" not in response.text
        timeline = get(shared_api, f"/people/{ref}/timeline")
        as_unknown(shared_api, timeline, ref)


def as_unknown(api: LiveApi, response: Any, ref: str) -> None:
    """Another provider's case is answered exactly as a reference no person answers to."""
    assert response.status_code == 404, (ref, response.text)
    body = response.json()
    nobody = get(api, "/people/Z9999ZZ" if not is_uuid(ref) else f"/people/{uuid4()}").json()
    assert body.keys() == nobody.keys(), (body, nobody)
    for key in ("type", "title", "status", "field"):
        assert body[key] == nobody[key], (key, body, nobody)
    assert body["detail"].startswith(f"{body['field']}: no person "), body


def test_search_shows_only_the_providers_cases(shared_api: LiveApi, world: dict[str, str]) -> None:
    by_name = get(shared_api, "/search", name="partner")
    assert [r["person_id"] for r in by_name.json()] == [world["mine"]]
    by_dob = get(shared_api, "/search", date_of_birth="1988-08-08")
    assert [r["person_id"] for r in by_dob.json()] == [world["mine"]]
    for ident in [*THEIRS.values(), "A0003PC"]:
        assert get(shared_api, "/search", identifier=ident).json() == []


def test_the_feed_never_carries_another_providers_events(
    shared_api: LiveApi, world: dict[str, str]
) -> None:
    seen: set[str] = set()
    after: int | None = 0
    while after is not None:
        page = get(shared_api, "/feed", after=after, limit=2).json()
        seen |= {c["person_id"] for c in page["changes"]}
        assert "PartnerTheirs" not in str(page) and THEIRS["NOMS"] not in str(page)
        after = page["next_after"] if page["changes"] or page["next_after"] != after else None
    assert seen == {world["mine"]}


@pytest.mark.parametrize(
    "path",
    [
        "/queues/pending-handovers",
        "/queues/released-without-owner",
        "/prisons/LEI/roll",
        "/population",
        "/batches",
        "/audit/access",
    ],
)
def test_routes_listing_many_people_are_closed_to_partners(
    shared_api: LiveApi, world: dict[str, str], path: str
) -> None:
    response = get(shared_api, path)
    assert response.status_code == 403, response.text
    assert "Partner" not in response.text


@pytest.mark.parametrize(
    ("command", "body"),
    [
        ("com-allocations", {"officer": "X", "pdu": "N55LEE"}),
        ("supervision", {"region": "N55", "pdu": "N55LEE"}),
        ("area-transfers", {"region": "N55", "pdu": "N55LEE"}),
        ("risk-escalations", {"level": "HIGH", "reason": "pull the case"}),
    ],
)
def test_a_partner_cannot_change_another_providers_case(
    shared_api: LiveApi, world: dict[str, str], command: str, body: dict[str, str]
) -> None:
    for ref in (THEIRS["CRN"], world["theirs"]):
        ATTEMPTS.append(command)
        response = shared_api.client.post(
            f"/people/{ref}/{command}",
            json={"occurred_at": at(2).isoformat(), **body},
            headers=partner(shared_api),
        )
        as_unknown(shared_api, response, ref)
    timeline = shared_api.client.get(
        f"/people/{world['theirs']}/timeline", headers=shared_api.headers(Role.AUDITOR)
    )
    assert timeline.json()["total"] == 2


def test_registering_a_taken_identifier_does_not_reveal_its_holder(
    shared_api: LiveApi, world: dict[str, str]
) -> None:
    ATTEMPTS.append("/people")
    response = shared_api.client.post(
        "/people",
        json={
            "occurred_at": at(1).isoformat(),
            "given_name": "Probe",
            "family_name": "Probe",
            "date_of_birth": "1990-01-01",
            "identifiers": {"NOMS": THEIRS["NOMS"]},
        },
        headers=partner(shared_api),
    )
    assert response.status_code == 409
    assert world["theirs"] not in response.text
    print(f"\npartner isolation attempts: {len(ATTEMPTS)}")
