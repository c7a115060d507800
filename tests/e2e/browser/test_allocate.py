"""The way on from a dead end: a community offender manager allocated from the "released with
no community owner" queue, and prompted for after a handover to the community is accepted."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.browser.conftest import Site, check_page, shows_error, sign_in, submit


def test_allocate_a_com_from_the_released_without_owner_queue(page: Page, site: Site) -> None:
    sign_in(page, "probation", user="officer.allocates")
    page.goto("/ui/queues/released-without-owner")
    row = page.get_by_test_id("people").locator("tr", has_text="Loose, Jim")
    row.get_by_role("link", name="Allocate a COM to Jim Loose").click()
    expect(page.locator("h1")).to_have_text("Allocate a community offender manager")
    check_page(page, "allocate")

    # Check both fields are asked for, beside each, then the allocation is recorded.
    submit(page, "Allocate")
    shows_error(page, "officer", "Enter the officer's name")
    shows_error(page, "pdu", "Select the Probation Delivery Unit")
    check_page(page, "allocate-errors")
    page.select_option("#pdu", "N55LEE")
    submit(page, "Allocate", officer="COM Singh")
    expect(page.get_by_test_id("recorded")).to_have_text("Community offender manager allocated")
    expect(page.get_by_test_id("owner")).to_contain_text("COM Singh")
    page.goto("/ui/queues/released-without-owner")
    expect(page.get_by_test_id("people")).not_to_contain_text("Loose, Jim")


def test_an_accepted_handover_to_the_community_prompts_the_allocation(
    page: Page, site: Site
) -> None:
    sign_in(page, "probation", user="officer.hands")
    page.goto("/ui/people/K3434KK/handover")
    submit(page, "Save the decision", "decision=accept")
    expect(page.get_by_test_id("recorded")).to_have_text("Handover accepted")
    next_step = page.get_by_test_id("next-step")
    expect(next_step).to_contain_text("No community offender manager holds the case yet")
    check_page(page, "handover-accepted")
    next_step.get_by_role("link").click()
    expect(page.locator("h1")).to_have_text("Allocate a community offender manager")
