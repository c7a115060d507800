"""Hostile input over real HTTP, as an attacker would send it: formulas in names reach CSV
downloads as text, control characters and zone-less date-times are refused by name, and
every refusal, even an unexpected failure, is problem details with the security headers."""

from __future__ import annotations

import csv
import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import uvicorn

from api.app import create_app
from api.auth import Role
from api.config import ApiSettings
from api.pages.session import csrf_for
from api.routes.establishments import csv_cell
from domain.service.catalogue import Admit
from domain.service.settings import Settings
from projections.runner import Runner
from tests.conftest import at, prov
from tests.e2e.conftest import LiveApi, free_port
from tests.helpers import journey_and_read_db, journey_app, register

PROBLEM = "application/problem+json"
FORMULAS = {
    "A0001FX": '=HYPERLINK("http://evil.example","x")',
    "A0002FX": "+cmd|' /C calc'!A0",
    "A0003FX": "-2+3",
    "A0004FX": "@SUM(1+1)",
}


@pytest.fixture(scope="module")
def hostile(shared_api: LiveApi) -> Iterator[LiveApi]:
    """People whose given names are spreadsheet formulas, all in Leeds."""
    last = 0
    with journey_app(shared_api.settings.store) as app:
        for noms, name in FORMULAS.items():
            register(app, noms, name, "Formula")
            last = (
                app.handle(noms, [Admit(prison="LEI", movement_reason="N")], prov(at(0))).position
                or 0
            )
    shared_api.wait_for(last)
    yield shared_api


def cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def no_formula(text: str) -> None:
    for cell in cells(text):
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_formulas_in_the_roll_csv_are_text(hostile: LiveApi) -> None:
    staff = hostile.headers(Role.PRISON)
    for as_of in ({}, {"as_of": at(0.5).isoformat()}):
        answer = hostile.client.get(
            "/prisons/LEI/roll", params={"format": "csv", **as_of}, headers=staff
        )
        assert answer.status_code == 200, answer.text
        no_formula(answer.text)
        # Check each name is kept whole, after the quote that makes it text.
        for name in FORMULAS.values():
            assert f"'{name}" in cells(answer.text)


def test_formulas_in_the_roll_page_download_are_text(hostile: LiveApi) -> None:
    token = hostile.token(Role.PRISON)
    cookies = httpx.Cookies()
    cookies.set("journey_session", token)
    cookies.set("journey_purpose", "roll%20check")
    with httpx.Client(base_url=hostile.base, cookies=cookies) as page:
        answer = page.get("/ui/prisons/LEI/roll.csv")
    assert answer.status_code == 200, answer.text
    no_formula(answer.text)
    assert f"'{FORMULAS['A0001FX']}" in cells(answer.text)


def test_every_formula_start_is_neutralised() -> None:
    # Names arrive trimmed, so the tab and carriage return are checked on the cell itself.
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert csv_cell(f"{start}1+1") == f"'{start}1+1"
    assert csv_cell("Smith") == "Smith" and csv_cell(None) == "" and csv_cell(3) == "3"


def test_the_population_csv_is_text(hostile: LiveApi) -> None:
    answer = hostile.client.get(
        "/population", params={"format": "csv"}, headers=hostile.headers(Role.PRISON)
    )
    assert answer.status_code == 200
    assert cells(answer.text)[:2] == ["prison", "people"]
    no_formula(answer.text)


def security_headers(answer: httpx.Response) -> None:
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["cache-control"] == "no-store"


def refused_naming(answer: httpx.Response, field: str, status: int = 422) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM
    # A query parameter may be named with where it came from.
    assert answer.json()["field"] in {field, f"query.{field}"}, answer.text
    security_headers(answer)


CONTROLS = ["nul\x00byte", "bell\x07", "esc\x1b[31m", "del\x7f", "c1\x85", "tab\there"]


@pytest.mark.parametrize("text", CONTROLS, ids=repr)
def test_control_characters_in_a_query_are_refused_by_name(hostile: LiveApi, text: str) -> None:
    reads = hostile.headers(Role.PRISON)
    refused_naming(hostile.client.get("/search", params={"name": text}, headers=reads), "name")
    auditor = hostile.headers(Role.AUDITOR, purpose=None)
    refused_naming(
        hostile.client.get("/audit/access", params={"user": text}, headers=auditor), "user"
    )
    refused_naming(hostile.client.get(f"/people/A0001FX{quote(text)}", headers=reads), "path")


@pytest.mark.parametrize("text", CONTROLS[:-1], ids=repr)
def test_control_characters_in_a_body_are_refused_by_name(hostile: LiveApi, text: str) -> None:
    recovery = hostile.headers(Role.RECOVERY, purpose=None)
    void = hostile.client.post(
        "/batches/no-such-batch/void", json={"reason": text, "dry_run": True}, headers=recovery
    )
    refused_naming(void, "reason")
    staff = hostile.headers(Role.PRISON, purpose=None)
    dates = hostile.client.post(
        "/people/A0001FX/key-dates",
        json={"occurred_at": at(1).isoformat(), "dates": {"CRD": "2030-01-01"}, "reason": text},
        headers=staff,
    )
    refused_naming(dates, "reason")
    nested = hostile.client.post(
        "/people",
        json={
            "given_name": "Ann",
            "family_name": "Other",
            "date_of_birth": "1990-01-01",
            "identifiers": {"NOMS": f"A9{text}"},
        },
        headers=staff,
    )
    refused_naming(nested, "identifiers.NOMS")


def test_free_text_in_a_body_may_break_lines(hostile: LiveApi) -> None:
    staff = hostile.headers(Role.PRISON, purpose=None)
    dates = hostile.client.post(
        "/people/A0002FX/key-dates",
        json={
            "occurred_at": at(1).isoformat(),
            "dates": {"CRD": "2030-01-01"},
            "reason": "first line\n\tsecond line",
        },
        headers=staff,
    )
    assert dates.status_code == 200, dates.text


@pytest.mark.parametrize("field", ["as_of", "as_known_at"])
def test_a_date_time_without_a_zone_is_refused_by_name(hostile: LiveApi, field: str) -> None:
    staff = hostile.headers(Role.PRISON)
    roll = hostile.client.get(
        "/prisons/LEI/roll", params={field: "2024-06-01T10:00:00"}, headers=staff
    )
    refused_naming(roll, field)
    if field == "as_of":
        population = hostile.client.get(
            "/population", params={field: "2024-06-01T10:00:00"}, headers=staff
        )
        refused_naming(population, field)
    # Check a person's answer and timeline at a zone-less time are refused the same way.
    paths = ["/people/A0001FX"] + (["/people/A0001FX/timeline"] if field == "as_known_at" else [])
    for path in paths:
        answer = hostile.client.get(path, params={field: "2024-06-01T10:00:00"}, headers=staff)
        refused_naming(answer, field)


@pytest.mark.parametrize("field", ["since", "until"])
def test_an_access_log_filter_without_a_zone_is_refused_by_name(
    hostile: LiveApi, field: str
) -> None:
    auditor = hostile.headers(Role.AUDITOR)
    for bad in ("2024-06-01T10:00:00", "0.5"):
        answer = hostile.client.get("/audit/access", params={field: bad}, headers=auditor)
        refused_naming(answer, field)


def test_a_number_is_not_a_birth_date(hostile: LiveApi) -> None:
    reader = hostile.headers(Role.PRISON)
    answer = hostile.client.get("/search", params={"date_of_birth": "0"}, headers=reader)
    refused_naming(answer, "date_of_birth")


def test_an_unexpected_failure_is_problem_details_with_the_security_headers(
    tmp_path: Path,
) -> None:
    settings = ApiSettings(
        store=Settings(database_url=f"sqlite:///{tmp_path / 'unused.sqlite'}"),
        dev_key_path=str(tmp_path / "dev-key.pem"),
    )
    app = create_app(settings)

    def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/broken", broken)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            assert thread.is_alive()
            time.sleep(0.02)
        answer = httpx.get(f"http://127.0.0.1:{port}/broken", headers={"X-Request-Id": "trace-1"})
    finally:
        server.should_exit = True
        thread.join(timeout=20)
    assert answer.status_code == 500
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["request_id"] == "trace-1"
    assert "a bug" not in answer.text
    security_headers(answer)


def claimed(api: LiveApi, **claims: object) -> dict[str, str]:
    """Headers with a token signed by the trusted key, its claims as given."""
    return {"Authorization": f"Bearer {api.signed('RS256', **claims)}", "X-Purpose": "claims check"}


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": ""},
        {"sub": "   "},
        {"sub": "officer\none"},
        {"sub": " officer.one"},
        {"sub": "o" * 300},
        {"sub": "tab\tbed"},
        {"sub": 12345},
        {"roles": ["partner"], "provider": ""},
        {"roles": ["partner"], "provider": "XYZ"},
        {"roles": ["partner"], "provider": "n07"},
        {"roles": ["partner"], "provider": ["N07"]},
        {"roles": ["prison"], "provider": "nowhere"},
    ],
    ids=repr,
)
def test_token_claims_are_checked(hostile: LiveApi, claims: dict[str, object]) -> None:
    answer = hostile.client.get("/people/A0001FX", headers=claimed(hostile, **claims))
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"] == PROBLEM


def test_good_claims_still_pass(hostile: LiveApi) -> None:
    for claims in ({"sub": "Zoë O'Brien-Smith"}, {"roles": ["partner"], "provider": "N07"}):
        answer = hostile.client.get(
            "/search", params={"name": "formula"}, headers=claimed(hostile, **claims)
        )
        assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("path", ["/openapi.json", "/docs", "/redoc"])
def test_the_api_document_is_for_signed_in_callers(hostile: LiveApi, path: str) -> None:
    refused = hostile.client.get(path)
    assert refused.status_code == 401
    assert refused.headers["content-type"] == PROBLEM
    security_headers(refused)
    bearer = hostile.client.get(path, headers=hostile.headers(Role.AUDITOR))
    assert bearer.status_code == 200
    with httpx.Client(base_url=hostile.base) as browser:
        browser.cookies.set("journey_session", hostile.token(Role.PRISON))
        assert browser.get(path).status_code == 200


def test_signing_out_revokes_the_session(hostile: LiveApi) -> None:
    token = hostile.token(Role.PRISON, user="leaving.officer")
    stolen = httpx.Cookies()
    stolen.set("journey_session", token)
    with httpx.Client(base_url=hostile.base, cookies=stolen) as browser:
        assert browser.get("/ui").status_code == 200
        out = browser.post("/ui/sign-out", data={"csrf": csrf_for(token)})
        assert out.status_code == 303
    # Check the copied cookie no longer signs anyone in, though its token has not expired.
    with httpx.Client(base_url=hostile.base, cookies=stolen) as thief:
        again = thief.get("/ui")
        assert again.status_code == 303
        assert again.headers["location"].startswith("/ui/sign-in")
        assert thief.get("/docs").status_code == 303


# Each would match every name (or every name starting with f) were it a pattern; names close
# enough to a real one may still be found by the typo-tolerant search.
@pytest.mark.parametrize("name", ["%%", "__", "\\\\", "f%", "%a", "f_"])
def test_wildcards_in_a_name_search_are_literal(hostile: LiveApi, name: str) -> None:
    found = hostile.client.get(
        "/search", params={"name": name}, headers=hostile.headers(Role.PRISON)
    )
    assert found.status_code == 200, found.text
    assert found.json() == [], found.text


def test_a_name_search_still_finds_by_prefix(hostile: LiveApi) -> None:
    found = hostile.client.get(
        "/search", params={"name": "formula"}, headers=hostile.headers(Role.PRISON)
    )
    assert len(found.json()) == len(FORMULAS)


@pytest.mark.postgres
def test_wildcards_in_a_name_search_are_literal_on_postgres(pg_api: LiveApi) -> None:
    with journey_and_read_db(pg_api.settings.store) as (app, db):
        register(app, "A0009FX", "Ann", "Formula")
        Runner(app, db).catch_up()
    reads = pg_api.headers(Role.PRISON)
    for name in ("%%", "__", "f%", "\\\\"):
        found = pg_api.client.get("/search", params={"name": name}, headers=reads)
        assert found.json() == [], (name, found.text)
    assert len(pg_api.client.get("/search", params={"name": "form"}, headers=reads).json()) == 1


@pytest.mark.parametrize("value", ["0.5", "1717236000", "-2.2e-313"])
def test_a_number_is_not_a_date_time(hostile: LiveApi, value: str) -> None:
    staff = hostile.headers(Role.PRISON)
    population = hostile.client.get("/population", params={"as_of": value}, headers=staff)
    refused_naming(population, "as_of")
    roll = hostile.client.get("/prisons/LEI/roll", params={"as_known_at": value}, headers=staff)
    refused_naming(roll, "as_known_at")


def test_the_document_lists_problem_details_for_every_refusal(hostile: LiveApi) -> None:
    document = hostile.client.get("/openapi.json", headers=hostile.headers(Role.AUDITOR)).json()
    command = document["paths"]["/people/{ref}/cell-moves"]["post"]["responses"]
    for status in ("400", "401", "403", "404", "409", "412", "413", "415", "422", "500", "503"):
        assert "application/problem+json" in command[status]["content"], status
    roll = document["paths"]["/prisons/{code}/roll"]["get"]["responses"]
    assert set(roll["200"]["content"]) == {"application/json", "text/csv"}
    health = document["paths"]["/health"]["get"]["responses"]
    assert "401" not in health and "500" in health


def test_a_method_an_operation_does_not_take_is_405_naming_those_it_does(
    hostile: LiveApi,
) -> None:
    staff = hostile.headers(Role.PRISON)
    for method in ("GET", "OPTIONS", "DELETE"):
        answer = hostile.client.request(method, "/people/A0001FX/cell-moves", headers=staff)
        assert answer.status_code == 405, (method, answer.text)
        assert answer.headers["allow"] == "POST", (method, answer.headers)
        assert answer.headers["content-type"] == PROBLEM
        security_headers(answer)
    timeline = hostile.client.post("/people/A0001FX/timeline", headers=staff)
    assert timeline.status_code == 405 and timeline.headers["allow"] == "GET"
    # Check a PNC number, which holds a slash, still reaches the where-is answer.
    pnc = hostile.client.get("/people/2012/0394773H", headers=staff)
    assert pnc.status_code in {200, 404}, pnc.text
    assert pnc.json().get("field") != "method", pnc.text
