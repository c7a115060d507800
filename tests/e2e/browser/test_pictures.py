"""Pictures drawn on the server, with their text equivalents: a person's journey on a time
axis (where they were, who held the case), and the prison population over time."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.browser.conftest import Site, check_page, shows_error, sign_in
from tests.e2e.browser.seed import CROWD, CROWD_PRISON


def test_the_journey_drawn_on_the_person_page_with_a_table_beside(page: Page, site: Site) -> None:
    sign_in(page, "prison", user="officer.picture")
    page.goto("/ui/people/D4444DD")
    picture = page.get_by_test_id("journey-picture")
    expect(picture).to_be_visible()
    # Check the picture is named for assistive technology and draws one bar per stretch.
    expect(picture.locator("title").first).to_have_text("The journey of Dan Free")
    drawn = [t.text_content() for t in picture.locator("rect title").all()]
    assert drawn == [
        "In prison: Moorland (HMP & YOI) – MDI, 06 Jan 2025 to 11 Jan 2025",
        "Released, 11 Jan 2025 to now",
        "Custody, held by Moorland (HMP & YOI) – MDI, 06 Jan 2025 to 11 Jan 2025",
        "Community, 11 Jan 2025 to now",
    ]
    expect(page.get_by_test_id("journey-legend")).to_contain_text("In prison")
    expect(page.get_by_test_id("journey-legend")).to_contain_text("Released")

    # Check the text equivalent lists the same stretches, in words.
    page.click("text=The journey as a table")
    rows = page.get_by_test_id("journey").locator("tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.first).to_contain_text("Where: In prison: Moorland (HMP & YOI) – MDI")
    expect(rows.nth(1)).to_contain_text("Where: Released")
    expect(rows.nth(1)).to_contain_text("Now")
    expect(rows.last).to_contain_text("Who holds the case: Community")
    check_page(page, "person-journey")

    # Check court, custody and the owners' lane for someone at court with a community owner.
    page.goto("/ui/people/C3333CC")
    page.click("text=The journey as a table")
    table = page.get_by_test_id("journey")
    expect(table).to_contain_text("At court: Leeds Crown Court – LEEDCC")
    page.goto("/ui/people/A1234BC")
    page.click("text=The journey as a table")
    expect(page.get_by_test_id("journey")).to_contain_text("Who holds the case: ")
    expect(page.get_by_test_id("journey")).to_contain_text("(COM Patel)")


def test_population_over_time_as_a_chart_and_a_table(page: Page, site: Site) -> None:
    sign_in(page, "auditor", user="auditor.population")
    page.goto(f"/ui/population?prison={CROWD_PRISON}&months=3")
    expect(page.get_by_test_id("chart-heading")).to_contain_text("Birmingham (HMP) (BMI)")
    chart = page.get_by_test_id("population-chart")
    expect(chart.locator("circle")).to_have_count(4)
    rows = page.get_by_test_id("population").locator("tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.last.locator("td").nth(1)).to_have_text(str(CROWD))
    check_page(page, "population")

    # Check every prison together, each prison's count, and a field error for bad months.
    page.fill("#prison", "")
    page.click("button:has-text('Show')")
    expect(page.get_by_test_id("chart-heading")).to_contain_text("Every prison")
    page.click("text=Each prison on")
    expect(page.get_by_test_id("by-prison")).to_contain_text("Birmingham (HMP) – BMI")
    page.fill("#months", "99")
    page.click("button:has-text('Show')")
    shows_error(page, "months", "from 1 to 60")
