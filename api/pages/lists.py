"""Lists of people at prison scale: sorted by a column the visitor picks (the server sorts, so
it works without JavaScript and across pages), and downloaded as CSV with names beside codes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response

from api.pages import wording
from api.routes.establishments import csv_download as api_csv
from api.schemas import PersonLine

Key = Callable[[PersonLine], Any]


def _text(value: object) -> str:
    return "" if value is None else str(value)


SORTS: dict[str, tuple[str, Key]] = {
    "name": ("Name", lambda p: (_text(p.family_name).lower(), _text(p.given_name).lower())),
    "born": ("Date of birth", lambda p: _text(p.date_of_birth)),
    "noms": ("NOMS / CRN", lambda p: (_text(p.noms), _text(p.crn))),
    "where": ("Where", lambda p: (wording.status(p.status), _text(p.cell))),
    "held": ("Held by", lambda p: (_text(p.responsibility), _text(p.owner), _text(p.com))),
}


@dataclass(frozen=True)
class Header:
    """A column heading: its label, and when sortable the link that sorts by it."""

    label: str
    href: str
    aria_sort: str


@dataclass(frozen=True)
class Sorting:
    key: str
    descending: bool

    def apply(self, people: Sequence[PersonLine]) -> list[PersonLine]:
        if self.key not in SORTS:
            return list(people)  # the list's own order: a queue's, oldest first
        by = SORTS[self.key][1]
        # The name breaks ties, so a page holds the same people whichever way it is reached.
        named = SORTS["name"][1]
        return sorted(people, key=lambda p: (by(p), named(p), p.person_id), reverse=self.descending)

    def headers(self, path: str, values: Mapping[str, str]) -> list[Header]:
        kept = [(k, v) for k, v in values.items() if k not in {"sort", "order", "page"} and v]
        heads = []
        for key, (label, _) in SORTS.items():
            current = key == self.key
            flip = "descending" if current and not self.descending else "ascending"
            href = f"{path}?{urlencode([*kept, ('sort', key), ('order', flip)])}"
            aria = ("descending" if self.descending else "ascending") if current else "none"
            heads.append(Header(label, href, aria))
        return heads


def sorting(values: Mapping[str, str], default: str = "name") -> Sorting:
    """The column asked to sort by; `default` (which may be "" for the list's own order)
    otherwise."""
    key = values.get("sort") or default
    return Sorting(key if key in SORTS else default, values.get("order") == "descending")


CSV_COLUMNS = (
    "family_name",
    "given_name",
    "date_of_birth",
    "noms",
    "crn",
    "pnc",
    "status",
    "status_code",
    "prison",
    "prison_code",
    "location",
    "location_code",
    "cell",
    "since",
    "held_by",
    "responsibility_code",
    "owner_code",
    "com",
)


def csv_row(p: PersonLine) -> list[str]:
    return [
        _text(p.family_name),
        _text(p.given_name),
        _text(p.date_of_birth),
        _text(p.noms),
        _text(p.crn),
        _text(p.pnc),
        wording.status(p.status),
        _text(p.status),
        wording.agency(p.prison) if p.prison else "",
        _text(p.prison),
        wording.agency(p.agency) if p.agency else "",
        _text(p.agency),
        _text(p.cell),
        _text(p.since),
        wording.responsibility(p.responsibility, p.owner) if p.responsibility else "",
        _text(p.responsibility),
        _text(p.owner),
        _text(p.com),
    ]


def csv_download(people: Sequence[PersonLine], filename: str) -> Response:
    """Everyone listed, names beside codes, each cell safe for a spreadsheet."""
    return api_csv(CSV_COLUMNS, (csv_row(p) for p in people), filename)


def wing(cell: str | None) -> str:
    """A cell's wing: the part before the first dash of `B-2-014`."""
    return (cell or "").split("-", 1)[0]
