"""A load's rejected lines: each refusal with its field and reason, kept in pages of bounded
size, and read back a page at a time."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from typing import Any, overload
from uuid import UUID

MAX_REJECT_TEXT = 2000
# A load's rejected lines are kept in pages, each saved in a transaction of its own: a write
# of several megabytes through psycopg's pipeline was seen to stall for ever holding the
# event table's lock. A page holds at most this many rejects and about this many bytes.
PAGE_REJECTS = 500
PAGE_BYTES = 256 * 1024


@dataclass(frozen=True)
class Reject:
    """A line refused, with the field at fault and the reason."""

    line: int
    field: str
    reason: str
    text: str = ""
    # The reason describes the person's recorded history (where they were), not the line.
    history: bool = False

    def as_dict(self) -> dict[str, Any]:
        found = {"line": self.line, "field": self.field, "reason": self.reason, "text": self.text}
        return {**found, "history": True} if self.history else found

    @property
    def size(self) -> int:
        """About how many bytes the reject takes in a stored event."""
        return len(self.text) + len(self.reason) + len(self.field) + 48


def pages(rejects: Iterator[Reject] | Sequence[Reject]) -> Iterator[list[Reject]]:
    """Rejects in pages of at most PAGE_REJECTS and about PAGE_BYTES each."""
    page: list[Reject] = []
    size = 0
    for reject in rejects:
        if page and (len(page) >= PAGE_REJECTS or size + reject.size > PAGE_BYTES):
            yield page
            page, size = [], 0
        page.append(reject)
        size += reject.size
    if page:
        yield page


PageReader = Callable[[UUID], list[Reject]]


class RejectList(Sequence[Reject]):
    """A batch's rejected lines, read a page at a time as they are walked: listing the first
    few of a refusal of any size reads only its first page."""

    def __init__(
        self, inline: list[Reject], page_ids: list[UUID], total: int, read: PageReader | None
    ) -> None:
        self.inline, self.page_ids, self.total, self.read = inline, page_ids, total, read

    def __len__(self) -> int:
        return self.total

    def __iter__(self) -> Iterator[Reject]:
        yield from self.inline
        if self.page_ids and self.read is None:
            msg = "a batch's rejects are read through replay.registry"
            raise RuntimeError(msg)
        for page in self.page_ids:
            assert self.read is not None
            yield from self.read(page)

    @overload
    def __getitem__(self, index: int) -> Reject: ...

    @overload
    def __getitem__(self, index: slice) -> list[Reject]: ...

    def __getitem__(self, index: int | slice) -> Reject | list[Reject]:
        if isinstance(index, slice):
            start, stop, step = index.indices(self.total)
            if step < 0:
                return list(self)[index]
            return list(islice(iter(self), start, stop, step))
        position = index + self.total if index < 0 else index
        if not 0 <= position < self.total:
            raise IndexError(index)
        return next(islice(iter(self), position, None))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RejectList({self.total} rejects)"


# ---- refusals at a glance ----

MAX_GROUPS = 50  # kinds of refusal a load keeps counts of; any more are counted as "other"
# The particulars of a reason: quoted values, times, dates, codes with digits or in capitals,
# entry numbers and other numbers. What is left says what kind of refusal it is. Each starts
# with a quote, a digit or a capital: the lookahead passes over other characters at once,
# several times faster than trying every alternative at each.
PARTICULARS = re.compile(
    r"(?=['\"\dA-Z])"
    r"(?:'[^']*'|\"[^\"]*\"|\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:?\d\d|Z)?"
    r"|\d{4}-\d\d-\d\d|\b[A-Z][A-Z0-9_]*\d[A-Z0-9_]*\b|\b[A-Z]{2,}\b|\b\d+\b)"
)


@lru_cache(maxsize=4096)
def kind_of(reason: str) -> str:
    """A refusal's reason with its particulars masked: the same rule broken by different
    lines reads the same."""
    return PARTICULARS.sub("…", reason)


@dataclass(frozen=True)
class RefusalGroup:
    """Refused lines of one kind: the field, the reason with particulars masked, how many,
    and the first of them."""

    field: str
    kind: str
    count: int
    example: Reject

    def as_dict(self) -> dict[str, Any]:
        """Kept with the batch and shown to anyone who may see it: the kind masks the
        particulars, and the example is named by its line (its reason is a reject's)."""
        return {
            "field": self.field,
            "kind": self.kind,
            "count": self.count,
            "first_line": self.example.line,
        }


class Grouper:
    """Counts refused lines by field and kind as they go by, keeping the first of each."""

    def __init__(self, most: int = MAX_GROUPS) -> None:
        self.most = most
        self.groups: dict[tuple[str, str], list[Any]] = {}

    def add(self, reject: Reject) -> None:
        key = (reject.field, kind_of(reject.reason))
        if key not in self.groups and len(self.groups) >= self.most:
            key = ("", "other kinds of refusal")
        found = self.groups.setdefault(key, [0, reject])
        found[0] += 1

    def result(self) -> list[RefusalGroup]:
        """The groups, the most lines first, then by first line."""
        found = [
            RefusalGroup(field, kind, count, example)
            for (field, kind), (count, example) in self.groups.items()
        ]
        return sorted(found, key=lambda g: (-g.count, g.example.line))


def grouped(rejects: Iterable[Reject], most: int = MAX_GROUPS) -> list[RefusalGroup]:
    grouper = Grouper(most)
    for reject in rejects:
        grouper.add(reject)
    return grouper.result()
