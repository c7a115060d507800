"""Search as officers use it and dates the GOV.UK way: names in any order, misspelt family
names, counts and pages (each person shown logged once), an exact identifier straight to the
person, a malformed one as an error beside its field; day, month and year boxes in UK time."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from api.auth import Role
from tests.e2e.browser.conftest import (
    Site,
    check_page,
    date_boxes,
    move_cell,
    shows_error,
    sign_in,
    submit,
)
from tests.e2e.browser.seed import NAMESAKES
from tests.e2e.browser.test_audit import access


def test_names_in_any_order_misspelt_counted_and_paged(
    new_page: Callable[[], Page], site: Site
) -> None:
    page = new_page()
    sign_in(page, "prison", user="officer.paging")
    page.goto("/ui/search")

    # Check given name first finds the person as family name first does.
    submit(page, "Search", name="Ann Reader")
    expect(page.get_by_test_id("people")).to_contain_text("Reader, Ann")
    expect(page.get_by_test_id("found")).to_contain_text("1 person found")

    # Check a misspelt family name finds the people spelt alike, and says so.
    submit(page, "Search", name="Walkr")
    expect(page.get_by_test_id("people")).to_contain_text("Walker, Eve")
    expect(page.get_by_test_id("found")).to_contain_text("spelt alike")

    # Check a common family name is counted in full and shown a page at a time.
    submit(page, "Search", name="Mensah")
    found = page.get_by_test_id("found")
    expect(found).to_contain_text(f"Showing 1 to 20 of {NAMESAKES} people found")
    expect(found).to_contain_text("add a date of birth")
    expect(page.get_by_test_id("people").locator("tbody tr")).to_have_count(20)
    check_page(page, "search-paged")
    page.get_by_test_id("pagination").get_by_role("link", name="Next").click()
    expect(found).to_contain_text(f"Showing 21 to {NAMESAKES} of {NAMESAKES}")
    expect(page.get_by_test_id("people").locator("tbody tr")).to_have_count(NAMESAKES - 20)
    expect(page.locator("#name")).to_have_value("Mensah")

    # Check each person shown was logged once, and no one on a page not shown.
    searched = [e for e in access(site, user="officer.paging") if e["action"] == "person.search"]
    mensahs = [e for e in searched if e["person_id"]]
    assert len(mensahs) == 1 + 1 + NAMESAKES
    assert len({e["person_id"] for e in mensahs}) == len(mensahs)

    # Check a name and a date of birth narrow it to one.
    submit(page, "Search", name="Mensah", **date_boxes("date_of_birth", "4/4/1963"))
    expect(page.get_by_test_id("people").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("people")).to_contain_text("Mensah, Esi")


def test_an_identifier_goes_straight_to_the_person_or_says_what_is_wrong(
    page: Page, site: Site
) -> None:
    sign_in(page, "probation", user="officer.exact")
    for typed in ("a1234bc", "12/394773H", "X111111"):
        page.goto("/ui/search")
        submit(page, "Search", identifier=typed)
        expect(page.locator("h1")).to_have_text("Ann Reader")
        expect(page.get_by_test_id("where")).to_be_visible()

    # Check an identifier no one holds says so, on the search page.
    page.goto("/ui/search")
    submit(page, "Search", identifier="Z9999ZZ")
    expect(page.get_by_test_id("found")).to_have_text("No one has the identifier Z9999ZZ.")

    # Check a malformed identifier is an error beside the field, not a page of its own.
    with page.expect_response(lambda r: "/ui/search" in r.url) as answered:
        submit(page, "Search", identifier="12345")
    assert answered.value.status == 400
    shows_error(page, "identifier", "Enter a NOMS number like A1234BC")
    expect(page.locator("#identifier")).to_have_value("12345")
    check_page(page, "search-errors")


def test_dates_in_three_boxes_with_errors_for_impossible_ones(page: Page, site: Site) -> None:
    sign_in(page, "prison", user="officer.dates")
    page.goto("/ui/people/A1234BC")

    # Check a date typed into one box, an impossible day, a missing month and a short year.
    for boxes, words, wrong in [
        (date_boxes("as_of", "29041979//"), "As of must include a month and year", "month"),
        (date_boxes("as_of", "31/2/2025"), "As of must be a real date", "day"),
        (date_boxes("as_of", "5//2025"), "As of must include a month", "month"),
        (date_boxes("as_of", "5/1/25"), "Year must include 4 numbers", "year"),
    ]:
        submit(page, "Show", **boxes)
        shows_error(page, "as_of", words)
        expect(page.locator(f"#as_of-{wrong}")).to_have_class(
            "govuk-input govuk-date-input__input govuk-input--width-"
            + ("4" if wrong == "year" else "2")
            + " govuk-input--error"
        )
        link = page.locator(".govuk-error-summary a")
        assert (link.get_attribute("href") or "").startswith("#as_of-")
    check_page(page, "person-date-errors")

    # Check a day of the year with no such hour in the UK is refused, naming the field.
    submit(page, "Show", **date_boxes("as_known_at", "30/3/2025", "01:30"), **blank("as_of"))
    shows_error(page, "as_known_at", "clocks skipped")

    # Check a good date shows the person then, and keeps what was typed.
    submit(page, "Show", **date_boxes("as_of", "5/1/2025"), **blank("as_known_at", clock=True))
    expect(page.get_by_test_id("time-travel")).to_contain_text("as of 05 Jan 2025")
    expect(page.locator("#as_of-year")).to_have_value("2025")


def test_times_are_entered_and_shown_in_uk_local_time(page: Page, site: Site) -> None:
    sign_in(page, "prison", user="officer.clock")
    page.goto("/ui/people/D4444DD/timeline")
    # Check winter times read GMT: the seed's entries were made at 09:00 UTC in January.
    expect(page.get_by_test_id("timeline")).to_contain_text("06 Jan 2025 09:00 GMT")

    # Check a summer time typed on a form is UK time: 10:00 BST is 09:00 UTC.
    page.goto("/ui/people/E5555EE/movement")
    move_cell(page, "D-1-007", "1/7/2025")
    page.goto("/ui/people/E5555EE/timeline")
    row = page.get_by_test_id("timeline").locator("[data-entry]", has_text="D-1-007")
    expect(row).to_contain_text("01 Jul 2025 10:00 BST")
    recorded = site.api.client.get(
        "/people/E5555EE/timeline", headers=site.api.headers(Role.PRISON)
    ).json()["entries"]
    moved = [e for e in recorded if e["details"].get("cell") == "D-1-007"]
    assert [e["occurred_at"][:16] for e in moved] == ["2025-07-01T09:00"]
    check_page(page, "timeline-uk-time")


def blank(name: str, clock: bool = False) -> dict[str, str]:
    boxes = {f"{name}-day": "", f"{name}-month": "", f"{name}-year": ""}
    if clock:
        boxes[f"{name}-time"] = ""
    return boxes
