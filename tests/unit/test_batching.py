"""The batcher: concurrent items share batches, each gets its own result or error."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

from api.batching import Batcher
from tests import aio


class Doubler:
    """Doubles numbers a batch at a time, refusing any batch holding a negative number."""

    def __init__(self, delay: float = 0.01) -> None:
        self.batches: list[list[int]] = []
        self.delay = delay

    async def run(self, items: list[int]) -> list[int]:
        self.batches.append(list(items))
        await asyncio.sleep(self.delay)
        if any(n < 0 for n in items):
            raise ValueError("negative")
        return [2 * n for n in items]


def test_concurrent_items_share_batches_and_each_gets_its_own_result() -> None:
    doubler = Doubler()

    async def scenario() -> list[int]:
        batcher = Batcher(doubler.run)
        return await asyncio.gather(*(batcher.submit(n) for n in range(50)))

    assert aio.run(scenario()) == [2 * n for n in range(50)]
    # Check no item was answered twice or left out, and the work went in few batches.
    assert sorted(n for batch in doubler.batches for n in batch) == list(range(50))
    assert len(doubler.batches) <= 4


def test_a_lone_item_goes_at_once_and_a_later_one_starts_a_new_batch() -> None:
    doubler = Doubler(delay=0)

    async def scenario() -> list[int]:
        batcher = Batcher(doubler.run)
        first = await batcher.submit(1)
        # Check an item submitted just as the previous drain ends is still answered.
        second = await asyncio.wait_for(batcher.submit(2), timeout=5)
        third = await asyncio.wait_for(batcher.submit(3), timeout=5)
        return [first, second, third]

    assert aio.run(scenario()) == [2, 4, 6]
    assert doubler.batches == [[1], [2], [3]]


def test_a_refused_batch_is_retried_item_by_item_so_only_the_bad_item_fails() -> None:
    doubler = Doubler()

    async def scenario() -> list[int | BaseException]:
        batcher = Batcher(doubler.run)
        await asyncio.sleep(0)
        return await asyncio.gather(
            *(batcher.submit(n) for n in (1, -1, 3, 4)), return_exceptions=True
        )

    results = aio.run(scenario())
    assert results[0] == 2 and results[2] == 6 and results[3] == 8
    assert isinstance(results[1], ValueError)


def test_a_lost_connection_fails_every_item_of_the_batch_without_retrying() -> None:
    calls: list[list[int]] = []

    async def run(items: list[int]) -> list[int]:
        calls.append(items)
        await asyncio.sleep(0.01)
        raise psycopg.OperationalError("connection lost")

    async def scenario() -> list[int | BaseException]:
        batcher = Batcher(run)
        return await asyncio.gather(*(batcher.submit(n) for n in range(6)), return_exceptions=True)

    results = aio.run(scenario())
    assert all(isinstance(r, psycopg.OperationalError) for r in results)
    assert sum(len(c) for c in calls) == 6  # each item tried once


def test_a_cancelled_request_leaves_the_others_answered() -> None:
    doubler = Doubler(delay=0.05)

    async def scenario() -> list[int]:
        batcher = Batcher(doubler.run)
        tasks = [asyncio.create_task(batcher.submit(n)) for n in range(5)]
        await asyncio.sleep(0.01)
        tasks[2].cancel()
        done = await asyncio.gather(*tasks, return_exceptions=True)
        with pytest.raises(asyncio.CancelledError):
            raise done[2]  # type: ignore[misc]
        return [r for i, r in enumerate(done) if i != 2]  # type: ignore[misc]

    assert aio.run(scenario()) == [0, 2, 6, 8]


def test_a_result_count_that_does_not_match_fails_the_batch() -> None:
    async def run(items: list[int]) -> list[int]:
        return items[:-1]

    async def scenario() -> None:
        await Batcher(run).submit(1)

    with pytest.raises(RuntimeError, match="0 results for a batch of 1"):
        aio.run(scenario())
