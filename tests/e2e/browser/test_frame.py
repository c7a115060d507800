"""What every page shares: landmarks, a "page not found" page under /ui, and the Back link."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.browser.conftest import Site, check_page, sign_in


def test_unknown_page_paths_answer_an_html_page_not_found(page: Page, site: Site) -> None:
    # Check an unknown path is a page, signed in or not, and says so with a 404.
    response = page.goto("/ui/no-such-page")
    assert response is not None and response.status == 404
    assert response.headers["content-type"].startswith("text/html")
    expect(page.locator("h1")).to_have_text("Page not found")
    check_page(page, "page-not-found-signed-out")
    sign_in(page, "prison")
    response = page.goto("/ui/queues/no-such-queue")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("Page not found")
    expect(page.get_by_test_id("signed-in")).to_contain_text("officer.one")
    check_page(page, "page-not-found")

    # Check a query a page cannot read is a page naming the field, not a JSON problem.
    response = page.goto("/ui/audit?after=soon")
    assert response is not None and response.status in {400, 403}
    assert response.headers["content-type"].startswith("text/html")

    # Check the API keeps its JSON answers.
    answer = page.request.get("/no-such-endpoint")
    assert answer.status == 404
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_forms_lead_back_with_the_design_systems_back_link(page: Page, site: Site) -> None:
    sign_in(page, "prison")
    page.goto("/ui/people/E5555EE/movement")
    back = page.get_by_test_id("back")
    expect(back).to_have_text("Back")
    expect(back).to_have_class("govuk-back-link")
    # Check it comes before the page's main content, as the design system places it.
    above = back.evaluate(
        "link => !!(link.compareDocumentPosition(document.querySelector('main'))"
        " & Node.DOCUMENT_POSITION_FOLLOWING)"
    )
    assert above
    back.click()
    expect(page.locator("h1")).to_have_text("Eve Walker")


def test_every_part_of_the_page_sits_in_a_landmark(page: Page, site: Site) -> None:
    sign_in(page, "auditor")
    session = page.get_by_role("region", name="Your session")
    expect(session).to_contain_text("Signed in as")
    check_page(page, "home-auditor")
