"""A refused load's page shows its refused lines by kind at a glance, naming no one."""

from __future__ import annotations

from collections.abc import Callable

import orjson
from playwright.sync_api import Page, expect

from api.auth import Role
from tests.e2e.browser.conftest import Site, check_page, sign_in


def movement(reason: str, day: int) -> bytes:
    return orjson.dumps(
        {
            "offenderNo": "R5555RF",
            "movementType": "ADM",
            "directionCode": "IN",
            "fromAgency": "OUT",
            "toAgency": "BMI",
            "movementDate": f"2025-04-{day:02d}",
            "movementTime": "10:00:00",
            "movementReasonCode": reason,
        }
    )


def test_a_refused_load_shows_its_refusals_by_kind(
    new_page: Callable[[], Page], site: Site
) -> None:
    # Three lines with reasons no admission has: one kind of refusal, three lines.
    body = b"\n".join(movement(reason, day) for day, reason in enumerate(("QQ", "ZZ", "XQ"), 1))
    headers = {
        **site.api.headers(Role.RECOVERY, user="loader"),
        "Content-Type": "application/x-ndjson",
    }
    refused = site.api.client.post(
        "/imports?source=NOMIS&format=nomis", content=body, headers=headers
    )
    assert refused.status_code == 422, refused.text
    batch_id = refused.json()["batch_id"]
    page = new_page()
    sign_in(page, "recovery", user="recovery.lead")
    page.goto(f"/ui/batches/{batch_id}")
    table = page.get_by_test_id("refusals")
    expect(table).to_contain_text("unknown movement reason … for movement type …")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody td").first).to_have_text("3")
    expect(table).not_to_contain_text("R5555RF")
    expect(page.locator("main")).to_contain_text("none: nothing was recorded")
    check_page(page, "batch-refusals")
