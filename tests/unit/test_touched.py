"""A batch's record of the people it touched: exact as a set, and small at national size."""

from __future__ import annotations

import random
import tracemalloc
from uuid import UUID

from domain.service.application import JourneyApp
from domain.service.settings import Settings
from replay import registry
from replay.batch import Progress
from replay.touched import Touched
from tests.helpers import loader_batch


def ids(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [str(UUID(int=rng.getrandbits(128))) for _ in range(count)]


def test_people_noted_in_any_order_and_again_are_held_once_in_id_order() -> None:
    rng = random.Random(3)
    people = ids(3 * 4096 + 77, 1)
    touched, expected = Touched(), set[str]()
    for start in range(0, len(people), 250):
        # Each chunk's people, with some noted by earlier chunks noted again.
        chunk = people[start : start + 250] + rng.sample(people[: start + 1], min(start + 1, 40))
        touched.add(sorted(set(chunk)))
        expected.update(chunk)
        assert len(touched) == len(expected)
    assert list(touched) == sorted(expected)
    assert all(p in touched for p in people[::97])
    assert not any(p in touched for p in ids(50, 2))
    spans = list(touched.spans(1000))
    assert [len(s) for s in spans[:-1]] == [1000] * (len(spans) - 1)
    assert [p for s in spans for p in s] == sorted(expected)


def test_a_batch_counts_a_person_recorded_by_two_transactions_once() -> None:
    batch = loader_batch("twice", "NOMIS", "0" * 64)
    first, second = ids(2, 4)
    batch.recorded(Progress(people={first, second}, entries=2))
    batch.recorded(Progress(people={second}, entries=1))
    assert batch.counts.people == 2 and batch.people == sorted([first, second])


def test_a_batch_keeps_its_people_in_about_sixteen_bytes_each() -> None:
    # A national load touches hundreds of thousands of people: at the ~150 bytes each of a
    # list of strings and a set, the load's peak grew by 30 MiB from 20,000 to 200,000.
    people = ids(60_000, 5)
    batch = loader_batch("large", "NOMIS", "0" * 64)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for start in range(0, len(people), 200):
            # Each chunk's ids made afresh, as decoded from its stored event.
            chunk = {str(UUID(p)) for p in people[start : start + 200]}
            batch.recorded(Progress(people=chunk, entries=200))
            batch.collect_events()  # saved with the chunk's people, as a load does
        held, peak = (m - before for m in tracemalloc.get_traced_memory())
    finally:
        tracemalloc.stop()
    assert batch.counts.people == len(people)
    assert held < 24 * len(people), held
    assert peak < 32 * len(people), peak


def test_a_batch_read_back_counts_each_person_once_and_walks_them_in_spans() -> None:
    app = JourneyApp(Settings(database_url="memory://"))
    people = ids(900, 6)
    batch = loader_batch("again", "NOMIS", "0" * 64)
    for start in range(0, len(people), 200):
        # Each transaction names some people an earlier one named.
        batch.recorded(Progress(people=set(people[max(start - 50, 0) : start + 200]), entries=1))
    app.save(batch)
    found = registry.batch(app, "again")
    assert found.counts.people == len(people)
    assert [p for span in found.touched.spans(128) for p in span] == sorted(people)
    assert people[0] in found.touched and ids(1, 7)[0] not in found.touched
