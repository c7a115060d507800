"""Erasure from the outside: the admin route and `journey people erase`, each a dry run first,
then the real run with its token; the record then answers only with its erasure."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import orjson

from api.auth import Role
from domain.service.settings import Settings
from tests.e2e.conftest import LiveApi
from tests.helpers import journey_app, register

NOMS, FAMILY = "A5050ER", "Vantablack"


def admit_once(api: LiveApi, headers: dict[str, str]) -> httpx.Response:
    """An admission sent with an idempotency key (its response is kept, naming the person)."""
    body = {"occurred_at": "2025-01-02T09:00:00+00:00", "prison": "LEI", "movement_reason": "N"}
    keyed = {**headers, "Idempotency-Key": "erase-1"}
    return api.client.post(f"/people/{NOMS}/admissions", json=body, headers=keyed)


def test_erasure_over_http(api: LiveApi) -> None:
    with journey_app(api.settings.store) as app:
        register(app, NOMS, "Orla", FAMILY, date(1981, 5, 6))
    admin = api.headers(Role.ADMIN, user="admin.one")
    # An admission sent with an idempotency key: its kept response names the person.
    admitted = admit_once(api, admin)
    assert admitted.status_code in {200, 201}, admitted.text
    api.wait_for(admitted.json()["position"])
    path = f"/people/{NOMS}/erasure"
    plan = api.client.post(path, json={"rule": "NO-LONGER-NEEDED"}, headers=admin)
    assert plan.status_code == 200, plan.text
    body = plan.json()
    assert body["dry_run"] and body["destroyed"]["events"] == 3
    assert body["destroyed"]["read_model_rows"]["rm_people"] == 1
    assert body["destroyed"]["kept_responses"] == 1
    # Check the record is untouched by the dry run, and a wrong token or no reason is refused.
    assert api.client.get(f"/people/{NOMS}", headers=admin).status_code == 200
    wrong = {"rule": "NO-LONGER-NEEDED", "reason": "retention over", "confirm": "0" * 12}
    refused = api.client.post(path, json=wrong, headers=admin)
    assert refused.status_code == 422 and refused.json()["field"] == "confirm"
    no_reason = {"rule": "NO-LONGER-NEEDED", "confirm": body["token"]}
    assert api.client.post(path, json=no_reason, headers=admin).json()["field"] == "reason"
    real = {**no_reason, "reason": "retention period over"}
    erased = api.client.post(path, json=real, headers=admin)
    assert erased.status_code == 200, erased.text
    entry = erased.json()["destruction_log_entry"]
    assert erased.json()["destroyed"]["kept_responses"] == 1
    # Check the record, its timeline and its identifier answer only with the erasure.
    today = datetime.now(UTC).date().isoformat()
    for read in (f"/people/{NOMS}", f"/people/{NOMS}/timeline"):
        gone = api.client.get(read, headers=admin)
        assert gone.status_code == 404
        assert gone.json()["reason"] == f"erased on {today} under rule NO-LONGER-NEEDED"
    # Check the kept response is gone: a retry of the admission is answered afresh, refused.
    retried = admit_once(api, admin)
    assert retried.status_code == 404, retried.text
    # Check the access log holds the dry run, the read and the erasure, under the pseudonym.
    logged = api.access_log(f"erased:{entry}")
    actions = [e["action"] for e in logged]
    assert actions == ["person.erasure-plan", "person.read", "person.erasure"]
    assert logged[-1]["user"] == "admin.one"


def journey(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JOURNEY_DATABASE_URL": url, "COLUMNS": "200"}
    command = [sys.executable, "-m", "ops.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False)


def test_erasure_from_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    with journey_app(Settings(database_url=url)) as app:
        register(app, NOMS, "Orla", FAMILY, date(1981, 5, 6))
    assert journey(url, "projections", "rebuild").returncode == 0
    dry = journey(url, "people", "erase", NOMS, "--rule", "NO-LONGER-NEEDED", "--json")
    assert dry.returncode == 0, dry.stderr
    plan = orjson.loads(dry.stdout)
    assert plan["events"] == 2 and plan["identifier_claims"] == 1
    shown = journey(url, "people", "erase", NOMS, "--rule", "NO-LONGER-NEEDED")
    assert f"--confirm {plan['token']}" in shown.stdout
    bad = journey(url, "people", "erase", NOMS, "--rule", "SOON", "--confirm", plan["token"])
    assert bad.returncode == 1 and "unknown erasure rule 'SOON'" in bad.stderr
    real = journey(
        url, "people", "erase", NOMS, "--rule", "NO-LONGER-NEEDED",
        "--reason", "retention period over", "--confirm", plan["token"],
    )  # fmt: skip
    assert real.returncode == 0, real.stderr
    assert "under rule NO-LONGER-NEEDED: destruction log entry 1" in real.stdout
    # Check the timeline says so, and the read models still verify with no drift.
    timeline = journey(url, "timeline", NOMS)
    assert "erased on" in timeline.stderr and "NO-LONGER-NEEDED" in timeline.stderr
    assert journey(url, "projections", "verify").returncode == 0
    assert FAMILY.encode() not in (tmp_path / "cli.sqlite").read_bytes()
