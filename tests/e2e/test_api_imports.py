"""Loads and recovery over HTTP: a real server, a real client."""

from __future__ import annotations

import time
from typing import Any

import orjson

from api.auth import Role
from tests.e2e.conftest import LiveApi


def movements(*lines: tuple[str, str, str, str, str, str]) -> bytes:
    """NOMIS movements as JSON Lines from (number, type, direction, from, to, reason)."""
    out = []
    for n, (noms, kind, direction, src, to, reason) in enumerate(lines):
        out.append(
            orjson.dumps(
                {
                    "offenderNo": noms,
                    "movementType": kind,
                    "directionCode": direction,
                    "fromAgency": src,
                    "toAgency": to,
                    "movementDate": f"2025-0{n + 1}-03",
                    "movementTime": "10:00:00",
                    "movementReasonCode": reason,
                }
            )
        )
    return b"\n".join(out) + b"\n"


GOOD = movements(
    ("H1111HH", "ADM", "IN", "OUT", "LEI", "N"),
    ("H1111HH", "TRN", "OUT", "LEI", "MDI", "NOTR"),
    ("H1111HH", "ADM", "IN", "LEI", "MDI", "INT"),
)


def read_when_projected(api: LiveApi, ref: str, headers: dict[str, str]) -> Any:
    """The person's record once the read models have caught up with the load."""
    deadline = time.monotonic() + 10
    while True:
        seen = api.client.get(f"/people/{ref}", headers=headers)
        if seen.status_code == 200 or time.monotonic() > deadline:
            return seen
        time.sleep(0.05)


def test_load_read_void_and_see_who_consulted(api: LiveApi) -> None:
    recovery = api.headers(Role.RECOVERY, user="rec.lead")
    loaded = api.upload("source=NOMIS&format=nomis", GOOD, recovery)
    assert loaded.status_code == 201, loaded.text
    batch_id = loaded.json()["batch_id"]
    assert loaded.json()["entries"] == 4

    # Check a second load of the same file records nothing.
    again = api.upload("source=NOMIS&format=nomis", GOOD, recovery)
    assert (again.status_code, again.json()["outcome"]) == (200, "already imported")

    # Check the person reads as loaded, and that the read shows in the batch's impact.
    prison = api.headers(Role.PRISON, user="wing.officer")
    seen = read_when_projected(api, "H1111HH", prison)
    assert seen.status_code == 200, seen.text
    assert seen.json()["location"]["prison"] == "MDI"
    detail = api.client.get(f"/batches/{batch_id}", headers=api.headers(Role.AUDITOR))
    assert detail.status_code == 200
    assert [c["user"] for c in detail.json()["consulted"]] == ["wing.officer"]

    # Check the dry run, then the void, then the batch's status.
    plan = api.client.post(
        f"/batches/{batch_id}/void", json={"reason": "bad file", "dry_run": True}, headers=recovery
    )
    assert plan.status_code == 200
    changed = plan.json()["changed"]
    assert [p["identifiers"] for p in changed] == ["NOMS H1111HH"]
    done = api.client.post(
        f"/batches/{batch_id}/void", json={"reason": "bad file"}, headers=recovery
    )
    assert done.status_code == 200
    assert (done.json()["people"], done.json()["entries"]) == (1, 3)
    listed = api.client.get("/batches", headers=recovery).json()
    assert [(b["batch_id"], b["status"]) for b in listed] == [(batch_id, "voided")]
    # Check voiding twice is refused, naming the field.
    twice = api.client.post(f"/batches/{batch_id}/void", json={"reason": "x"}, headers=recovery)
    assert twice.status_code == 422
    assert twice.json()["field"] == "batch"


def test_a_bad_file_is_refused_whole_with_every_reason(api: LiveApi) -> None:
    bad = movements(
        ("J2222JJ", "ADM", "IN", "OUT", "LEI", "N"),
        ("J2222J", "ADM", "IN", "OUT", "LEI", "N"),
        ("K3333KK", "ADM", "IN", "OUT", "NOWHERE", "N"),
    )
    recovery = api.headers(Role.RECOVERY)
    refused = api.upload("source=NOMIS&format=nomis", bad, recovery)
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    body = refused.json()
    assert [(r["line"], r["field"]) for r in body["rejects"]] == [(2, "offenderNo"), (3, "prison")]
    gone = api.client.get("/people/J2222JJ", headers=api.headers(Role.PRISON))
    assert gone.status_code == 404
    # Check accept_valid records the good line and keeps the reasons.
    partly = api.upload("source=NOMIS&format=nomis&accept_valid=true", bad, recovery)
    assert partly.status_code == 201
    assert partly.json()["outcome"] == "partly recorded"
    assert len(partly.json()["rejects"]) == 2


def test_upload_types_and_options_are_checked(api: LiveApi) -> None:
    recovery = api.headers(Role.RECOVERY)
    wrong_type = api.upload("source=NOMIS&format=nomis", GOOD, recovery, "application/pdf")
    assert wrong_type.status_code == 415
    wrong_format = api.upload("source=NOMIS&format=xls", GOOD, recovery)
    assert (wrong_format.status_code, wrong_format.json()["field"]) == (400, "format")
    bad_source = api.upload("source=no%20such&format=nomis", GOOD, recovery)
    assert (bad_source.status_code, bad_source.json()["field"]) == (422, "source")
    unknown = api.client.get("/batches/NOMIS-0000", headers=recovery)
    assert (unknown.status_code, unknown.json()["field"]) == (404, "batch")
