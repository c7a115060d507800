"""Bounded caches (data keys, kept claims): the oldest give way, in batches, within bounds."""

from __future__ import annotations

from domain.service.caches import bounded, oldest


def test_nothing_is_dropped_within_the_bound() -> None:
    held = {bytes([i]): i for i in range(16)}
    assert oldest(held, 16) == []
    assert oldest(held, 100) == []


def test_the_oldest_go_first_an_eighth_of_the_bound_at_once() -> None:
    held = {i.to_bytes(4, "big"): i for i in range(1001)}
    dropped = oldest(held, 1000)
    # Check one over the bound drops it and an eighth more, all from the front.
    assert dropped == [i.to_bytes(4, "big") for i in range(1 + 125)]


def test_a_cache_fed_one_at_a_time_stays_within_its_bound_and_keeps_the_newest() -> None:
    bound, held = 800, {}
    for i in range(20_000):
        held[i.to_bytes(4, "big")] = i
        for key in oldest(held, bound):
            del held[key]
        assert len(held) <= bound
    # Check what is kept is the newest run of keys, in the order they came.
    kept = list(held.values())
    assert kept == list(range(kept[0], 20_000))
    assert len(kept) > bound - bound // 8


def test_a_bounded_put_keeps_the_value_just_put() -> None:
    held: dict[str, int] = {}
    for i in range(5_000):
        bounded(held, f"k{i}", i, 64)
        assert held[f"k{i}"] == i and len(held) <= 64
