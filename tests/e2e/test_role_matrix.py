"""Every route, every role: 401 with no token, 403 for each wrong role, 2xx for each right one.
The routes come from the application itself, so a new route cannot be missed."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date
from typing import Any

from api.app import create_app
from api.auth import Role
from api.matrix import markdown, matrix
from domain.service.application import JourneyApp
from domain.service.catalogue import (
    Admit,
    Command,
    CourtOut,
    RequestAreaTransfer,
    RequestHandover,
    StartSupervision,
    TapOut,
    TransferOut,
    VoidEntries,
)
from domain.service.protection_commands import HoldRetention, Restrict
from tests.conftest import at, prov
from tests.e2e.conftest import LiveApi
from tests.helpers import journey_app, register

PROVIDER = "N55"
numbers = itertools.count(1)
Setup = Callable[[JourneyApp, str], Any]


def base(app: JourneyApp, noms: str) -> Any:
    return register(app, noms, "Matrix", "Case", date(1988, 8, 8))


def in_lei(app: JourneyApp, noms: str) -> Any:
    base(app, noms)
    return app.handle(noms, [Admit(prison="LEI", movement_reason="N")], prov(at(0)))


def supervised(app: JourneyApp, noms: str) -> Any:
    base(app, noms)
    return app.handle(noms, [StartSupervision(region=PROVIDER, pdu="N55LEE")], prov(at(0)))


def then(first: Setup, step: Callable[[JourneyApp, str], Any]) -> Setup:
    def run(app: JourneyApp, noms: str) -> Any:
        first(app, noms)
        return step(app, noms)

    return run


def after(first: Setup, command: Command) -> Setup:
    """The state `first` makes, then one command recorded after it."""
    return then(first, lambda app, noms: app.handle(noms, [command], prov(at(1))))


REASON = {"reason": "matrix test"}
COMMANDS: dict[str, tuple[Setup, dict[str, Any]]] = {
    "identifiers": (supervised, {"kind": "CRN", "value": "CRN"}),
    "admissions": (base, {"prison": "LEI", "movement_reason": "N"}),
    "transfers-out": (in_lei, {"from_prison": "LEI", "to_prison": "MDI"}),
    "arrivals": (
        after(in_lei, TransferOut(from_prison="LEI", to_prison="MDI")),
        {"prison": "MDI"},
    ),
    "court-departures": (in_lei, {"prison": "LEI", "court": "LEEDCC"}),
    "court-returns": (
        after(in_lei, CourtOut(prison="LEI", court="LEEDCC")),
        {"court": "LEEDCC", "prison": "LEI"},
    ),
    "transfers-via-court": (
        after(in_lei, CourtOut(prison="LEI", court="LEEDCC")),
        {"from_prison": "LEI", "prison": "MDI"},
    ),
    "transfers-via-temporary-absence": (
        after(in_lei, TapOut(prison="LEI", movement_reason="RO")),
        {"from_prison": "LEI", "prison": "MDI"},
    ),
    "temporary-absences": (in_lei, {"prison": "LEI", "movement_reason": "RO"}),
    "temporary-absence-returns": (
        after(in_lei, TapOut(prison="LEI", movement_reason="RO")),
        {"prison": "LEI", "movement_reason": "RO"},
    ),
    "releases": (in_lei, {"from_agency": "LEI", "movement_reason": "CR"}),
    "cell-moves": (in_lei, {"prison": "LEI", "cell": "A-1-001"}),
    "supervision": (supervised, {"region": PROVIDER, "pdu": "N55LEE"}),
    "area-transfers": (supervised, {"region": "N07", "pdu": "N07CROY"}),
    "area-transfers/accept": (
        after(supervised, RequestAreaTransfer(region="N07", pdu="N07CROY")),
        {},
    ),
    "area-transfers/reject": (
        after(supervised, RequestAreaTransfer(region="N07", pdu="N07CROY")),
        REASON,
    ),
    "pom-allocations": (in_lei, {"officer": "POM One", "prison": "LEI"}),
    "com-allocations": (supervised, {"officer": "COM One", "pdu": "N55LEE"}),
    "handovers": (in_lei, {"to": "community"}),
    "handovers/accept": (
        after(in_lei, RequestHandover(to="community")),
        {},
    ),
    "handovers/reject": (
        after(in_lei, RequestHandover(to="community")),
        REASON,
    ),
    "risk-escalations": (supervised, {"level": "HIGH", **REASON}),
    "key-dates": (supervised, {"dates": {"CRD": "2025-01-01"}}),
    "voids": (in_lei, {"entries": [2], **REASON}),
    "reinstatements": (
        then(
            in_lei, lambda a, n: a.handle(n, [VoidEntries(entries=(2,))], prov(at(1), reason="x"))
        ),
        {"entries": [2], **REASON},
    ),
}


# Restricting, holding and releasing: a reason is the whole body.
PROTECTIVE: dict[str, Setup] = {
    "restrictions": base,
    "restriction-lifts": then(
        base, lambda a, n: a.handle(n, [Restrict()], prov(at(1), reason="m"))
    ),
    "retention-holds": base,
    "retention-hold-releases": then(
        base, lambda a, n: a.handle(n, [HoldRetention()], prov(at(1), reason="m"))
    ),
}


def fresh(api: LiveApi, setup: Setup) -> str:
    noms = f"M{next(numbers):04d}MX"
    with journey_app(api.settings.store) as app:
        result = setup(app, noms)
    api.wait_for(result.position)
    return noms


def upload(api: LiveApi, headers: dict[str, str]) -> Any:
    """A one-line NOMIS movements file for a new person, as a new batch."""
    number = f"M{next(numbers):04d}MX"
    line = (
        f'{{"offenderNo": "{number}", "movementType": "ADM", "directionCode": "IN", '
        f'"toAgency": "LEI", "movementDate": "2025-01-02", "movementTime": "10:00:00", '
        f'"movementReasonCode": "N"}}\n'
    )
    return api.client.post(
        "/imports?source=NOMIS&format=nomis",
        content=line.encode(),
        headers={**headers, "Content-Type": "application/x-ndjson"},
    )


def batch_for(api: LiveApi, *, voided: bool = False) -> str:
    admin = api.headers(Role.ADMIN)
    batch_id: str = upload(api, admin).json()["batch_id"]
    if voided:
        done = api.client.post(f"/batches/{batch_id}/void", json={"reason": "m"}, headers=admin)
        assert done.status_code == 200, done.text
    return batch_id


def call(api: LiveApi, method: str, path: str, role: Role | None) -> Any:
    headers = {} if role is None else api.headers(role, provider=PROVIDER)
    if path == "/imports":
        return upload(api, headers)
    if path.startswith("/batches/{batch_id}/"):
        batch_id = batch_for(api, voided=path.endswith("reinstate"))
        return api.client.post(
            path.format(batch_id=batch_id), json={"reason": "matrix test"}, headers=headers
        )
    if path == "/batches/{batch_id}":
        return api.client.get(f"/batches/{batch_for(api)}", headers=headers)
    if path == "/people":
        body = {
            "occurred_at": at(0).isoformat(),
            "given_name": "New",
            "family_name": "Person",
            "date_of_birth": "1991-01-01",
            "identifiers": {"NOMS": f"N{next(numbers):04d}NX"},
        }
        return api.client.post(path, json=body, headers=headers)
    if path.startswith("/people/{ref:path}/merges"):
        other = fresh(api, base)
        body = {"removed": other, "occurred_at": at(2).isoformat(), "reason": "matrix test"}
        merged = then(base, lambda a, n: a.merge(n, other, prov(at(1), reason="m")))
        noms = fresh(api, merged if path.endswith("reverse") else base)
        return api.client.post(path.replace("{ref:path}", noms), json=body, headers=headers)
    if path.endswith("/erasure"):  # a dry run: nothing is erased without its token
        body = {"rule": "NO-LONGER-NEEDED"}
        return api.client.post(
            path.replace("{ref:path}", fresh(api, base)), json=body, headers=headers
        )
    if path.removeprefix("/people/{ref:path}/") in PROTECTIVE:
        suffix = path.removeprefix("/people/{ref:path}/")
        noms = fresh(api, PROTECTIVE[suffix])
        return api.client.post(f"/people/{noms}/{suffix}", json=REASON, headers=headers)
    if method == "POST":
        suffix = path.removeprefix("/people/{ref:path}/")
        setup, body = COMMANDS[suffix]
        noms = fresh(api, setup)
        if body.get("value") == "CRN":
            body = {**body, "value": f"Y{next(numbers):06d}"}
        return api.client.post(
            f"/people/{noms}/{suffix}",
            json={"occurred_at": at(3).isoformat(), **body},
            headers=headers,
        )
    concrete = {
        "/people/{ref:path}": "/people/{noms}",
        "/people/{ref:path}/timeline": "/people/{noms}/timeline",
        "/people/{ref:path}/subject-access": "/people/{noms}/subject-access",
        "/prisons/{code}/roll": "/prisons/LEI/roll",
        "/queues/{name}": "/queues/long-transits",
        "/search": "/search?identifier={noms}",
    }.get(path, path)
    if "{noms}" in concrete:
        concrete = concrete.format(noms=fresh(api, supervised))
    return api.client.get(concrete, headers=headers)


def test_role_matrix(api: LiveApi) -> None:
    routes = matrix(create_app())
    assert len(routes) >= 30
    checked = 0
    for method, path, allowed in routes:
        if allowed is None:
            assert call(api, method, path, None).status_code == 200, path
            continue
        assert call(api, method, path, None).status_code == 401, path
        for role in Role:
            response = call(api, method, path, role)
            if role in allowed:
                assert 200 <= response.status_code < 300, (method, path, role, response.text)
            else:
                assert response.status_code == 403, (method, path, role, response.text)
            checked += 1
    assert checked == 6 * sum(1 for _, _, a in routes if a is not None)


def test_the_documented_matrix_is_the_real_one() -> None:
    from pathlib import Path

    doc = Path(__file__).resolve().parents[2] / "docs" / "api.md"
    assert markdown(create_app()) in doc.read_text(), "regenerate docs/api.md: journey roles"
