"""A person's timeline as the MOJ timeline: newest first, totals, filters by type, source,
batch and voided, a page at a time, and as CSV; one access-log entry per reading."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from playwright.sync_api import Page, expect

from api.pages.timeline import TIMELINE_PAGE
from tests.e2e.browser.conftest import Site, check_page, sign_in
from tests.e2e.browser.seed import BATCH_MOVER, CELL_MOVES, LONG_HISTORY
from tests.e2e.browser.test_audit import access


def test_a_long_timeline_newest_first_counted_and_paged(page: Page, site: Site) -> None:
    sign_in(page, "prison", user="officer.timeline")
    page.goto(f"/ui/people/{LONG_HISTORY}/timeline")
    entries = CELL_MOVES + 2
    totals = page.get_by_test_id("totals")
    expect(totals).to_contain_text(f"{entries} entries")
    expect(totals).to_contain_text(f"{CELL_MOVES} cell moved")
    said = page.get_by_test_id("timeline").get_by_test_id("sentence")
    expect(said).to_have_count(TIMELINE_PAGE)
    expect(said.first).to_contain_text(f"Moved to cell A-1-{CELL_MOVES:03d}")
    expect(page.get_by_test_id("listed")).to_contain_text(
        f"Showing 1 to {TIMELINE_PAGE} of {entries}"
    )
    check_page(page, "timeline-long")
    last = -(-entries // TIMELINE_PAGE)
    page.get_by_test_id("pagination").get_by_role("link", name=f"Page {last}").click()
    expect(said).to_have_count(entries - (last - 1) * TIMELINE_PAGE)
    expect(said.last).to_contain_text("Registered: Len Long")

    # Check a filter by type: only the admission (a movement), and the CSV holds just that.
    page.click("text=Filter the entries")
    page.select_option("#kind", label="Movement recorded")
    page.click("button:has-text('Show')")
    expect(said).to_have_count(1)
    expect(page.get_by_test_id("listed")).to_contain_text("1 entry matching the filter")
    with page.expect_download() as started:
        page.click("text=as CSV")
    rows = list(csv.DictReader(io.StringIO(Path(started.value.path()).read_text())))
    assert [(r["kind"], r["source"], r["voided"]) for r in rows] == [
        ("MovementRecorded", "API", "no")
    ]
    assert rows[0]["occurred_at"].endswith("GMT")

    # Check each reading, page, filter or download, is one timeline entry in the log.
    read = [e for e in access(site, user="officer.timeline") if e["action"] == "person.timeline"]
    assert len(read) == 4
    assert len({e["person_id"] for e in read}) == 1


def test_timeline_filtered_by_source_batch_and_voided(page: Page, site: Site) -> None:
    sign_in(page, "recovery", user="recovery.timeline")
    page.goto(f"/ui/people/{BATCH_MOVER}/timeline")
    said = page.get_by_test_id("timeline").get_by_test_id("sentence")
    page.click("text=Filter the entries")
    page.select_option("#source", "NOMIS")
    page.click("button:has-text('Show')")
    expect(said).to_have_count(2)
    check_page(page, "timeline-filtered")

    # Check a batch chosen from an entry shows that load's entries only.
    page.goto(f"/ui/people/{BATCH_MOVER}/timeline?batch={site.batch_id}")
    expect(said).to_have_count(2)
    expect(page.get_by_test_id("timeline")).to_contain_text(site.batch_id)
    # Check the voided filter splits the entries in two, whatever the load's state.
    counts = []
    for choice in ("yes", "no"):
        page.goto(f"/ui/people/{BATCH_MOVER}/timeline?voided={choice}")
        counts.append(said.count())
    page.goto(f"/ui/people/{BATCH_MOVER}/timeline")
    total = page.get_by_test_id("totals").inner_text().split(" ", 1)[0]
    assert sum(counts) == int(total)
