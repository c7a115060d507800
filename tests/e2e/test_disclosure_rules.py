"""No disclosure without its access-log row: a refusal describing a person (the state in a 412 or
409, the journey rules' reasons), an answer at another time for a partner, and a batch's
rejected lines each carry person data only to a caller who stated a purpose, logged first."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any
from urllib.parse import quote

import pytest

from api.auth import Role
from domain.service.application import JourneyApp
from domain.service.catalogue import (
    AcceptAreaTransfer,
    Admit,
    RequestAreaTransfer,
    StartSupervision,
)
from tests.conftest import at, prov
from tests.e2e.conftest import LiveApi, break_access_log
from tests.e2e.test_api_imports import movements
from tests.helpers import journey_app
from tests.helpers import register as registered

NAME = "Disclosa"


def register(api: LiveApi, noms: str, *, projected: bool = True) -> str:
    """A person admitted to Swansea, held in custody; their id (once the read models have it,
    when `projected`)."""
    with journey_app(api.settings.store) as app:
        person_id = dora(app, noms)
        last = app.handle(noms, [Admit(prison="SWI", movement_reason="N")], prov(at(0)))
    if projected:
        api.wait_for(last.position)
    return person_id


def dora(app: JourneyApp, noms: str) -> str:
    return registered(app, noms, "Dora", NAME, date(1979, 3, 4)).person_id


def log_rows(api: LiveApi, person_id: str | None = None) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"limit": 1000}
    if person_id is not None:
        params["person_id"] = person_id
    headers = api.headers(Role.AUDITOR, user="log.reader", purpose=None)
    rows: list[dict[str, Any]] = api.client.get(
        "/audit/access", params=params, headers=headers
    ).json()["entries"]
    return [r for r in rows if r["user"] != "log.reader"]


def post(
    api: LiveApi, path: str, body: dict[str, Any], role: Role, purpose: str | None, **extra: str
) -> Any:
    headers = {**api.headers(role, user="staff.member", purpose=purpose), **extra}
    return api.client.post(path, json=body, headers=headers)


def personal(text: str) -> bool:
    """Whether a response names the person, where they were, or their identifiers."""
    return any(part in text for part in (NAME, "Dora", "1979-03-04", "SWI", "NOMS"))


# ---- 412 and 409 answers carry the person's state only when disclosed ----

STALE = [
    ("cell-moves", {"prison": "SWI", "cell": "A-1-001"}, Role.PRISON),
    ("key-dates", {"dates": {"CRD": "2030-01-01"}}, Role.PROBATION),
    ("voids", {"entries": [2]}, Role.RECOVERY),
]


@pytest.mark.parametrize(("path", "body", "role"), STALE, ids=[s[0] for s in STALE])
def test_a_stale_if_match_answers_412_without_the_person(
    api: LiveApi, path: str, body: dict[str, Any], role: Role
) -> None:
    person_id = register(api, "A0068AA")
    sent = {"occurred_at": at(1).isoformat(), **body}
    stale = post(api, f"/people/A0068AA/{path}", sent, role, None, **{"If-Match": '"0"'})
    # Check the refusal says what is wrong, with only what the caller sent, and logs nothing.
    assert stale.status_code == 412, stale.text
    assert stale.json()["type"].endswith("/stale-version")
    assert "current" not in stale.json()
    assert not personal(stale.text), stale.text
    assert log_rows(api, person_id) == []
    # Check a caller stating a purpose is told the current state, logged first.
    told = post(api, f"/people/A0068AA/{path}", sent, role, "re-reading", **{"If-Match": '"0"'})
    assert told.status_code == 412
    assert told.json()["current"]["family_name"] == NAME
    rows = log_rows(api, person_id)
    assert [(r["action"], r["purpose"], r["user"]) for r in rows] == [
        ("person.refusal", "re-reading", "staff.member")
    ]


def test_a_lost_race_answers_409_without_the_winners_state(api: LiveApi) -> None:
    person_id = register(api, "A0069AA")
    answers: list[Any] = []

    def move(cell: str) -> None:
        body = {"occurred_at": at(1).isoformat(), "prison": "SWI", "cell": cell}
        answers.append(post(api, "/people/A0069AA/cell-moves", body, Role.PRISON, None))

    for round_ in range(6):
        racers = [
            threading.Thread(target=move, args=(f"A-{round_ + 1}-00{n}",)) for n in range(1, 7)
        ]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join()
    lost = [a for a in answers if a.status_code == 409]
    assert lost, "no race was lost: no 409 to check"
    for answer in lost:
        assert answer.json()["type"].endswith("/conflict"), answer.text
        assert "current" not in answer.json()
        assert not personal(answer.text), answer.text
    assert log_rows(api, person_id) == []


# ---- the journey rules' reasons describe the person's history ----


def test_a_refused_court_return_names_no_location_unless_disclosed(api: LiveApi) -> None:
    person_id = register(api, "A0070AA")
    body = {"occurred_at": at(1).isoformat(), "court": "STROMC", "prison": "SWI"}
    refused = post(api, "/people/A0070AA/court-returns", body, Role.PRISON, None)
    # Check the 409 keeps the field and the entry it conflicts with, and says nothing of where
    # the person was.
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["field"] and problem["conflicting_entry"] == 2
    assert "SWI" not in refused.text and "STROMC" not in refused.text
    assert "X-Purpose" in problem["reason"]
    assert log_rows(api, person_id) == []
    # Check the full reason is given with a purpose, and logged first.
    told = post(api, "/people/A0070AA/court-returns", body, Role.PRISON, "correcting a record")
    assert told.status_code == 409
    assert "SWI" in told.json()["reason"]
    rows = log_rows(api, person_id)
    assert [(r["action"], r["purpose"]) for r in rows] == [
        ("person.refusal", "correcting a record")
    ]


@pytest.mark.postgres
def test_a_refusal_whose_log_row_cannot_be_written_withholds_the_reason(
    pg_api: LiveApi,
) -> None:
    # Commands read the event store, not the read models: no projection worker is needed.
    register(pg_api, "A0071AA", projected=False)
    break_access_log(pg_api.settings.store.database)
    body = {"occurred_at": at(1).isoformat(), "court": "STROMC", "prison": "SWI"}
    refused = post(pg_api, "/people/A0071AA/court-returns", body, Role.PRISON, "checking")
    assert refused.status_code == 409, refused.text
    assert "SWI" not in refused.json()["reason"]
    stale = post(
        pg_api,
        "/people/A0071AA/key-dates",
        {"occurred_at": at(1).isoformat(), "dates": {"CRD": "2030-01-01"}},
        Role.PROBATION,
        "checking",
        **{"If-Match": '"0"'},
    )
    assert stale.status_code == 412 and "current" not in stale.json()


# ---- partners, at every time axis ----


def handed_on(api: LiveApi, noms: str) -> str:
    """Supervised by London (N07) from day 0, then by the West Midlands (N52) from day 10."""
    with journey_app(api.settings.store) as app:
        person_id = dora(app, noms)
        app.handle(noms, [StartSupervision(region="N07", pdu="N07CROY")], prov(at(0)))
        app.handle(noms, [RequestAreaTransfer(region="N52", pdu="N52BIRM")], prov(at(10)))
        last = app.handle(noms, [AcceptAreaTransfer()], prov(at(11)))
    api.wait_for(last.position)
    return person_id


def test_a_former_provider_cannot_read_the_case_at_any_time(api: LiveApi) -> None:
    person_id = handed_on(api, "A0224AA")
    former = api.headers(Role.PARTNER, user="n07.partner", provider="N07")
    for params in (
        {"as_of": at(5).isoformat()},
        {"as_known_at": at(5).isoformat()},
        {"as_of": at(5).isoformat(), "as_known_at": at(5).isoformat()},
        {},
    ):
        seen = api.client.get("/people/A0224AA", params=params, headers=former)
        assert seen.status_code == 404, (params, seen.text)
        # Answered as for an unknown reference: only the identifier the caller sent comes back.
        assert not personal(seen.text.replace("NOMS A0224AA", ""))
    # Check the page at an earlier date refuses the same way.
    page = api.client.get(
        "/ui/people/A0224AA", params={"as_of": "1990-01-01"}, headers=page_session(api, former)
    )
    assert page.status_code == 404, page.text
    assert NAME not in page.text
    page = api.client.get(
        "/ui/people/A0224AA",
        params={"as_of": at(5).date().isoformat()},
        headers=page_session(api, former),
    )
    assert page.status_code == 404 and NAME not in page.text
    assert log_rows(api, person_id) == []


def test_the_current_provider_reads_only_the_time_it_holds_the_case(api: LiveApi) -> None:
    person_id = handed_on(api, "A0225AA")
    current = api.headers(Role.PARTNER, user="n52.partner", provider="N52")
    now = api.client.get("/people/A0225AA", headers=current)
    assert now.status_code == 200 and now.json()["ownership"]["region"] == "N52"
    later = api.client.get("/people/A0225AA", params={"as_of": at(12).isoformat()}, headers=current)
    assert later.status_code == 200, later.text
    # Check the time London held it stays London's, even to the provider holding it now.
    before = api.client.get("/people/A0225AA", params={"as_of": at(5).isoformat()}, headers=current)
    assert before.status_code == 404
    assert not personal(before.text.replace("NOMS A0225AA", ""))
    assert [r["action"] for r in log_rows(api, person_id)] == ["person.read", "person.read"]


def page_session(api: LiveApi, headers: dict[str, str]) -> dict[str, str]:
    """The pages' session cookies for the bearer token (and purpose) of API headers."""
    token = headers["Authorization"].removeprefix("Bearer ")
    purpose = quote(headers.get("X-Purpose", "case review"))
    return {"Cookie": f"journey_session={token}; journey_purpose={purpose}"}


# ---- a batch's rejected lines ----

LOAD = movements(
    ("H3333HH", "ADM", "IN", "OUT", "SWI", "N"),
    ("H3333HH", "CRT", "IN", "STROMC", "SWI", "CRT"),
)


def loaded_with_rejects(api: LiveApi) -> str:
    headers = {
        **api.headers(Role.RECOVERY, user="rec.lead"),
        "Content-Type": "application/x-ndjson",
    }
    sent = api.client.post(
        "/imports?source=NOMIS&format=nomis&accept_valid=true", content=LOAD, headers=headers
    )
    assert sent.status_code == 201, sent.text
    assert [r["line"] for r in sent.json()["rejects"]] == [2]
    batch_id: str = sent.json()["batch_id"]
    return batch_id


def test_the_batch_page_masks_rejected_lines_unless_shown_for_a_purpose(api: LiveApi) -> None:
    batch_id = loaded_with_rejects(api)
    recovery = api.headers(Role.RECOVERY, user="rec.viewer", purpose="checking the load")
    before = log_rows(api)
    page = api.client.get(f"/ui/batches/{batch_id}", headers=page_session(api, recovery))
    assert page.status_code == 200, page.text
    # Check the line and field are listed, and its text and reason are not.
    assert "H3333HH" not in page.text and "STROMC" not in page.text
    assert 'data-testid="rejects"' in page.text
    assert log_rows(api) == before
    shown = api.client.get(
        f"/ui/batches/{batch_id}", params={"show": "rejects"}, headers=page_session(api, recovery)
    )
    assert shown.status_code == 200
    assert "H3333HH" in shown.text and "STROMC" in shown.text
    rows = [r for r in log_rows(api) if r not in before]
    assert [(r["action"], r["purpose"], r["detail"]) for r in rows] == [
        ("batch.rejects", "checking the load", f"{batch_id} lines 2")
    ]


def test_the_batch_route_masks_rejected_lines_unless_asked_with_a_purpose(api: LiveApi) -> None:
    batch_id = loaded_with_rejects(api)
    before = log_rows(api)
    auditor = api.headers(Role.AUDITOR, user="auditor.one", purpose=None)
    masked = api.client.get(f"/batches/{batch_id}", headers=auditor)
    assert masked.status_code == 200, masked.text
    (reject,) = masked.json()["rejects"]
    assert reject["line"] == 2 and reject["text"] == ""
    assert "H3333HH" not in masked.text and "STROMC" not in masked.text
    assert log_rows(api) == before
    asked = api.headers(Role.AUDITOR, user="auditor.one", purpose="audit of the load")
    shown = api.client.get(f"/batches/{batch_id}", headers=asked)
    assert "H3333HH" in shown.json()["rejects"][0]["text"]
    rows = [r for r in log_rows(api) if r not in before]
    assert [(r["action"], r["purpose"]) for r in rows] == [("batch.rejects", "audit of the load")]


def test_a_load_refused_by_the_persons_history_names_it_only_for_a_purpose(
    api: LiveApi,
) -> None:
    """The uploader's own lines come back; what the journey rules say of the person's recorded
    history (where they were) is a disclosure like any other."""
    headers = {
        **api.headers(Role.RECOVERY, user="rec.loader", purpose=None),
        "Content-Type": "application/x-ndjson",
    }
    first = movements(("J4444JJ", "ADM", "IN", "OUT", "SWI", "N"))
    loaded = api.client.post("/imports?source=NOMIS&format=nomis", content=first, headers=headers)
    assert loaded.status_code == 201, loaded.text
    later = movements(
        ("J4444JJ", "ADM", "IN", "OUT", "SWI", "N"),
        ("J4444JJ", "CRT", "IN", "STROMC", "MDI", "CRT"),
    )
    before = log_rows(api)
    checked = api.client.post(
        "/imports?source=NOMIS&format=nomis&dry_run=true", content=later, headers=headers
    )
    assert checked.status_code == 200, checked.text
    (reject,) = checked.json()["rejects"]
    # Check the line sent comes back, and the reason says nothing of where the person was.
    assert reject["line"] == 2 and "STROMC" in reject["text"]
    assert "SWI" not in reject["reason"] and "X-Purpose" in reject["reason"]
    assert log_rows(api) == before
    told = api.client.post(
        "/imports?source=NOMIS&format=nomis&dry_run=true",
        content=later,
        headers={**headers, "X-Purpose": "fixing the extract"},
    )
    (reject,) = told.json()["rejects"]
    assert "SWI" in reject["reason"], reject
    rows = [r for r in log_rows(api) if r not in before]
    assert [(r["action"], r["purpose"]) for r in rows] == [("import.rejects", "fixing the extract")]
