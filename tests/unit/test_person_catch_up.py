"""A person kept in memory and brought up to date with only the events stored since (another
process's) is the person read afresh from the whole history: same version, state and fold, so
the next check refuses and accepts exactly what it would have. A copy a command works on leaves
the person it was copied from as it was."""

from __future__ import annotations

import pytest
from eventsourcing.domain import OriginatorVersionError
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import DomainError
from domain.person.aggregate import Person
from tests.conftest import at, prov
from tests.unit.test_person_history import history

# Entries, late entries (before some already recorded) and voids, on either of two prisons.
steps = st.lists(
    st.tuples(st.sampled_from(["admit", "cell", "late", "release", "void"]), st.integers(0, 1)),
    max_size=25,
)


def same_fold(a: Person, b: Person) -> None:
    ours, theirs = a._settled(), b._settled()
    assert ours.taken == theirs.taken
    assert ours.conflicts == theirs.conflicts
    assert ours.last_at == theirs.last_at
    assert vars(ours.journey) == vars(theirs.journey)


def outcome(person: Person, days: float, prison: str) -> str:
    """What a further cell move does: recorded, or the refusal's reason."""
    try:
        person.copied().move_cell(prov(at(days)), prison=prison, cell="B-2-002")
    except DomainError as refused:
        return refused.reason
    return "recorded"


@settings(max_examples=300, deadline=None)
@given(steps, st.integers(1, 30), st.floats(-3, 30), st.sampled_from(["LEI", "MDI"]))
def test_a_kept_person_caught_up_is_the_person_read_afresh(
    chosen: list[tuple[str, int]], split: int, days: float, prison: str
) -> None:
    events = history(chosen)
    split = min(split, len(events))
    kept = Person.from_history(events[:split])
    kept._settled()  # as a kept person has it: the last check's fold
    kept.catch_up(events[split:])
    fresh = Person.from_history(events)
    assert kept.version == fresh.version
    assert kept.state() == fresh.state()
    same_fold(kept, fresh)
    # Check the next command, at any moment, is judged the same either way.
    assert outcome(kept, days, prison) == outcome(fresh, days, prison)


def test_later_entries_extend_the_kept_fold_and_others_leave_it_to_be_folded_afresh() -> None:
    events = history([("admit", 0), ("cell", 0), ("cell", 0), ("cell", 0), ("void", 0)])
    kept = Person.from_history(events[:3])
    kept._settled()
    kept.catch_up(events[3:4])  # an entry later than all: the fold is extended, not redone
    extended = kept._folded
    assert extended is not None and extended.taken == (len(kept.entries), 0)
    same_fold(kept, Person.from_history(events[:4]))
    kept.catch_up(events[4:])  # a void: the next check folds afresh
    assert kept._folded is extended and len(kept.corrections) == 1
    same_fold(kept, Person.from_history(events))


def test_catching_up_refuses_anything_but_the_next_events() -> None:
    events = history([("admit", 0), ("cell", 0), ("cell", 1), ("release", 0)])
    kept = Person.from_history(events[:2])
    with pytest.raises(OriginatorVersionError):
        kept.catch_up(events[3:])  # a gap: version 3 was never taken


def test_a_copy_leaves_the_person_it_was_copied_from_as_it_was() -> None:
    events = history([("admit", 0), ("cell", 0), ("cell", 0)])
    person = Person.from_history(events)
    person._settled()
    before = (person.version, list(person.entries), dict(person.refs), person._folded)
    copy = person.copied()
    copy.move_cell(prov(at(10), ref="r99"), prison="LEI", cell="C-3-003")
    copy.void(prov(at(11), reason="entered in error"), entries=[2])
    assert copy.version == person.version + 2 and copy.collect_events()
    assert (person.version, list(person.entries), dict(person.refs), person._folded) == before
    assert not person.collect_events()
