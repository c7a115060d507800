"""A person read from their stored history in one step (the read models' bulk path) must be
the person the library's own replay makes, event by event, whatever the history holds."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import DomainError
from domain.person import events as ev
from domain.person.aggregate import Person
from tests.conftest import at, prov

PRISONS = ["LEI", "MDI"]


def history(steps: list[tuple[str, int]]) -> list[ev.PersonEvent]:
    person = Person.register(
        person_id=None,
        given_name="Ada",
        family_name="Byron",
        date_of_birth=date(1990, 1, 1),
        sex="F",
        identifiers={"NOMS": "A2222BB"},
        provenance=prov(at(-1), ref="reg"),
    )
    for n, (kind, prison) in enumerate(steps):
        given = prov(at(n), ref=f"r{n}", batch="B1" if n % 2 else None)
        code = PRISONS[prison]
        try:
            if kind == "admit":
                person.admit(given, prison=code, reason="N")
            elif kind == "cell":
                person.move_cell(given, prison=code, cell="A-1-001")
            elif kind == "late":  # recorded now, having happened a day and a half before
                late = prov(at(n - 1.5), ref=f"r{n}")
                person.move_cell(late, prison=code, cell="A-1-002")
            elif kind == "release":
                person.release(given, from_agency=code, reason="CR")
            elif kind == "void" and person.entries:
                why = prov(at(n), ref=f"r{n}", reason="entered in error")
                person.void(why, entries=[person.entries[-1].originator_version])
        except DomainError:
            continue
    return cast(list[ev.PersonEvent], person.collect_events())


def replayed(events: list[ev.PersonEvent]) -> Person:
    """The library's own way: each event mutates what the one before made."""
    person: Any = None
    for event in events:
        person = event.mutate(person)
    return cast(Person, person)


steps = st.lists(
    st.tuples(st.sampled_from(["admit", "cell", "release", "void"]), st.integers(0, 1)),
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(steps)
def test_a_person_from_history_is_the_librarys_replay(chosen: list[tuple[str, int]]) -> None:
    events = history(chosen)
    fast, slow = Person.from_history(events), replayed(events)
    assert type(fast) is Person
    assert vars(fast) == vars(slow)
    assert fast.state() == slow.state()


def test_a_broken_history_is_refused() -> None:
    events = history([("admit", 0), ("cell", 0), ("release", 0)])
    with pytest.raises(ValueError, match="not contiguous"):
        Person.from_history([events[0], *events[2:]])
    other = history([("admit", 1)])
    with pytest.raises(ValueError, match="not contiguous"):
        Person.from_history([events[0], other[1]])
