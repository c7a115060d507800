"""Long lists a page at a time, with GOV.UK pagination links that keep the list's filters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

PAGE_SIZE = 50


def page_number(values: Mapping[str, str]) -> int:
    """The `page` asked for; anything that is not a whole number from 1 is the first page."""
    text = (values.get("page") or "").strip()
    return int(text) if text.isdigit() and 0 < int(text) < 1_000_000 else 1


@dataclass(frozen=True)
class Paging:
    """Which page of a list is shown, and the links to the others."""

    page: int
    total: int
    size: int
    path: str
    query: tuple[tuple[str, str], ...]

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @property
    def last(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first_shown(self) -> int:
        return min(self.offset + 1, self.total)

    @property
    def last_shown(self) -> int:
        return min(self.offset + self.size, self.total)

    def href(self, page: int) -> str:
        return f"{self.path}?{urlencode([*self.query, ('page', str(page))])}"

    @property
    def items(self) -> list[int | None]:
        """Page numbers to link, None where some are left out: 1 … 4 5 6 … 20."""
        near = {1, self.last, self.page - 1, self.page, self.page + 1}
        shown = sorted(n for n in near if 1 <= n <= self.last)
        items: list[int | None] = []
        for n in shown:
            if items and n - (items[-1] or 0) > 1:
                items.append(None)
            items.append(n)
        return items


def paging(path: str, values: Mapping[str, str], total: int, size: int = PAGE_SIZE) -> Paging:
    """The page asked for in `values` (kept within the list), its links keeping the rest."""
    kept = tuple((k, v) for k, v in values.items() if k != "page" and v != "")
    asked = page_number(values)
    last = max(1, -(-total // size))
    return Paging(min(asked, last), total, size, path, kept)
