"""An administrator erases a record from its page: the rule, the dry run's list, a reason that
does not name the person, then the record answers only with its erasure."""

from __future__ import annotations

from datetime import UTC, date, datetime

from playwright.sync_api import Page, expect

from tests.e2e.browser.conftest import Site, check_page, shows, sign_in, submit
from tests.helpers import journey_app, register

NOMS = "E5151EE"


def test_an_administrator_erases_a_record(page: Page, site: Site) -> None:
    with journey_app(site.api.settings.store) as app:
        done = register(app, NOMS, "Edda", "Shredwell", date(1970, 10, 11))
    site.api.wait_for(done.position)
    sign_in(page, "admin", user="admin.erase")
    page.goto(f"/ui/people/{NOMS}/erasure")
    submit(page, "Show what would go", "rule=NO-LONGER-NEEDED")
    shows(page, "erasure-rule", "NO-LONGER-NEEDED", "A base record stays")
    plan = page.get_by_test_id("erasure-plan")
    expect(plan).to_contain_text("Rows in rm_people (deleted)")
    check_page(page, "erasure-plan")
    # Check a reason naming the person is refused, beside the field.
    submit(page, "Erase the record", reason="Shredwell retention over")
    expect(page.locator("#reason-error")).to_contain_text("must not name the person")
    submit(page, "Erase the record", reason="retention period over")
    today = datetime.now(UTC).date().isoformat()
    shows(page, "erased", f"Erased on {today} under rule NO-LONGER-NEEDED")
    check_page(page, "erasure-done")
    # Check the record's page now says only that it was erased.
    page.goto(f"/ui/people/{NOMS}")
    expect(page.locator("body")).to_contain_text(f"erased on {today} under rule NO-LONGER-NEEDED")
    expect(page.locator("body")).not_to_contain_text("Shredwell")
