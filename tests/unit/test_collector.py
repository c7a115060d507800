"""The collector's thresholds while bulk work runs: overlapping holders, in any order of leaving,
each get at least what they asked for, and the process's own come back when the last leaves."""

from __future__ import annotations

import gc
import random
from contextlib import ExitStack

from hypothesis import given
from hypothesis import strategies as st

from domain.service.collector import fewer_collections

ASKS = st.lists(
    st.tuples(st.integers(1, 100_000), st.integers(0, 100), st.booleans()), min_size=1, max_size=5
)


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
    assert gc.get_freeze_count() == frozen
