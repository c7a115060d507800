"""Restriction, subject access and the retention review through the pages, each checked with
axe-core: a restricted record is absent for staff and asks an auditor why before showing it;
the subject access report prints the whole record; administrators review retention by date."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from playwright.sync_api import Page, expect

from api.auth import Role
from tests.e2e.browser.conftest import Site, check_page, date_boxes, shows, sign_in, submit
from tests.helpers import journey_app, register

NOMS = "A7301RS"


def restricted(site: Site) -> None:
    """Rhea Sealed, registered and then restricted by an administrator (once per session)."""
    api = site.api
    if api.client.get(f"/people/{NOMS}", headers=api.headers(Role.ADMIN)).status_code != 404:
        return
    with journey_app(api.settings.store) as app:
        register(app, NOMS, "Rhea", "Sealed", date(1990, 9, 9))
    answer = api.client.post(
        f"/people/{NOMS}/restrictions",
        json={"reason": "accuracy contested by the person"},
        headers=api.headers(Role.ADMIN, user="dpo.one"),
    )
    assert answer.status_code == 200, answer.text
    api.wait_for(answer.json()["position"])


def test_a_restricted_record_is_absent_for_staff_and_asks_auditors_why(
    new_page: Callable[[], Page], site: Site
) -> None:
    restricted(site)
    staff = new_page()
    sign_in(staff, "prison", user="officer.sealed")
    staff.goto("/ui/search?name=Sealed")
    expect(staff.locator("main")).not_to_contain_text("Rhea")
    staff.goto(f"/ui/people/{NOMS}")
    expect(staff.locator("h1")).to_have_text("Not found")

    auditor = new_page()
    sign_in(auditor, "auditor", user="auditor.sealed", purpose="complaint review")
    auditor.goto(f"/ui/people/{NOMS}")
    expect(auditor.locator("h1")).to_have_text("This record is restricted")
    check_page(auditor, "restricted-reason")
    submit(auditor, "Continue", reason="complaint 7 about this record")
    expect(auditor.locator("h1")).to_contain_text("Rhea Sealed")
    logged = site.api.access_log(
        site.api.client.get(
            f"/people/{NOMS}", params={"reason": "test"}, headers=site.api.headers(Role.ADMIN)
        ).json()["person_id"]
    )
    gated = [e for e in logged if e["user"] == "auditor.sealed"]
    gate, read = ("person.restricted-read", "complaint 7 about this record"), "person.read"
    assert [(e["action"], e["purpose"]) for e in gated] == [gate, (read, "complaint review")]


def test_the_subject_access_report_prints_the_whole_record(
    new_page: Callable[[], Page], site: Site
) -> None:
    restricted(site)
    page = new_page()
    sign_in(page, "auditor", user="sar.officer", purpose="subject access request 2026/31")
    page.goto(f"/ui/people/{NOMS}/subject-access")
    expect(page.locator("h1")).to_have_text("Rhea Sealed")
    shows(page, "restricted", "accuracy contested by the person")
    shows(page, "identity", NOMS)
    shows(page, "entries", "dpo.one")
    # Check the report lists its own production, in words, with the purpose.
    shows(page, "consulted", "Produced a subject access report", "subject access request 2026/31")
    check_page(page, "subject-access")
    # Check the print styles leave out the service's header and navigation.
    page.emulate_media(media="print")
    expect(page.locator(".govuk-header")).to_be_hidden()
    expect(page.locator("h1")).to_be_visible()


def test_administrators_review_retention_by_date(new_page: Callable[[], Page], site: Site) -> None:
    page = new_page()
    sign_in(page, "admin", user="admin.review")
    page.click("text=Retention review")
    check_page(page, "retention")
    submit(page, "Review", **date_boxes("as_of", "1/3/2031"))
    shows(page, "summary", "1 Mar 2031", "due of")
    expect(page.get_by_test_id("due-total")).to_have_text("0")
    check_page(page, "retention-reviewed")
    auditor = new_page()
    sign_in(auditor, "auditor", user="auditor.review")
    expect(auditor.locator("nav")).not_to_contain_text("Retention review")
