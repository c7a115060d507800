"""The access log through the pages: a page read is logged as the API logs it (one entry per
person disclosed, with the purpose), and auditors read the log by person, user and time."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import Page, expect

from api.auth import Role
from api.pages.dates import UK
from tests.e2e.browser.conftest import Site, check_page, date_boxes, shows_error, sign_in, submit
from tests.e2e.browser.seed import RELEASE_IN_DAYS


def access(site: Site, **filters: str) -> list[dict[str, object]]:
    response = site.api.client.get(
        "/audit/access", params=filters, headers=site.api.headers(Role.AUDITOR, purpose=None)
    )
    assert response.status_code == 200, response.text
    entries: list[dict[str, object]] = response.json()["entries"]
    return entries


def test_page_reads_are_logged_and_auditors_read_the_log(
    new_page: Callable[[], Page], site: Site
) -> None:
    staff = new_page()
    sign_in(staff, "probation", user="officer.audited", purpose="pre-sentence report")
    staff.goto("/ui/search?name=Reader")
    staff.goto("/ui/people/A1234BC")
    staff.click("text=Timeline")
    expect(staff.get_by_test_id("timeline")).to_be_visible()

    # Check one entry per person disclosed, each with the stated purpose, as the API logs.
    logged = access(site, user="officer.audited")
    actions = [(e["action"], e["purpose"]) for e in logged]
    assert actions == [
        ("person.search", "pre-sentence report"),
        ("person.read", "pre-sentence report"),
        ("person.timeline", "pre-sentence report"),
    ]
    person_id = str(logged[1]["person_id"])
    assert {e["person_id"] for e in logged} == {person_id}

    auditor = new_page()
    sign_in(auditor, "auditor", user="auditor.one", purpose="quarterly audit")
    auditor.click("text=Access log")
    check_page(auditor, "audit")

    # Check the log by user: newest first, counted, the person named, the actions in words.
    submit(auditor, "Filter", user="officer.audited")
    table = auditor.get_by_test_id("access")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(auditor.get_by_test_id("audit-total")).to_have_text("3")
    expect(table).to_contain_text("pre-sentence report")
    expect(table.get_by_test_id("action")).to_have_text(
        ["Read the person's timeline", "Read the person's record", "Shown in search results"]
    )
    expect(table.locator("tbody tr").first).to_contain_text("Reader, Ann")
    check_page(auditor, "audit-by-user")

    # Check the log by the person's NOMS number, CRN, name and id alike.
    for person in ("A1234BC", "X111111", "Ann Reader", person_id):
        submit(auditor, "Filter", user="", person=person)
        expect(table).to_contain_text("officer.audited")
        expect(table).not_to_contain_text("Count, Carol")

    # Check the CSV holds every entry the filter finds, with names and actions in words.
    submit(auditor, "Filter", user="officer.audited", person="")
    with auditor.expect_download() as started:
        auditor.click("text=as CSV")
    rows = list(csv.DictReader(io.StringIO(Path(started.value.path()).read_text())))
    assert [(r["action"], r["person"], r["noms"]) for r in rows] == [
        ("Read the person's timeline", "Reader, Ann", "A1234BC"),
        ("Read the person's record", "Reader, Ann", "A1234BC"),
        ("Shown in search results", "Reader, Ann", "A1234BC"),
    ]

    # Check the auditor's own reading is logged, once per person it named.
    read = [e for e in access(site, user="auditor.one") if e["action"] == "audit.access"]
    by_user = [e for e in read if "user=officer.audited" in str(e["detail"])]
    assert by_user and {e["person_id"] for e in by_user} == {person_id}
    csv_read = [e for e in by_user if "format=csv" in str(e["detail"])]
    assert [e["person_id"] for e in csv_read] == [person_id]

    # Check a person no one is, and a time range that excludes everything.
    submit(auditor, "Filter", user="", person="Z9999ZZ")
    shows_error(auditor, "person", "No one has that identifier")
    later = datetime.now(UK) + timedelta(days=1)
    submit(
        auditor,
        "Filter",
        person="",
        **date_boxes("since", f"{later.day}/{later.month}/{later.year}", later.strftime("%H:%M")),
    )
    expect(auditor.get_by_test_id("audit-total")).to_have_text("0")


def test_work_queues(page: Page, site: Site) -> None:
    sign_in(page, "probation")
    page.click("text=Work queues")
    expect(page.locator("h1")).to_have_text("Work queues")
    page.click("text=Released with no community owner")
    expect(page.get_by_test_id("people")).to_contain_text("Free, Dan")
    dan = page.get_by_test_id("people").locator("tr", has_text="Free, Dan")
    expect(dan.locator("td").nth(3)).to_have_text("Released")
    check_page(page, "queue-released")

    # Check each queue's own column says what waits, not the queue's name.
    due = (datetime.now(UTC).date() + timedelta(days=RELEASE_IN_DAYS)).strftime("%d %b %Y")
    for tab, person, detail in [
        ("Pending handovers", "Waiting, Ivy", "Handover to community requested"),
        ("Pending area transfers", "Moving, Hal", "Transfer to Derbyshire – N53DERS requested"),
        ("Long transits", "Transit, Fay", "Going to Full Sutton (HMP) – FNI"),
        ("Upcoming releases", "Soon, Gus", f"Release due {due}"),
    ]:
        page.click(f"text={tab}")
        row = page.get_by_test_id("people").locator("tr", has_text=person)
        expect(row.locator("td").nth(4)).to_contain_text(detail)
        expect(page.get_by_test_id("people")).not_to_contain_text(tab.lower().replace(" ", "-"))
    check_page(page, "queue-upcoming")
