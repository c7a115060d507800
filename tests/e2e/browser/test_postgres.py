"""One journey on PostgreSQL: search, person page and timeline in the browser, where the
person read and its access-log entry are one statement; and no data shown when the access log
cannot be written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from api.auth import Role
from projections.runner import Runner
from tests.e2e.browser.conftest import DESKTOP, sign_in
from tests.e2e.browser.seed import people
from tests.e2e.conftest import LiveApi, break_access_log, dev_settings, serve
from tests.helpers import journey_and_read_db

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_site(tmp_path: Path, pg_url: str) -> Iterator[LiveApi]:
    settings = dev_settings(tmp_path, pg_url)
    with journey_and_read_db(settings.store) as (app, db):
        people(app)
        Runner(app, db).catch_up()
    yield from serve(settings)


@pytest.fixture
def pg_page(browser: Browser, pg_site: LiveApi) -> Iterator[Page]:
    context = browser.new_context(base_url=pg_site.base, viewport={"width": DESKTOP, "height": 900})
    yield context.new_page()
    context.close()


def test_search_person_and_timeline_on_postgres(pg_page: Page, pg_site: LiveApi) -> None:
    sign_in(pg_page, "prison", user="officer.pg", purpose="remand review")
    pg_page.goto("/ui/search?name=ann+reader")
    pg_page.click("text=Reader, Ann")
    expect(pg_page.get_by_test_id("where")).to_contain_text("B-2-014")
    pg_page.click("text=Timeline")
    expect(pg_page.get_by_test_id("timeline")).to_contain_text("Handover to community requested")
    # Check an exact identifier goes straight to the person: one read, no search entry.
    pg_page.goto("/ui/search?identifier=A1234BC")
    expect(pg_page.get_by_test_id("where")).to_contain_text("B-2-014")

    # Check each page's disclosure is in the access log with its purpose.
    response = pg_site.client.get(
        "/audit/access",
        params={"user": "officer.pg"},
        headers=pg_site.headers(Role.AUDITOR, purpose=None),
    )
    entries = response.json()["entries"]
    assert [(e["action"], e["purpose"]) for e in entries] == [
        ("person.search", "remand review"),
        ("person.read", "remand review"),
        ("person.timeline", "remand review"),
        ("person.read", "remand review"),
    ]


def test_pages_withhold_the_data_when_the_log_cannot_be_written(
    pg_page: Page, pg_site: LiveApi
) -> None:
    sign_in(pg_page, "prison", user="officer.pg2")
    url = pg_site.settings.store.database
    break_access_log(url)
    for path in ("/ui/people/A1234BC", "/ui/people/A1234BC/timeline", "/ui/search?name=Reader"):
        response = pg_page.goto(path)
        assert response is not None and response.status == 503, path
        shown = pg_page.locator("main").inner_text()
        assert "Reader" not in shown and "B-2-014" not in shown, path
        assert "no data is returned" in shown
