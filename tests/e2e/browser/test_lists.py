"""Lists at prison scale: the roll a page at a time, sorted by any column on the server,
filtered by status and wing, downloaded as CSV with names beside codes; the visitor's prison
remembered; each person shown logged once."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.browser.conftest import Site, check_page, shows_error, sign_in
from tests.e2e.browser.seed import CROWD, CROWD_PRISON
from tests.e2e.browser.test_audit import access


def test_a_large_roll_paged_sorted_filtered_and_downloaded(page: Page, site: Site) -> None:
    sign_in(page, "prison", user="officer.roll")
    page.goto("/ui/roll")
    # Check the picker starts blank rather than at the first prison in the list.
    expect(page.locator("#prison")).to_have_value("")
    page.select_option("#prison", CROWD_PRISON)
    page.click("button:has-text('Show the roll')")
    expect(page.get_by_test_id("roll-total")).to_have_text(str(CROWD))

    # Check one page of 50, the rest behind GOV.UK pagination.
    rows = page.get_by_test_id("people").locator("tbody tr")
    expect(rows).to_have_count(50)
    expect(page.get_by_test_id("listed")).to_contain_text(f"Showing 1 to 50 of {CROWD}")
    expect(rows.first).to_contain_text("Roll00, Given00")
    check_page(page, "roll-large")
    page.get_by_test_id("pagination").get_by_role("link", name="Next").click()
    expect(rows).to_have_count(CROWD - 50)

    # Check each person shown so far was logged once: the first page and the second.
    logged = [e for e in access(site, user="officer.roll") if e["action"] == "roll.read"]
    assert len(logged) == CROWD
    assert len({e["person_id"] for e in logged}) == CROWD

    # Check sorting by a column heading, on the server, both ways.
    heading = page.get_by_test_id("people").locator("th", has_text="NOMS / CRN")
    heading.locator("a").click()
    expect(heading).to_have_attribute("aria-sort", "ascending")
    expect(rows.first).to_contain_text("R0000RR")
    heading.locator("a").click()
    expect(heading).to_have_attribute("aria-sort", "descending")
    expect(rows.first).to_contain_text(f"R{CROWD - 1:04d}RR")

    # Check the wing filter, and its CSV: only those, names beside codes.
    page.select_option("#wing", "B")
    page.click("button:has-text('Apply filters')")
    in_b = len([n for n in range(CROWD) if n % 3 == 1])
    expect(rows).to_have_count(in_b)
    expect(page.get_by_test_id("listed")).to_contain_text(f"{in_b} people matching the filter")
    check_page(page, "roll-filtered")
    with page.expect_download() as started:
        page.click("text=as CSV")
    table = list(csv.DictReader(io.StringIO(Path(started.value.path()).read_text())))
    assert len(table) == in_b
    first = table[0]
    assert first["family_name"].startswith("Roll") and first["given_name"].startswith("Given")
    assert first["status"] == "In prison" and first["status_code"] == "in"
    assert first["prison"] == "Birmingham (HMP) – BMI" and first["prison_code"] == "BMI"
    assert all(r["cell"].startswith("B-") for r in table)
    assert "person_id" not in first

    # Check the visitor's prison is remembered: the roll opens there next time.
    page.goto("/ui/roll")
    expect(page).to_have_url(f"{site.base}/ui/prisons/{CROWD_PRISON}/roll")
    page.click("text=Choose another prison")
    expect(page.locator("#prison")).to_have_value(CROWD_PRISON)


def test_work_queues_counted_on_their_tabs_and_releases_by_prison_and_days(
    page: Page, site: Site
) -> None:
    sign_in(page, "prison", user="officer.queues")
    page.goto("/ui/queues/upcoming-releases")
    # Check each tab carries its count, the page's own count agreeing.
    for tab in ("pending-handovers", "released-without-owner", "long-transits"):
        count = page.get_by_test_id(f"count-{tab}")
        expect(count).to_have_text(re.compile(r"^\d+$"))
    expect(page.get_by_test_id("count-upcoming-releases")).to_have_text("1")
    expect(page.get_by_test_id("people")).to_contain_text("Soon, Gus")
    check_page(page, "queue-releases")

    # Check the days and the prison narrow the list, and a bad number of days is a field error.
    for days, prison, shown in (("5", "", False), ("14", "DMI", True), ("28", "LEI", False)):
        page.fill("#days", days)
        page.fill("#prison", prison)
        page.click("button:has-text('Apply filters')")
        expect(page.get_by_test_id("count-upcoming-releases")).to_have_text("1" if shown else "0")
        people = page.get_by_test_id("people")
        if shown:
            expect(people).to_contain_text("Soon, Gus")
        else:
            expect(people).to_contain_text("No one.")
    page.fill("#days", "400")
    page.click("button:has-text('Apply filters')")
    shows_error(page, "days", "from 1 to 366")
    check_page(page, "queue-errors")

    # Check the CSV holds the queue's people with names and codes.
    page.goto("/ui/queues/long-transits")
    with page.expect_download() as started:
        page.click("text=as CSV")
    table = list(csv.DictReader(io.StringIO(Path(started.value.path()).read_text())))
    assert [(r["family_name"], r["status_code"]) for r in table] == [("Transit", "transit")]


def test_pending_cases_by_probation_area_remembered_as_the_visitors_own(
    page: Page, site: Site
) -> None:
    sign_in(page, "probation", user="officer.area")
    page.goto("/ui/queues/pending-area-transfers")
    people = page.get_by_test_id("people")
    # Check an area keeps the cases it holds and those coming to it, and no others.
    for area, shown in (("N55", True), ("N53DERS", True), ("N54", False)):
        page.fill("#area", area)
        page.click("button:has-text('Apply filters')")
        if shown:
            expect(people).to_contain_text("Moving, Hal")
        else:
            expect(people).to_contain_text("No one.")
            expect(page.get_by_test_id("count-pending-area-transfers")).to_have_text("0")
    check_page(page, "queue-by-area")

    # Check the area chosen last is the visitor's own: the queue and the start page use it.
    page.goto("/ui/queues/pending-area-transfers")
    expect(page.locator("#area")).to_have_value("N54")
    page.goto("/ui")
    expect(page.get_by_test_id("attention-pending-area-transfers")).to_contain_text(
        "Pending area transfers in North East – N54"
    )
    page.goto("/ui/queues/pending-area-transfers")
    page.fill("#area", "Narnia")
    page.click("button:has-text('Apply filters')")
    shows_error(page, "area", "Enter a known probation region or PDU code")
