"""The start page per role: what needs attention, counted, each count leading to its list;
the visitor's own prison; the latest data loads for recovery teams."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.browser.conftest import Site, check_page, sign_in


def test_staff_see_counts_that_lead_to_their_lists(page: Page, site: Site) -> None:
    sign_in(page, "prison", user="officer.home")
    attention = page.get_by_test_id("attention")
    releases = page.get_by_test_id("attention-upcoming-releases")
    expect(releases).to_contain_text("Releases due in the next 14 days from every prison")
    expect(releases).to_contain_text("1")
    expect(attention).to_contain_text("Pending handovers")
    expect(attention).to_contain_text("Released with no community owner")
    check_page(page, "home-prison")

    # Check a count leads to its list, which holds as many people as it said.
    transits = page.get_by_test_id("attention-long-transits")
    said = transits.locator("span").first.inner_text()
    transits.click()
    expect(page.get_by_test_id("count-long-transits")).to_have_text(said)
    expect(page.get_by_test_id("people").locator("tbody tr")).to_have_count(int(said))

    # Check choosing a prison makes the start page the visitor's prison's.
    page.goto("/ui/roll?change=1")
    page.select_option("#prison", "DMI")
    page.click("button:has-text('Show the roll')")
    page.goto("/ui")
    expect(page.get_by_test_id("your-prison")).to_contain_text("Durham (HMP & YOI) (DMI)")
    expect(page.get_by_test_id("your-prison")).to_contain_text("on the roll")
    expect(releases).to_contain_text("from Durham (HMP & YOI)")
    releases.click()
    expect(page.get_by_test_id("people")).to_contain_text("Soon, Gus")

    # Check the start page's identifier box goes straight to the person.
    page.goto("/ui")
    page.fill("#identifier", "G7777GG")
    page.click("button:has-text('Find')")
    expect(page.locator("h1")).to_have_text("Gus Soon")


def test_recovery_teams_see_the_latest_loads(page: Page, site: Site) -> None:
    sign_in(page, "recovery", user="recovery.home")
    loads = page.get_by_test_id("loads")
    expect(loads).to_contain_text("loaded")
    expect(loads).to_contain_text("by loader")
    expect(page.get_by_test_id("attention")).to_have_count(0)
    check_page(page, "home-recovery")
    loads.locator("a").first.click()
    expect(page.locator("h1")).to_contain_text("Batch")
