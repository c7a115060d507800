"""The people a batch touched, kept compactly: each person's id as two 64-bit halves in two
sorted arrays, so a national load's record of them costs 16 bytes a person rather than a
string, a list slot and a set entry (about 150 bytes), and its memory stays nearly flat."""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from uuid import UUID

HALF = 64
LOW = (1 << HALF) - 1
# Ids added since the last merge wait in a set: a merge moves each id in the arrays once.
FRESH = 4096
BLOCK = 32  # ids between two marks: the arrays are searched only within one such block


class Touched:
    """A set of person ids in 16 bytes each, walked in id order."""

    def __init__(self) -> None:
        # Each id's high and low halves, at the same index, sorted by id, no id twice.
        self._high, self._low = array("Q"), array("Q")
        self._fresh: set[int] = set()  # ids added since the last merge, none in the arrays
        self._marks: list[int] = []  # the high half of every BLOCK-th id, to search first

    def add(self, people: Iterable[str]) -> None:
        """Note people (ids as text); those already noted are counted once."""
        fresh = self._fresh
        for person in people:
            key = int(person.replace("-", ""), 16)
            if key not in fresh and not self._holds(key):
                fresh.add(key)
        if len(fresh) >= FRESH:
            self._merge()

    def __len__(self) -> int:
        return len(self._high) + len(self._fresh)

    def __contains__(self, person: object) -> bool:
        if not isinstance(person, str):
            return False
        key = UUID(person).int
        return key in self._fresh or self._holds(key)

    def __iter__(self) -> Iterator[str]:
        for span in self.spans(FRESH):
            yield from span

    def spans(self, size: int) -> Iterator[list[str]]:
        """The ids as text in id order, `size` at a time: only one span made at once."""
        self._merge()
        for start in range(0, len(self._high), size):
            pairs = zip(
                self._high[start : start + size], self._low[start : start + size], strict=True
            )
            yield [str(UUID(int=high << HALF | low)) for high, low in pairs]

    def _place(self, key: int) -> int:
        """Where the id is, or would go, among the arrays' ids."""
        high, low = key >> HALF, key & LOW
        block = bisect_left(self._marks, high)  # the first id of the high half is before it
        end = min(block * BLOCK, len(self._high)) if block < len(self._marks) else len(self._high)
        at = bisect_left(self._high, high, max(block - 1, 0) * BLOCK, end)
        while at < len(self._high) and self._high[at] == high and self._low[at] < low:
            at += 1  # the same high half: ordered by the low (practically never)
        return at

    def _holds(self, key: int) -> bool:
        at = self._place(key)
        return at < len(self._high) and self._high[at] == key >> HALF and self._low[at] == key & LOW

    def _merge(self) -> None:
        """The fresh ids merged into the arrays in place, from their ends, so the arrays are
        never held twice."""
        if not self._fresh:
            return
        fresh, self._fresh = sorted(self._fresh), set()
        places = [self._place(key) for key in fresh]
        end = len(self._high)  # old ids not yet moved are [0, end)
        for half in (self._high, self._low):
            half.frombytes(bytes(len(fresh) * half.itemsize))
        with memoryview(self._high) as high, memoryview(self._low) as low:
            for placed in range(len(fresh) - 1, -1, -1):
                at, shift, key = places[placed], placed + 1, fresh[placed]
                high[at + shift : end + shift] = high[at:end]
                low[at + shift : end + shift] = low[at:end]
                high[at + placed], low[at + placed] = key >> HALF, key & LOW
                end = at
        self._marks = self._high[::BLOCK].tolist()
