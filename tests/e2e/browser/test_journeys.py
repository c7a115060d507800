"""The pages in a real browser: staff find a person and read the timeline, read a roll and
download it, accept a handover, and a recovery team voids a load and sees the person change."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import Page, expect

from tests.e2e.browser.conftest import (
    Site,
    check_page,
    date_boxes,
    eventually,
    move_cell,
    shows,
    shows_error,
    sign_in,
    submit,
)
from tests.e2e.browser.seed import BATCH_MOVER


def test_search_then_person_page_then_timeline(page: Page, site: Site) -> None:
    sign_in(page, "prison", user="officer.search")
    shows(page, "signed-in", "officer.search", "prison")
    check_page(page, "home")

    # Check a search by name lists the person, and by date of birth too.
    page.click("text=Find a person")
    submit(page, "Search", name="Reader")
    expect(page.get_by_test_id("people")).to_contain_text("Reader, Ann")
    check_page(page, "search")
    submit(page, "Search", name="", **date_boxes("date_of_birth", "3/2/1984"))
    expect(page.get_by_test_id("people")).to_contain_text("A1234BC")

    # Check the person page: where now, who holds the case, key dates, identifiers.
    with page.expect_response(lambda r: "/ui/people/" in r.url) as opened:
        page.click("text=Reader, Ann")
    assert opened.value.headers["cache-control"] == "no-store"
    shows(page, "where", "In prison", "Leeds (HMP) – LEI", "B-2-014")
    shows(page, "owner", "COM Patel, Leeds – N55LEE", "Yorkshire & The Humber – N55")
    shows(page, "key-dates", "Conditional release date (CRD)", "01 Sep 2026")
    shows(page, "identifiers", "2012/0394773H")
    check_page(page, "person")

    # Check "as of" a day before the cell move's effects: only admitted, no cell yet.
    submit(page, "Show", **date_boxes("as_of", "5/1/2025"))
    expect(page.get_by_test_id("time-travel")).to_contain_text("as of 05 Jan 2025")
    expect(page.get_by_test_id("where")).not_to_contain_text("B-2-014")

    # Check the timeline, oldest first: each entry in a sentence, with who, when and source.
    page.click("text=Timeline")
    page.click("text=Filter the entries")
    page.select_option("#order", "oldest")
    page.click("button:has-text('Show')")
    timeline = page.get_by_test_id("timeline")
    said = timeline.get_by_test_id("sentence")
    expect(said.first).to_have_text(
        "Registered: Ann Reader, born 03 Feb 1984, NOMS A1234BC, CRN X111111"
    )
    expect(said.nth(3)).to_have_text("Moved to cell B-2-014 in Leeds (HMP) – LEI")
    expect(timeline).to_contain_text("Key dates recorded: CRD 01 Sep 2026")
    expect(timeline).to_contain_text(
        "Community offender manager allocated: COM Patel, Leeds – N55LEE"
    )
    expect(said.nth(7)).to_have_text("Handover to community requested")
    expect(timeline).to_contain_text("officer.one")
    check_page(page, "timeline")

    # Check an unknown person is a plain "not found" page.
    response = page.goto("/ui/people/Z9999ZZ")
    assert response is not None and response.status == 404
    expect(page.get_by_test_id("problem")).to_be_visible()
    check_page(page, "not-found")


def test_roll_with_counts_as_of_a_date_and_csv_download(page: Page, site: Site) -> None:
    sign_in(page, "prison")
    page.click("text=Establishment roll")
    check_page(page, "roll-choose")
    page.select_option("#prison", "LEI")
    submit(page, "Show the roll")

    # Check the roll now: Ann in, Carol out at court, and the counts by status.
    expect(page.get_by_test_id("roll-total")).to_have_text("2")
    shows(page, "counts", "At court", "In prison")
    shows(page, "people", "Reader, Ann", "Count, Carol", "At court, Leeds Crown Court – LEEDCC")
    check_page(page, "roll")

    # Check the CSV download holds the same people.
    with page.expect_download() as started:
        page.click("text=as CSV")
    download = started.value
    assert download.suggested_filename == "roll-LEI.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text())))
    assert sorted(r["noms"] for r in rows) == ["A1234BC", "C3333CC"]

    # Check the roll as of the day before anyone was admitted.
    submit(page, "Apply filters", **date_boxes("as_of", "5/1/2025"))
    expect(page.get_by_test_id("roll-total")).to_have_text("0")

    # Check the person page names the court someone on the roll is at.
    page.goto("/ui/people/C3333CC")
    shows(page, "where", "At court", "CourtLeeds Crown Court – LEEDCC")


def test_handover_accepted_through_the_form_by_keyboard_alone(page: Page, site: Site) -> None:
    sign_in(page, "probation", user="officer.keys")
    page.goto("/ui/people/A1234BC")
    expect(page.get_by_test_id("owner")).to_contain_text("Handover pending")
    page.click("text=Accept or reject the handover")
    check_page(page, "handover")

    # Check a decision left out is shown in the error summary and beside the field.
    tab_to(page, "button:has-text('Save the decision')")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    shows_error(page, "decision", "Select accept or reject")
    check_page(page, "handover-errors")

    # Check the form works from the keyboard alone: tab to the choice, select, submit.
    tab_to(page, "#decision")
    page.keyboard.press("Space")
    tab_to(page, "button:has-text('Save the decision')")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.get_by_test_id("recorded")).to_have_text("Handover accepted")
    expect(page.get_by_test_id("owner")).not_to_contain_text("Handover pending")
    expect(page.get_by_test_id("owner")).to_contain_text("Community, held by Leeds – N55LEE")


def tab_to(page: Page, selector: str, presses: int = 60) -> None:
    """Press Tab until the element has the focus, as a keyboard user would."""
    target = page.locator(selector).first
    for _ in range(presses):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{selector} never received the focus from the keyboard")


def test_movement_form_shows_errors_beside_fields_then_records(page: Page, site: Site) -> None:
    sign_in(page, "prison")
    page.goto("/ui/people/E5555EE/movement")
    check_page(page, "movement")

    # Check missing and wrong values are reported beside their fields.
    submit(page, "Record the movement", "movement=transfers-out", destination="NOPE")
    shows_error(page, "occurred_at", "Enter when it happened")
    check_page(page, "movement-errors")
    submit(page, "Record the movement", **date_boxes("occurred_at", "1/3/2025", "10:00"))
    expect(page.locator("#destination-error")).to_be_visible()

    # Check a cell move is recorded and shown on the person page.
    move_cell(page, "C-3-021", "1/3/2025")
    expect(page.get_by_test_id("where")).to_contain_text("C-3-021")


def test_batch_voided_from_the_recovery_console(new_page: Callable[[], Page], site: Site) -> None:
    staff = new_page()
    sign_in(staff, "prison", user="officer.before")
    staff.goto(f"/ui/people/{BATCH_MOVER}")
    expect(staff.get_by_test_id("where")).to_contain_text("MDI")

    page = new_page()
    sign_in(page, "recovery", user="recovery.lead")
    page.click("text=Recovery console")
    expect(page.get_by_test_id("batches")).to_contain_text(site.batch_id)
    check_page(page, "batches")
    page.click(f"text={site.batch_id}")
    # Check the impact: who read the batch's people since it was loaded.
    expect(page.get_by_test_id("consulted")).to_contain_text("officer.before")
    check_page(page, "batch")

    # Check a reason is required, then the dry run restates the batch, reason and diff.
    submit(page, "Preview the changes")
    expect(page.locator("#reason-error")).to_contain_text("Enter the reason")
    submit(page, "Preview the changes", reason="older extract loaded in error")
    expect(page).to_have_url(re.compile(r"/preview\?kind=void$"))
    expect(page.get_by_test_id("reason")).to_have_text("older extract loaded in error")
    # Check the people are named and the changes said in words.
    shows(page, "diff", "Mover, Bob", BATCH_MOVER, "In prison, Wetherby (HMYOI) – WYI")
    check_page(page, "void-confirm")

    # Check the impact table keeps the recovery team's own dry run apart from staff reads.
    page.get_by_test_id("back").click()
    expect(page.get_by_test_id("recovery-reads")).to_contain_text("recovery.lead")
    expect(page.get_by_test_id("consulted")).not_to_contain_text("recovery.lead")
    page.go_back()

    # Check the confirmed void runs, with its progress shown until it is done.
    before_void = datetime.now(UTC).isoformat(timespec="seconds")
    submit(page, "Confirm: void the batch")
    expect(page.get_by_test_id("finished")).to_contain_text("Batch voided", timeout=60_000)
    check_page(page, "void-done")

    # Check staff now see the person back where they were, the load struck through.
    def back_in_wakefield() -> None:
        expect(staff.get_by_test_id("where")).to_contain_text("WYI", timeout=200)

    staff.goto(f"/ui/people/{BATCH_MOVER}")
    eventually(staff, back_in_wakefield)
    staff.click("text=Timeline")
    voided = staff.locator("[data-voided=true]")
    expect(voided).to_have_count(2)
    expect(voided.last.locator("s")).to_have_count(2)
    expect(voided.last.get_by_test_id("void-reason")).to_contain_text(
        "older extract loaded in error"
    )
    expect(voided.last).to_contain_text(site.batch_id)
    # Check the load's transfer reads as a sentence; its recorded fields are one click away.
    expect(voided.last.get_by_test_id("sentence")).to_have_text(
        "Transferred from Wetherby (HMYOI) – WYI to Moorland (HMP & YOI) – MDI"
        " — reason: Normal Transfer (NOTR)"
    )
    raw = voided.last.get_by_test_id("raw")
    expect(raw).to_be_hidden()
    voided.last.locator("summary").click()
    expect(raw).to_be_visible()
    expect(raw).to_contain_text("reason_code: NOTR")
    check_page(staff, "timeline-voided")

    # Check "as known at" a moment before the void: what staff saw then, nothing struck.
    known = quote(before_void)
    staff.goto(f"/ui/people/{BATCH_MOVER}/timeline?as_known_at={known}")
    expect(staff.locator("[data-voided=true]")).to_have_count(0)
    staff.goto(f"/ui/people/{BATCH_MOVER}?as_known_at={known}")
    expect(staff.get_by_test_id("where")).to_contain_text("MDI")

    # Check the batch is reinstated the same way, and staff see the load's answer again.
    page.get_by_test_id("back").click()
    submit(page, "Preview the changes", reason="the extract was right after all")
    expect(page.get_by_test_id("diff")).to_contain_text("In prison, Moorland (HMP & YOI) – MDI")
    submit(page, "Confirm: reinstate the batch")
    expect(page.get_by_test_id("finished")).to_contain_text("Batch recorded", timeout=60_000)

    def back_in_moorland() -> None:
        expect(staff.get_by_test_id("where")).to_contain_text("MDI", timeout=200)

    staff.goto(f"/ui/people/{BATCH_MOVER}")
    eventually(staff, back_in_moorland)


def test_sign_in_by_keyboard_alone(page: Page, site: Site) -> None:
    page.goto("/ui/search")
    # A radio group takes one Tab; the arrow keys choose within it.
    tab_to(page, "#role")
    page.keyboard.press("ArrowDown")
    tab_to(page, "#user")
    page.keyboard.type("officer.keys2")
    tab_to(page, "#purpose")
    page.keyboard.type("case review")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    shows(page, "signed-in", "officer.keys2", "probation")
    expect(page.locator("h1")).to_have_text("Find a person")
