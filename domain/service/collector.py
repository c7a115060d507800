"""The cyclic garbage collector run less often while bulk work allocates, for everyone in the
process at once: loads, bulk reads, rebuilds and voids make many short-lived objects and no
cycles worth freeing early. Holders may overlap (across threads too); while any holds, each
threshold is the largest asked for, and the process's own is restored when the last leaves.
A long-running server instead keeps what survives each full pass out of the next (`LongLived`).
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holders: list[tuple[int, int]] = []  # (young, middle) thresholds each holder asked for
_saved = list(gc.get_threshold())  # the process's own thresholds, while anyone holds


@contextmanager
def fewer_collections(young: int, middle: int = 0, *, freeze: bool = False) -> Iterator[None]:
    """Collections of the youngest generation at most every `young` allocations (and of the
    middle one every `middle` young collections); with `freeze`, what the process made before
    is also kept out of full passes for the while, unless something keeps it out already."""
    wanted = (young, middle)
    with _lock:
        if not _holders:
            _saved[:] = gc.get_threshold()
        _holders.append(wanted)
        _apply()
        froze = freeze and not gc.get_freeze_count()
        if froze:
            gc.freeze()
    try:
        yield
    finally:
        with _lock:
            if froze:
                gc.unfreeze()
            _holders.remove(wanted)
            _apply()


def _apply() -> None:
    young = max([_saved[0], *(h[0] for h in _holders)])
    middle = max([_saved[1], *(h[1] for h in _holders)])
    gc.set_threshold(young, middle, _saved[2])


class LongLived:
    """For a long-running server: what survives each full collection is set aside (frozen),
    so the next full pass scans only what was made since. A server keeping thousands of people
    in memory otherwise stalls every request in flight for each pass over all of them (tens
    to hundreds of ms). Objects set aside that die are still freed at once unless they are in
    a cycle; every `rescan` seconds, the next full pass scans everything, so such cycles are
    found then."""

    def __init__(self, rescan: float = 600.0, clock: Callable[[], float] = time.monotonic):
        self.rescan, self.clock = rescan, clock
        self.since = clock()  # when everything was last released to be scanned
        self.passes = 0  # full passes seen

    def __enter__(self) -> LongLived:
        gc.freeze()
        gc.callbacks.append(self._after)
        return self

    def __exit__(self, *_: object) -> None:
        gc.callbacks.remove(self._after)
        gc.unfreeze()

    def _after(self, phase: str, info: dict[str, int]) -> None:
        if phase != "stop" or info["generation"] != 2:
            return
        self.passes += 1
        if self.clock() - self.since >= self.rescan:
            gc.unfreeze()  # the next full pass sees everything once
            self.since = self.clock()
        else:
            gc.freeze()
