"""The people a batch touched, kept compactly: each person's id as two 64-bit halves in two
sorted arrays, so a national load's record of them costs 16 bytes a person rather than a
string, a list slot and a set entry (about 150 bytes), and its memory stays nearly flat."""

from __future__ import annotations

import sys
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from uuid import UUID

HALF = 64
LOW = (1 << HALF) - 1
BLOCK = 32  # ids between two marks: the arrays are searched only within one such block


class Touched:
    """A set of person ids in 16 bytes each, walked in id order. Ids noted wait as they came
    until the set is next counted or walked: a load counts after each transaction, so few
    wait; a batch read back from its events converts and sorts them all at once, in C."""

    def __init__(self) -> None:
        # Each id's high and low halves, at the same index, sorted by id, no id twice.
        self._high, self._low = array("Q"), array("Q")
        self._marks: list[int] = []  # the high half of every BLOCK-th id, searched first
        self._fresh: set[str] = set()  # ids noted since the last merge

    def add(self, people: Iterable[str]) -> None:
        """Note people, their ids as `str(UUID)` writes them; one noted again counts once."""
        self._fresh.update(people)

    def settle(self) -> None:
        """Merge the ids waiting into the arrays."""
        self._merge()

    def __len__(self) -> int:
        self._merge()
        return len(self._high)

    def __contains__(self, person: object) -> bool:
        if not isinstance(person, str):
            return False
        key = UUID(person).int
        return person in self._fresh or self._holds(key >> HALF, key & LOW)

    def __iter__(self) -> Iterator[str]:
        for span in self.spans(4096):
            yield from span

    def spans(self, size: int) -> Iterator[list[str]]:
        """The ids as text in id order, `size` at a time: only one span made at once."""
        self._merge()
        for start in range(0, len(self._high), size):
            high, low = self._high[start : start + size], self._low[start : start + size]
            yield [str(UUID(int=h << HALF | lo)) for h, lo in zip(high, low, strict=True)]

    def _place(self, high: int, low: int) -> int:
        """Where the id is, or would go, among the arrays' ids."""
        block = bisect_left(self._marks, high)  # the first id of the high half is before it
        end = min(block * BLOCK, len(self._high)) if block < len(self._marks) else len(self._high)
        at = bisect_left(self._high, high, max(block - 1, 0) * BLOCK, end)
        while at < len(self._high) and self._high[at] == high and self._low[at] < low:
            at += 1  # the same high half: ordered by the low (practically never)
        return at

    def _holds(self, high: int, low: int) -> bool:
        at = self._place(high, low)
        return at < len(self._high) and self._high[at] == high and self._low[at] == low

    def _merge(self) -> None:
        """The ids noted since merged into the arrays: all at once into empty ones, else each
        in place, from the arrays' ends, so the arrays are never held twice."""
        if not self._fresh:
            return
        high, low = _halves(sorted(self._fresh))  # text sorts as the ids do
        self._fresh = set()
        if not self._high:
            self._high, self._low = high, low
        else:
            new = [(h, lo) for h, lo in zip(high, low, strict=True) if not self._holds(h, lo)]
            self._insert(new)
        self._marks = self._high[::BLOCK].tolist()

    def _insert(self, fresh: list[tuple[int, int]]) -> None:
        places = [self._place(h, lo) for h, lo in fresh]
        end = len(self._high)  # old ids not yet moved are [0, end)
        for half in (self._high, self._low):
            half.frombytes(bytes(len(fresh) * half.itemsize))
        with memoryview(self._high) as highs, memoryview(self._low) as lows:
            for placed in range(len(fresh) - 1, -1, -1):
                at, shift = places[placed], placed + 1
                highs[at + shift : end + shift] = highs[at:end]
                lows[at + shift : end + shift] = lows[at:end]
                highs[at + placed], lows[at + placed] = fresh[placed]
                end = at


def _halves(ordered: list[str]) -> tuple[array[int], array[int]]:
    """Ids as text made into their high and low halves in one pass in C."""
    both = array("Q")
    both.frombytes(bytes.fromhex("".join(ordered).replace("-", "")))
    if sys.byteorder == "little":  # the text is big-endian
        both.byteswap()
    return both[0::2], both[1::2]
