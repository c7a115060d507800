"""The people a batch touched, kept compactly: each person's id as its 16 bytes in one sorted
buffer, so a national load's record of them costs about 17 bytes a person rather than a
string, a list slot and a set entry (about 150 bytes), and its memory stays nearly flat."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from uuid import UUID

SIZE = 16  # bytes of one person's id
BLOCK = 64  # ids a block of the buffer holds; the first of each is indexed
# Ids added since the last merge wait in a set: a merge moves each id in the buffer once.
FRESH = 4096


class _Keys:
    """The sorted buffer read as a sequence of ids, for `bisect`."""

    def __init__(self, buffer: bytearray) -> None:
        self.buffer = buffer

    def __len__(self) -> int:
        return len(self.buffer) // SIZE

    def __getitem__(self, index: int) -> bytes:
        return bytes(self.buffer[index * SIZE : (index + 1) * SIZE])


class Touched:
    """A set of person ids in 16 bytes each, walked in id order."""

    def __init__(self) -> None:
        self._sorted = bytearray()  # unique ids in order, SIZE bytes each
        self._index: list[bytes] = []  # the first id of each BLOCK of _sorted
        self._fresh: set[bytes] = set()  # ids added since the last merge, none in _sorted

    def add(self, people: Iterable[str]) -> None:
        """Note people (ids as text); those already noted are counted once."""
        for person in people:
            key = bytes.fromhex(person.replace("-", ""))
            if key not in self._fresh and not self._holds(key):
                self._fresh.add(key)
        if len(self._fresh) >= FRESH:
            self._merge()

    def __len__(self) -> int:
        return len(self._sorted) // SIZE + len(self._fresh)

    def __contains__(self, person: object) -> bool:
        if not isinstance(person, str):
            return False
        key = bytes.fromhex(person.replace("-", ""))
        return key in self._fresh or self._holds(key)

    def __iter__(self) -> Iterator[str]:
        for span in self.spans(FRESH):
            yield from span

    def spans(self, size: int) -> Iterator[list[str]]:
        """The ids as text in id order, `size` at a time: only one span made at once."""
        self._merge()
        for start in range(0, len(self._sorted), size * SIZE):
            chunk = bytes(self._sorted[start : start + size * SIZE])
            yield [str(UUID(bytes=chunk[i : i + SIZE])) for i in range(0, len(chunk), SIZE)]

    def _holds(self, key: bytes) -> bool:
        """Whether the buffer holds the id: its block found by the index, then searched."""
        block = bisect_right(self._index, key) - 1
        if block < 0:
            return False
        found = self._sorted[block * BLOCK * SIZE : (block + 1) * BLOCK * SIZE]
        at = found.find(key)
        while at > 0 and at % SIZE:  # a match straddling two ids is no match
            at = found.find(key, at + 1)
        return at >= 0

    def _merge(self) -> None:
        """The fresh ids merged into the buffer in place, from its end, so the buffer is never
        held twice."""
        if not self._fresh:
            return
        fresh, self._fresh = sorted(self._fresh), set()
        places = [self._place(key) for key in fresh]
        end = len(self._sorted) // SIZE  # old ids not yet moved are [0, end)
        self._sorted.extend(bytes(len(fresh) * SIZE))
        with memoryview(self._sorted) as view:
            for placed in range(len(fresh) - 1, -1, -1):
                at, shift = places[placed], placed + 1
                view[(at + shift) * SIZE : (end + shift) * SIZE] = view[at * SIZE : end * SIZE]
                view[(at + placed) * SIZE : (at + shift) * SIZE] = fresh[placed]
                end = at
        self._index = [
            bytes(self._sorted[start : start + SIZE])
            for start in range(0, len(self._sorted), BLOCK * SIZE)
        ]

    def _place(self, key: bytes) -> int:
        """Where the id goes among the buffer's ids before the merge."""
        block = bisect_right(self._index, key) - 1
        low = max(block, 0) * BLOCK
        keys = _Keys(self._sorted)
        return bisect_left(keys, key, low, min(low + BLOCK, len(keys)))
