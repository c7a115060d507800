"""Hostile input over real HTTP, as an attacker would send it: formulas in names reach CSV
downloads as text, control characters and zone-less date-times are refused by name, and
every refusal, even an unexpected failure, is problem details with the security headers."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from datetime import date

import httpx
import pytest

from api.auth import Role
from api.routes.establishments import csv_cell
from domain.service.application import JourneyApp
from tests.conftest import at, prov
from tests.e2e.conftest import LiveApi

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
    app = JourneyApp(shared_api.settings.store)
    last = 0
    try:
        for noms, name in FORMULAS.items():
            app.register(
                prov(at(-1)),
                given_name=name,
                family_name="Formula",
                date_of_birth=date(1980, 1, 2),
                identifiers={"NOMS": noms},
            )
            last = app.admit(noms, prov(at(0)), prison="LEI", reason="N").position or 0
    finally:
        app.close()
    deadline = time.monotonic() + 10
    while shared_api.client.get("/ready").json()["position"] < last:
        assert time.monotonic() < deadline
        time.sleep(0.02)
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
