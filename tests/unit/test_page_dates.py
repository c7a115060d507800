"""Dates as the pages take them (day, month and year boxes, a 24-hour UK time) and show them
(UK local time with its zone), at dates on both sides of the clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from api.pages.dates import read_date, read_moment, shown_moment
from api.pages.paging import paging


def boxes(name: str, d: str, m: str, y: str, t: str = "") -> dict[str, str]:
    return {f"{name}-day": d, f"{name}-month": m, f"{name}-year": y, f"{name}-time": t}


@pytest.mark.parametrize(
    ("sent", "said", "wrong"),
    [
        (("29041979", "", ""), "Born must include a month and year", {"month", "year"}),
        (("31", "2", "2025"), "Born must be a real date", {"day", "month", "year"}),
        (("5", "", "2025"), "Born must include a month", {"month"}),
        (("5", "1", "25"), "Year must include 4 numbers", {"year"}),
        (("5", "Jan", "2025"), "Born must be a real date", {"month"}),
    ],
)
def test_impossible_dates_are_named_with_the_boxes_at_fault(
    sent: tuple[str, str, str], said: str, wrong: set[str]
) -> None:
    errors: dict[str, str] = {}
    read = read_date(boxes("born", *sent), "born", "Born", errors)
    assert read.value is None
    assert errors == {"born": said}
    assert read.sent.wrong == wrong
    assert (read.sent.day, read.sent.month, read.sent.year) == sent


def test_a_real_date_an_empty_one_and_a_links_iso_date() -> None:
    errors: dict[str, str] = {}
    assert read_date(boxes("d", "29", "2", "2024"), "d", "D", errors).value == date(2024, 2, 29)
    assert read_date({}, "d", "D", errors).value is None
    linked = read_date({"d": "2025-03-17"}, "d", "D", errors)
    assert linked.value == date(2025, 3, 17)
    assert (linked.sent.day, linked.sent.month, linked.sent.year) == ("17", "3", "2025")
    assert errors == {}


@pytest.mark.parametrize(
    ("sent", "utc"),
    [
        (("15", "1", "2025", "09:30"), datetime(2025, 1, 15, 9, 30, tzinfo=UTC)),  # GMT
        (("1", "7", "2025", "10:00"), datetime(2025, 7, 1, 9, 0, tzinfo=UTC)),  # BST
        (("26", "10", "2025", "01:30"), datetime(2025, 10, 26, 0, 30, tzinfo=UTC)),  # first 01:30
        (("1", "7", "2025", ""), datetime(2025, 6, 30, 23, 0, tzinfo=UTC)),  # midnight, BST
    ],
)
def test_times_are_uk_local_time(sent: tuple[str, str, str, str], utc: datetime) -> None:
    errors: dict[str, str] = {}
    assert read_moment(boxes("at", *sent), "at", "At", errors).value == utc
    assert errors == {}


def test_a_time_the_clocks_skip_and_a_time_that_is_not_one_are_refused() -> None:
    errors: dict[str, str] = {}
    skipped = read_moment(boxes("at", "30", "3", "2025", "01:30"), "at", "At", errors)
    assert skipped.value is None and "clocks skipped" in errors["at"]
    errors.clear()
    read_moment(boxes("at", "1", "3", "2025", "25:00"), "at", "At", errors)
    assert errors == {"at": "At must have a real time, for example 14:30"}
    errors.clear()
    read_moment(boxes("at", "", "", "", "10:00"), "at", "At", errors)
    assert errors == {"at": "At must include a date"}


def test_moments_are_shown_in_uk_time_with_the_zone() -> None:
    assert shown_moment(datetime(2026, 11, 30, 9, 15, tzinfo=UTC)) == "30 Nov 2026 09:15 GMT"
    assert shown_moment(datetime(2026, 7, 1, 9, 15, tzinfo=UTC)) == "01 Jul 2026 10:15 BST"


def test_pages_of_a_long_list_keep_the_filters_and_stay_in_range() -> None:
    pages = paging("/ui/x", {"status": "in", "page": "7"}, total=151, size=20)
    assert (pages.page, pages.last, pages.first_shown, pages.last_shown) == (7, 8, 121, 140)
    assert pages.items == [1, None, 6, 7, 8]
    assert pages.href(8) == "/ui/x?status=in&page=8"
    assert paging("/ui/x", {"page": "99"}, total=10, size=20).page == 1
    assert paging("/ui/x", {"page": "nope"}, total=100, size=20).page == 1
