"""The collector's thresholds while bulk work runs: overlapping holders, in any order of leaving,
each get at least what they asked for, and the process's own come back when the last leaves."""

from __future__ import annotations

import gc
import random
import weakref
from contextlib import ExitStack

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.service.collector import LongLived, fewer_collections

ASKS = st.lists(
    st.tuples(st.integers(1, 100_000), st.integers(0, 100), st.booleans()), min_size=1, max_size=5
)


@settings(deadline=None)  # a full pass's length depends on the machine's load: never timed
@given(asks=ASKS, order=st.randoms(use_true_random=False))
def test_overlapping_holders_leave_the_process_as_it_was(
    asks: list[tuple[int, int, bool]], order: random.Random
) -> None:
    own, frozen = gc.get_threshold(), gc.get_freeze_count()
    stacks = [ExitStack() for _ in asks]
    for stack, (young, middle, freeze) in zip(stacks, asks, strict=True):
        stack.enter_context(fewer_collections(young, middle, freeze=freeze))
    # Check every holder has at least its asks, and the oldest generation is untouched.
    now = gc.get_threshold()
    assert now[0] == max([own[0], *(a[0] for a in asks)])
    assert now[1] == max([own[1], *(a[1] for a in asks)])
    assert now[2] == own[2]
    order.shuffle(stacks)
    for stack in stacks:
        stack.close()
    assert gc.get_threshold() == own
    # Check the set-aside state is as it was: nothing set aside if nothing was, and another
    # holder's set-aside left alone (its objects may die meanwhile, freed by other threads of
    # the test process, so its count can only fall).
    after = gc.get_freeze_count()
    assert after == 0 if frozen == 0 else 0 < after <= frozen


class Node:
    """Something that can sit in a reference cycle."""

    def __init__(self) -> None:
        self.other: Node | None = None


def test_a_server_sets_aside_what_outlives_each_full_pass() -> None:
    now = [0.0]
    with LongLived(rescan=600, clock=lambda: now[0]) as settled:
        made = [Node() for _ in range(1000)]
        gc.collect()
        # Check what outlived the pass is set aside: the oldest generation starts empty.
        assert settled.passes == 1
        assert gc.get_objects(generation=2) == []
        # A cycle among what was set aside stays until the next pass that sees everything.
        a, b = Node(), Node()
        a.other, b.other = b, a
        gone = weakref.ref(a)
        gc.collect()
        del a, b
        gc.collect()
        assert gone() is not None
        now[0] = 601  # the rescan is due: this pass releases everything, the next scans it
        gc.collect()
        gc.collect()
        assert gone() is None
        # Check what outlives that pass is set aside again.
        assert gc.get_objects(generation=2) == []
        assert settled.passes == 5
    assert settled._after not in gc.callbacks
    assert gc.get_freeze_count() == 0
    del made
