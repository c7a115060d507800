"""Model-based test: a Hypothesis state machine drives the HTTP API with random commands, data
loads, voids and reinstatements, and checks after every step that each person's location,
ownership, key dates and timeline agree with an independent model (tests/e2e/journey_model.py).

One server serves every run; each run registers its own people (fresh NOMS numbers)."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import httpx
import orjson
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
)

from api.auth import Role
from tests.e2e.conftest import LiveApi
from tests.e2e.journey_model import INVALID, OK, ModelPerson, outcome, presented

PRISONS = st.sampled_from(["LEI", "MDI", "WYI"])
COURTS = st.sampled_from(["LEEDCC", "SHEFCC"])
UNITS = st.sampled_from([("N55", "N55LEE"), ("N07", "N07CROY")])
# Mostly lines that load, so that voids and reinstatements follow; some that conflict.
LINES = st.sampled_from(["key-dates", "key-dates", "cell-moves", "admissions"])
OFFICERS = st.sampled_from(["Officer One", "Officer Two"])
START = datetime(2023, 1, 2, tzinfo=UTC)
NUMBERS = count()
COUNTS = dict.fromkeys(
    ["runs", "steps", "checks", "accepted", "refused", "loads", "loaded", "void", "reinstate"], 0
)
LIVE: list[LiveApi] = []
# About 40 s in the default run; the long run sets more (docs/reliability.md).
EXAMPLES = int(os.environ.get("JOURNEY_TEST_MODEL_EXAMPLES", "30"))


def fresh_noms() -> str:
    n = next(NUMBERS)
    return f"M{n % 10000:04d}{'ABCDEFGHJK'[n // 10000 % 10]}T"


class JourneyMachine(RuleBasedStateMachine):
    people = Bundle("people")
    batches = Bundle("batches")

    def __init__(self) -> None:
        super().__init__()
        self.api = LIVE[0]
        self.auth = self.api.headers(Role.ADMIN, user="model.tester")
        self.model: dict[str, ModelPerson] = {}
        self.clock: dict[str, datetime] = {}
        self.batch_people: dict[str, list[str]] = {}
        self.voided: dict[str, bool] = {}
        COUNTS["runs"] += 1

    def tick(self, noms: str) -> str:
        """The next moment in this person's journey: every record is later than the last."""
        self.clock[noms] += timedelta(hours=1)
        return self.clock[noms].isoformat()

    def post(self, path: str, body: dict[str, Any], **kw: Any) -> httpx.Response:
        COUNTS["steps"] += 1
        return self.api.client.post(path, json=body, headers=self.auth, **kw)

    # ---- people and commands ----

    @initialize(target=people)
    def first_person(self) -> str:
        return self.register_person()

    @rule(target=people)
    def register(self) -> str:
        return self.register_person()

    def register_person(self) -> str:
        noms = fresh_noms()
        self.clock[noms] = START + timedelta(days=len(self.model))
        body = {
            "occurred_at": self.clock[noms].isoformat(),
            "given_name": "Model",
            "family_name": "Person",
            "date_of_birth": "1980-01-01",
            "identifiers": {"NOMS": noms},
        }
        response = self.post("/people", body)
        assert response.status_code == 201, response.text
        self.model[noms] = ModelPerson(noms)
        self.model[noms].record("register", body)
        return noms

    def command(self, noms: str, kind: str, body: dict[str, Any]) -> None:
        person = self.model[noms]
        expected = outcome(person.state(), kind, body)
        sent = {"occurred_at": self.tick(noms), **body}
        response = self.post(f"/people/{noms}/{kind}", sent)
        assert response.status_code == expected, (kind, body, person.state(), response.text)
        COUNTS["accepted" if expected == OK else "refused"] += 1
        if expected == OK:
            person.record(kind, body)

    @rule(noms=people, prison=PRISONS)
    def admit(self, noms: str, prison: str) -> None:
        self.command(noms, "admissions", {"prison": prison, "movement_reason": "N"})

    @rule(noms=people, source=PRISONS, to=PRISONS)
    def transfer(self, noms: str, source: str, to: str) -> None:
        self.command(noms, "transfers-out", {"from_prison": source, "to_prison": to})

    @rule(noms=people, prison=PRISONS)
    def arrive(self, noms: str, prison: str) -> None:
        self.command(noms, "arrivals", {"prison": prison})

    @rule(noms=people, prison=PRISONS, court=COURTS)
    def court_out(self, noms: str, prison: str, court: str) -> None:
        self.command(noms, "court-departures", {"prison": prison, "court": court})

    @rule(noms=people, court=COURTS)
    def court_back(self, noms: str, court: str) -> None:
        prison = self.model[noms].state()["prison"] or "LEI"
        self.command(noms, "court-returns", {"court": court, "prison": prison})

    @rule(noms=people, agency=st.sampled_from(["LEI", "MDI", "LEEDCC"]))
    def release(self, noms: str, agency: str) -> None:
        self.command(noms, "releases", {"from_agency": agency, "movement_reason": "CR"})

    @rule(noms=people, prison=PRISONS, cell=st.sampled_from(["A-1-001", "B-2-014"]))
    def cell_move(self, noms: str, prison: str, cell: str) -> None:
        self.command(noms, "cell-moves", {"prison": prison, "cell": cell})

    @rule(noms=people, unit=UNITS)
    def supervision(self, noms: str, unit: tuple[str, str]) -> None:
        self.command(noms, "supervision", {"region": unit[0], "pdu": unit[1]})

    @rule(noms=people, officer=OFFICERS, prison=PRISONS)
    def allocate_pom(self, noms: str, officer: str, prison: str) -> None:
        self.command(noms, "pom-allocations", {"officer": officer, "prison": prison})

    @rule(noms=people, officer=OFFICERS, unit=UNITS)
    def allocate_com(self, noms: str, officer: str, unit: tuple[str, str]) -> None:
        self.command(noms, "com-allocations", {"officer": officer, "pdu": unit[1]})

    @rule(noms=people, to=st.sampled_from(["custody", "community"]))
    def request_handover(self, noms: str, to: str) -> None:
        self.command(noms, "handovers", {"to": to})

    @rule(noms=people, accept=st.booleans())
    def answer_handover(self, noms: str, accept: bool) -> None:
        kind = "handovers/accept" if accept else "handovers/reject"
        self.command(noms, kind, {} if accept else {"reason": "not ready"})

    @rule(noms=people, day=st.sampled_from(["2025-01-01", "2026-06-30", None]))
    def key_dates(self, noms: str, day: str | None) -> None:
        self.command(noms, "key-dates", {"dates": {"CRD": day}})

    # ---- data loads, voids and reinstatements ----

    @rule(
        target=batches,
        chosen=st.lists(people, min_size=1, max_size=2, unique=True),
        kinds=st.lists(LINES, min_size=2, max_size=2),
    )
    def load(self, chosen: list[str], kinds: list[str]) -> Any:
        lines = [self.line(noms, kind) for noms, kind in zip(chosen, kinds, strict=False)]
        expected = all(outcome(self.model[n].state(), k, b) == OK for n, k, b in lines)
        file = b"".join(
            orjson.dumps({"command": k, "person": n, **b, "occurred_at": self.tick(n)}) + b"\n"
            for n, k, b in lines
        )
        COUNTS["steps"] += 1
        COUNTS["loads"] += 1
        response = self.api.client.post(
            "/imports?source=NOMIS&format=jsonl",
            content=file,
            headers={**self.auth, "Content-Type": "application/x-ndjson"},
        )
        if not expected:
            assert response.status_code == INVALID, response.text
            return multiple()
        assert response.status_code == 201, response.text
        COUNTS["loaded"] += 1
        batch = response.json()["batch_id"]
        for noms, kind, body in lines:
            self.model[noms].record(kind, body, batch)
        self.batch_people[batch], self.voided[batch] = [n for n, _, _ in lines], False
        return batch

    def line(self, noms: str, kind: str) -> tuple[str, str, dict[str, Any]]:
        prison = self.model[noms].state()["agency"] or "LEI"
        bodies: dict[str, dict[str, Any]] = {
            "cell-moves": {"prison": prison, "cell": "C-3-033"},
            "key-dates": {"dates": {"HDCED": "2025-05-05"}},
            "admissions": {"prison": "MDI", "movement_reason": "N"},
        }
        return noms, kind, bodies[kind]

    @rule(batch=batches)
    def void(self, batch: str) -> None:
        self.correct(batch, void=True)

    @rule(batch=batches)
    def reinstate(self, batch: str) -> None:
        self.correct(batch, void=False)

    @rule(batch=batches)
    def void_again(self, batch: str) -> None:
        self.correct(batch, void=True)

    @rule(batch=batches)
    def void_and_reinstate(self, batch: str) -> None:
        """A recovery undone at once: every run that voids also reinstates."""
        if not self.voided[batch]:
            self.correct(batch, void=True)
        self.correct(batch, void=False)

    def correct(self, batch: str, *, void: bool) -> None:
        kind = "void" if void else "reinstate"
        allowed = self.voided[batch] != void
        response = self.post(f"/batches/{batch}/{kind}", {"reason": f"model {kind}"})
        assert response.status_code == (OK if allowed else INVALID), response.text
        if not allowed:
            COUNTS["refused"] += 1
            return
        COUNTS[kind] += 1
        self.voided[batch] = void
        for noms in self.batch_people[batch]:
            person = self.model[noms]
            for event in person.events:
                if event.batch == batch:
                    event.voided = void
            person.record(kind, {})

    # ---- the model and the system agree at every step ----

    @invariant()
    def agree(self) -> None:
        caught_up(self.api)
        for noms, person in self.model.items():
            COUNTS["checks"] += 1
            expected = where_expected(presented(person.state()))
            # From the read models, then derived from the history itself (as of now).
            for params in ({}, {"as_of": self.clock[noms].isoformat()}):
                shown = self.api.client.get(f"/people/{noms}", params=params, headers=self.auth)
                assert shown.status_code == 200, shown.text
                assert where(shown.json()) == expected, (noms, params)
            timeline = self.api.client.get(
                f"/people/{noms}/timeline", params={"limit": 500}, headers=self.auth
            ).json()
            seen = [(e["entry"], e["voided"] is not None) for e in timeline["entries"]]
            assert (timeline["total"], seen) == (len(person.events), person.timeline()), noms


def caught_up(api: LiveApi) -> None:
    deadline = time.monotonic() + 20
    while True:
        ready = api.client.get("/ready").json()
        if ready["position"] >= ready["head"]:
            return
        assert time.monotonic() < deadline, ready
        time.sleep(0.01)


def where(body: dict[str, Any]) -> dict[str, Any]:
    loc, own = body["location"], body["ownership"]
    return {
        **{k: loc[k] for k in ("status", "agency", "prison", "cell")},
        **{k: own[k] for k in ("responsibility", "owner", "region", "pdu", "pom", "com")},
        "handover_to": own["handover_to"],
        "key_dates": body["key_dates"],
    }


def where_expected(state: dict[str, Any]) -> dict[str, Any]:
    keys = ("status", "agency", "prison", "cell", "responsibility", "owner", "region", "pdu")
    return {
        **{k: state[k] for k in keys},
        **{k: state[k] for k in ("pom", "com", "handover_to", "key_dates")},
    }


def test_the_api_agrees_with_the_model(shared_api: LiveApi) -> None:
    LIVE[:] = [shared_api]
    JourneyMachine.TestCase.settings = settings(
        max_examples=EXAMPLES,
        stateful_step_count=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    JourneyMachine.TestCase().runTest()
    # Check the runs reached every kind of outcome, so agreement is not vacuous.
    assert all(COUNTS[k] > 0 for k in ("accepted", "refused", "loads", "void", "reinstate"))
    print(f"\nmodel-based: {COUNTS}")
