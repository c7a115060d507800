"""A live server with seeded journeys, Debian's chromium driven by Playwright, and the checks
every page gets: axe-core's accessibility rules and screenshots at desktop and mobile widths."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.e2e.browser.seed import seed
from tests.e2e.conftest import LiveApi, dev_settings, serve

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP, MOBILE = 1280, 375


def screenshots() -> Path:
    folder = Path(os.environ.get("JOURNEY_SCREENSHOTS", ROOT / "var" / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class Site:
    """The live server, its seeded batch, and the address of its pages."""

    api: LiveApi
    batch_id: str

    @property
    def base(self) -> str:
        return self.api.base


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    for live in serve(dev_settings(tmp_path_factory.mktemp("pages"))):
        yield Site(live, seed(live))


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"the page tests drive Debian's chromium at {CHROMIUM}, which is missing: "
            "run ops/bootstrap (it installs it with apt-get)",
            pytrace=False,
        )
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: run ops/bootstrap (npm ci)", pytrace=False)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser: Browser, site: Site) -> Iterator[Callable[[], Page]]:
    """Opens pages, each in a fresh browser context (no cookies) at desktop width."""
    contexts: list[BrowserContext] = []

    def opened() -> Page:
        context = browser.new_context(
            base_url=site.base, viewport={"width": DESKTOP, "height": 900}, accept_downloads=True
        )
        contexts.append(context)
        return context.new_page()

    yield opened
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[[], Page]) -> Page:
    return new_page()


def eventually(page: Page, check: Callable[[], None], attempts: int = 50) -> None:
    """Reload until `check` passes: the read models follow the log a moment behind."""
    for _ in range(attempts - 1):
        try:
            check()
            return
        except AssertionError:
            page.wait_for_timeout(200)
            page.reload()
    check()


def sign_in(page: Page, role: str, user: str = "officer.one", **extra: str) -> None:
    """Through the sign-in page's development choice: a role, a user, a purpose."""
    page.goto("/ui/sign-in")
    fields = {"user": user}
    if "provider" in extra:
        fields["provider"] = extra["provider"]
    submit(page, "Sign in", f"role={role}", **fields, purpose=extra.get("purpose", "case review"))
    page.wait_for_load_state()


def submit(page: Page, button: str, *choices: str, **fields: str) -> None:
    """Fill in a form as a person would: the radio choices ("name=value"), then each field by
    its id, then press the button."""
    for choice in choices:
        name, value = choice.split("=", 1)
        page.check(f"input[name={name}][value={value}]")
    for field, text in fields.items():
        page.fill(f"#{field}", text)
    page.click(f"button:has-text('{button}')")


def date_boxes(name: str, day: str, clock: str = "") -> dict[str, str]:
    """A date as a person types it into GOV.UK's day, month and year boxes (and a 24-hour UK
    time): date_boxes("as_of", "5/1/2025", "14:30")."""
    d, m, y = day.split("/")
    boxes = {f"{name}-day": d, f"{name}-month": m, f"{name}-year": y}
    if clock:
        boxes[f"{name}-time"] = clock
    return boxes


def move_cell(page: Page, cell: str, day: str) -> None:
    """Record a cell move in HMP Hull on the movement form open on `page`, at 10:00 UK time."""
    submit(
        page,
        "Record the movement",
        "movement=cell-moves",
        prison="HLI",
        cell=cell,
        **date_boxes("occurred_at", day, "10:00"),
    )
    expect(page.get_by_test_id("recorded")).to_have_text("Movement recorded")


def shows(page: Page, test_id: str, *texts: str) -> None:
    """The part of the page marked `test_id` holds each of the texts."""
    part = page.get_by_test_id(test_id)
    for text in texts:
        expect(part).to_contain_text(text)


def shows_error(page: Page, field: str, words: str) -> None:
    """A form's error said twice, as the design system asks: in the summary at the top and
    beside the field."""
    expect(page.locator(".govuk-error-summary")).to_contain_text(words)
    beside = page.locator(f"#{field}-error")
    expect(beside).to_be_visible()
    expect(beside).to_contain_text(words)


def check_page(page: Page, name: str) -> None:
    """No axe-core violations of any impact, at desktop and mobile widths; screenshots of both."""
    page.add_script_tag(path=str(AXE))
    folder = screenshots()
    for width, height, label in ((DESKTOP, 900, "desktop"), (MOBILE, 800, "mobile")):
        page.set_viewport_size({"width": width, "height": height})
        no_violations(page, f"{name} at {label} width")
        page.screenshot(path=str(folder / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size({"width": DESKTOP, "height": 900})


def no_violations(page: Page, name: str) -> None:
    result: dict[str, Any] = page.evaluate("async () => await axe.run()")
    bad = result["violations"]
    details = [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(n["target"]) for n in v["nodes"][:5])
        for v in bad
    ]
    assert not bad, f"accessibility violations on {name} ({page.url}):\n" + "\n".join(details)
