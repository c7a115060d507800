"""Concurrent requests' database work, done together: one statement answers a batch.

Most of what a short statement costs, the database's work and this process's alike, is paid per
statement and per transaction rather than per row. A `Batcher` sends whatever arrived while the
previous batch was being answered as the next batch, so under load many requests share one round
trip, and a lone request goes at once: nothing waits to fill a batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import psycopg

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    """Answers items through `run`, which takes a batch and returns one result per item, in
    order, or raises. A batch refused for its content is retried item by item, so one bad item
    fails only its own request; a lost connection fails the whole batch at once."""

    MAX_ITEMS = 100
    IN_FLIGHT = 2  # batches being answered at once

    def __init__(self, run: Callable[[list[T]], Awaitable[list[R]]]) -> None:
        self.run = run
        self.waiting: list[tuple[T, asyncio.Future[R]]] = []
        self.tasks: set[asyncio.Task[None]] = set()  # held, so none is collected early
        self.active = 0  # drains not yet finished, counted in step with `waiting`

    async def submit(self, item: T) -> R:
        """The item's result once its batch has been answered; what `run` raised if not."""
        answer: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self.waiting.append((item, answer))
        if self.active < self.IN_FLIGHT:
            self.active += 1
            task = asyncio.create_task(self.drain())
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return await answer

    async def drain(self) -> None:
        # Stops only when it finds nothing waiting, and counts itself out in the same step, so
        # an item added after that starts a drain of its own.
        try:
            while self.waiting:
                batch = self.waiting[: self.MAX_ITEMS]
                del self.waiting[: self.MAX_ITEMS]
                try:
                    await self.answer(batch)
                except BaseException:  # cancelled at shutdown: no request is left waiting
                    for _, answer in batch:
                        answer.cancel()
                    raise
        finally:
            self.active -= 1

    async def answer(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await self.run([item for item, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"{len(results)} results for a batch of {len(batch)}")
        except psycopg.OperationalError as exc:
            for _, answer in batch:
                fail(answer, exc)
        except Exception as exc:
            if len(batch) == 1:
                fail(batch[0][1], exc)
                return
            for one in batch:
                await self.answer([one])
        else:
            for (_, answer), result in zip(batch, results, strict=True):
                if not answer.done():  # its request was cancelled; the work was done anyway
                    answer.set_result(result)


def fail(answer: asyncio.Future[R], error: Exception) -> None:
    if not answer.done():
        answer.set_exception(error)
