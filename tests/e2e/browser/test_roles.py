"""Each role sees only its pages: the others answer 403 with no data, and the navigation
offers only what the role may use; with no session every page sends the visitor to sign in."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser.conftest import Site, check_page, shows_error, sign_in, submit
from tests.e2e.browser.seed import BATCH_MOVER

PAGES = {
    "Find a person": "/ui/search?name=Reader",
    "Establishment roll": "/ui/prisons/LEI/roll",
    "Population": "/ui/population?prison=all",
    "Work queues": "/ui/queues/released-without-owner",
    "Recovery console": "/ui/batches",
    "Access log": "/ui/audit",
    "Retention review": "/ui/retention",
}
# What each page shows only when it is allowed: a name from the seeded data, or its table.
DATA = {
    "Find a person": "Reader, Ann",
    "Establishment roll": "Reader, Ann",
    "Population": "Every prison",
    "Work queues": "Free, Dan",
    "Recovery console": "NOMIS",
    "Access log": "Shown in search results",
    "Retention review": "nomis-sentence-end-7y",
}
ALLOWED = {
    "prison": {"Find a person", "Establishment roll", "Population", "Work queues"},
    "probation": {"Find a person", "Establishment roll", "Population", "Work queues"},
    "partner": {"Find a person"},
    "recovery": {"Find a person", "Establishment roll", "Population", "Recovery console"},
    "auditor": {"Find a person", "Establishment roll", "Population", "Access log"},
    "admin": set(PAGES),
}


@pytest.mark.parametrize("role", list(ALLOWED))
def test_each_role_gets_its_pages_and_a_403_elsewhere(page: Page, site: Site, role: str) -> None:
    sign_in(page, role, user=f"{role}.one", provider="N55")
    offered = page.locator("#navigation a").all_inner_texts()
    assert {text.strip() for text in offered} == ALLOWED[role]
    for name, path in PAGES.items():
        response = page.goto(path)
        assert response is not None
        body = page.locator("main").inner_text()
        if name in ALLOWED[role]:
            assert response.status == 200, (role, name)
            assert DATA[name] in body, (role, name)
        else:
            assert response.status == 403, (role, name)
            assert DATA[name] not in body, (role, name)
            assert "You cannot use this page" in body
    if role == "prison":
        check_page(page, "forbidden")


def test_no_session_is_sent_to_sign_in_and_back(page: Page, site: Site) -> None:
    for path in [*PAGES.values(), "/ui/people/A1234BC", "/ui"]:
        page.goto(path)
        assert "/ui/sign-in" in page.url, path
    check_page(page, "sign-in")

    # Check the purpose is required, shown in the error summary and beside the field.
    page.goto("/ui/people/A1234BC/timeline")
    submit(page, "Sign in", "role=prison", user="officer.back")
    shows_error(page, "purpose", "Enter why")
    check_page(page, "sign-in-errors")
    submit(page, "Sign in", purpose="sentence calculation")
    expect(page).to_have_url(f"{page.url.split('/ui')[0]}/ui/people/A1234BC/timeline")
    expect(page.get_by_test_id("signed-in")).to_contain_text("sentence calculation")


def test_session_cookie_csrf_and_sign_out(page: Page, site: Site) -> None:
    sign_in(page, "prison")
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["journey_session"]
    assert session["httpOnly"] and session["sameSite"] == "Strict"
    # Development mode over plain HTTP: the cookie cannot be Secure here.
    assert not session["secure"]

    # Check a POST without this session's CSRF token is refused and changes nothing.
    forged = page.request.post(
        "/ui/people/A1234BC/handover", form={"decision": "reject", "reason": "forged"}
    )
    assert forged.status == 403
    assert "The form has expired" in forged.text()

    # Check the purpose can be changed, through its own page.
    page.click("text=change")
    check_page(page, "purpose")
    submit(page, "Continue", purpose="")
    expect(page.locator("#purpose-error")).to_be_visible()
    submit(page, "Continue", purpose="parole review")
    expect(page.get_by_test_id("signed-in")).to_contain_text("parole review")

    # Check a person page asked for with no purpose asks for one, then shows the person.
    page.context.clear_cookies(name="journey_purpose")
    page.goto("/ui/people/A1234BC?as_of=2025-02-01")
    assert "/ui/purpose?next=" in page.url
    submit(page, "Continue", purpose="resettlement plan")
    expect(page.get_by_test_id("time-travel")).to_contain_text("01 Feb 2025")
    expect(page.get_by_test_id("signed-in")).to_contain_text("resettlement plan")

    submit(page, "Sign out")
    assert "/ui/sign-in" in page.url
    assert "journey_session" not in {c["name"] for c in page.context.cookies()}
    page.goto("/ui/search")
    assert "/ui/sign-in" in page.url


def test_a_partner_sees_only_its_providers_cases(new_page: Callable[[], Page], site: Site) -> None:
    page = new_page()
    sign_in(page, "partner", user="partner.one", provider="N55")
    page.goto("/ui/search?name=Reader")
    expect(page.get_by_test_id("people")).to_contain_text("Reader, Ann")
    page.goto("/ui/search?name=Mover")
    expect(page.get_by_test_id("people")).not_to_contain_text("Mover")
    response = page.goto(f"/ui/people/{BATCH_MOVER}")
    assert response is not None and response.status == 404
    assert "Mover" not in page.locator("main").inner_text()

    # Check another provider's partner sees nothing of Ann's case either.
    other = new_page()
    sign_in(other, "partner", user="partner.two", provider="N07")
    response = other.goto("/ui/people/A1234BC")
    assert response is not None and response.status == 404
    assert "Reader" not in other.locator("main").inner_text()
