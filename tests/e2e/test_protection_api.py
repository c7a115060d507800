"""Restriction, subject access and the retention review over HTTP, on PostgreSQL: a restricted
record leaves search, the roll and the feed, reads of it need an auditor's stated reason, the
subject access report lists every consultation (itself included), and each act is logged."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from api.auth import Role
from domain.service.catalogue import Admit
from projections.runner import Runner
from tests.conftest import prov
from tests.e2e.conftest import LiveApi
from tests.helpers import journey_and_read_db, journey_app, register

pytestmark = pytest.mark.postgres

HIDDEN, SEEN = "A7001RS", "A7002RS"


def seed(api: LiveApi) -> None:
    with journey_app(api.settings.store) as app:
        for noms in (HIDDEN, SEEN):
            register(app, noms, "Kit", "Marlowe" if noms == HIDDEN else "Other", date(1984, 3, 4))
            app.handle(noms, [Admit(prison="LEI", movement_reason="N")], prov(at_now()))
    caught_up(api)


def caught_up(api: LiveApi) -> None:
    """The read models brought up to the log, as the projection worker beside the API does."""
    with journey_and_read_db(api.settings.store) as (app, db):
        Runner(app, db).catch_up()


def at_now() -> datetime:
    return datetime.now(UTC)


def restrict(api: LiveApi, route: str, reason: str | None = "accuracy contested") -> dict[str, Any]:
    admin = api.headers(Role.ADMIN, user="dpo.one")
    body = {} if reason is None else {"reason": reason}
    answer = api.client.post(f"/people/{HIDDEN}/{route}", json=body, headers=admin)
    assert answer.status_code == 200, answer.text
    caught_up(api)
    return dict(answer.json())


def visible(api: LiveApi) -> tuple[list[str], list[str], list[str]]:
    """What a prison officer's search, the LEI roll and an admin's feed show."""
    prison = api.headers(Role.PRISON)
    found = api.client.get("/search", params={"name": "Marlowe"}, headers=prison).json()
    roll = api.client.get("/prisons/LEI/roll", headers=prison).json()["people"]
    feed = api.client.get("/feed", headers=api.headers(Role.ADMIN, purpose=None)).json()
    fed = {c["person_id"] for c in feed["changes"]}
    return [p["noms"] for p in found], [p["noms"] for p in roll], sorted(fed)


def test_restriction_hides_a_record_and_gates_its_reads(pg_api: LiveApi) -> None:
    api = pg_api
    seed(api)
    person_id = api.client.get(f"/people/{SEEN}", headers=api.headers(Role.ADMIN)).json()
    assert visible(api)[0] == [HIDDEN] and HIDDEN in visible(api)[1]
    # Check only administrators restrict, and only with a reason.
    path = f"/people/{HIDDEN}/restrictions"
    refused = api.client.post(path, json={"reason": "x"}, headers=api.headers(Role.AUDITOR))
    assert refused.status_code == 403
    missing = api.client.post(path, json={}, headers=api.headers(Role.ADMIN))
    assert missing.status_code == 422 and "reason" in missing.text
    done = restrict(api, "restrictions")
    hidden_id = done["person_id"]
    # Check the record is absent from search, the roll and the feed; the other stays.
    found, roll, fed = visible(api)
    assert found == [] and HIDDEN not in roll and SEEN in roll
    # Check the roll says how many it withholds, now and at an earlier moment.
    for when in ({}, {"as_of": at_now().isoformat()}):
        shown = api.client.get("/prisons/LEI/roll", params=when, headers=api.headers(Role.PRISON))
        assert (shown.json()["withheld"], sum(shown.json()["counts"].values())) == (1, 1)
    assert hidden_id not in fed and person_id["person_id"] in fed
    # Check other roles are answered as for a person no one holds, in the same words.
    unknown = api.client.get("/people/A9999ZZ", headers=api.headers(Role.PRISON)).json()
    for read in (f"/people/{HIDDEN}", f"/people/{HIDDEN}/timeline"):
        answer = api.client.get(read, headers=api.headers(Role.PRISON))
        assert answer.status_code == 404
        assert answer.json()["reason"] == unknown["reason"].replace("A9999ZZ", HIDDEN)
    # Check an auditor needs a stated reason, and the reason is logged.
    auditor = api.headers(Role.AUDITOR, user="auditor.one")
    asked = api.client.get(f"/people/{HIDDEN}", headers=auditor)
    assert asked.status_code == 403 and asked.json()["field"] == "reason"
    seen = api.client.get(f"/people/{HIDDEN}", params={"reason": "complaint 42"}, headers=auditor)
    assert seen.status_code == 200 and seen.json()["location"]["prison"] == "LEI"
    timeline = api.client.get(
        f"/people/{HIDDEN}/timeline", params={"reason": "complaint 42"}, headers=auditor
    )
    assert [e["kind"] for e in timeline.json()["entries"]][-1] == "Restricted"
    logged = api.access_log(hidden_id)
    gated = [e for e in logged if e["action"] == "person.restricted-read"]
    assert [e["purpose"] for e in gated] == ["complaint 42", "complaint 42"]
    assert [e["action"] for e in logged if e["user"] == "dpo.one"] == ["person.restriction"]
    # Check lifting brings the record back, logged too.
    restrict(api, "restriction-lifts", "corrected at source")
    assert visible(api)[0] == [HIDDEN]
    assert "person.restriction-lifted" in [e["action"] for e in api.access_log(hidden_id)]


def test_subject_access_report_lists_every_consultation(pg_api: LiveApi) -> None:
    api = pg_api
    seed(api)
    api.client.get(f"/people/{HIDDEN}", headers=api.headers(Role.PRISON, user="officer.two"))
    restrict(api, "retention-holds", "civil claim")
    path = f"/people/{HIDDEN}/subject-access"
    assert api.client.get(path, headers=api.headers(Role.PRISON)).status_code == 403
    answer = api.client.get(path, headers=api.headers(Role.AUDITOR, purpose="SAR 2026/17"))
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["person"]["identifiers"]["NOMS"] == [HIDDEN]
    assert [e["kind"] for e in report["timeline"]] == [
        "Registered",
        "MovementRecorded",
        "RetentionHeld",
    ]
    assert [h["reason"] for h in report["retention_holds"]] == ["civil claim"]
    consulted = [(c["by"], c["action"]) for c in report["consulted"]]
    # Check the officer's read, the hold and the report itself are all there, in order.
    assert ("officer.two", "person.read") in consulted
    assert ("dpo.one", "person.retention-hold") in consulted
    assert consulted[-1] == ("officer.one", "person.subject-access")
    assert report["consulted"][-1]["purpose"] == "SAR 2026/17"


def test_retention_review_is_for_administrators(pg_api: LiveApi) -> None:
    api = pg_api
    seed(api)
    path, asked = "/retention/review", {"as_of": "2031-02-28"}
    assert api.client.get(path, params=asked, headers=api.headers(Role.AUDITOR)).status_code == 403
    answer = api.client.get(path, params=asked, headers=api.headers(Role.ADMIN))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    # Check two people, neither with a sentence expiry: no one is due, and the date is as asked.
    assert (body["as_of"], body["people"], body["due"]) == ("2031-02-28", 2, [])
    bad = api.client.get(path, params={"as_of": "2031-02-30"}, headers=api.headers(Role.ADMIN))
    assert bad.status_code == 422
