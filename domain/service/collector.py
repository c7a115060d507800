"""The cyclic garbage collector run less often while bulk work allocates, for everyone in the
process at once: loads, bulk reads, rebuilds and voids make many short-lived objects and no
cycles worth freeing early. Holders may overlap (across threads too); while any holds, each
threshold is the largest asked for, and the process's own is restored when the last leaves.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
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
