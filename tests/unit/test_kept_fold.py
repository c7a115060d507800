"""A person kept between commands checks each new entry against the fold its last check left;
a person read afresh folds the whole history. Random commands, some backdated, some several
at once, some voids: both must accept and refuse the same, naming the same entry and reason,
and end in the same state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, cast

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from domain.errors import DomainError, ImpossibleJourney
from domain.person import events as ev
from domain.person.aggregate import Person
from domain.provenance import Provenance
from tests.conftest import at, prov

PRISONS = ["LEI", "MDI", "WYI"]
COURT = "LEEDCC"
Act = Callable[[Person, Provenance], object]

ACTS: dict[str, Callable[[str, str], Act]] = {
    "admit": lambda a, _b: lambda p, v: p.admit(v, prison=a, reason="N"),
    "transfer": lambda a, b: lambda p, v: p.transfer_out(v, from_prison=a, to_prison=other(a, b)),
    "arrive": lambda a, _b: lambda p, v: p.arrive(v, prison=a),
    "court_out": lambda a, _b: lambda p, v: p.court_out(v, prison=a, court=COURT),
    "court_in": lambda a, _b: lambda p, v: p.court_return(v, court=COURT, prison=a),
    "tap_out": lambda a, _b: lambda p, v: p.tap_out(v, prison=a, reason="RO"),
    "tap_in": lambda a, _b: lambda p, v: p.tap_return(v, prison=a, reason="RO"),
    "release": lambda a, _b: lambda p, v: p.release(v, from_agency=a, reason="CR"),
    "cell": lambda a, _b: lambda p, v: p.move_cell(v, prison=a, cell="A-1-001"),
}


def other(a: str, b: str) -> str:
    return b if b != a else PRISONS[(PRISONS.index(a) + 1) % len(PRISONS)]


step = st.tuples(
    st.sampled_from([*ACTS, "void"]),
    st.sampled_from(PRISONS),
    st.sampled_from(PRISONS),
    st.one_of(st.just(0.0), st.floats(0.01, 3)),  # days after the latest so far (0: a tie)
    st.sampled_from([0.0, 0.0, 0.0, 0.0, 1.0, 5.0]),  # days backdated
    st.integers(1, 3),  # entries recorded together
)


def registered() -> Person:
    return Person.register(
        person_id=None,
        given_name="Kept",
        family_name="Fold",
        date_of_birth=date(1990, 1, 1),
        sex=None,
        identifiers={"NOMS": "A1111AA"},
        provenance=prov(at(-1)),
    )


def voiding(entry: int) -> Act:
    return lambda p, v: p.void(v, entries=[entry])


def outcome(person: Person, acts: list[tuple[Act, Provenance]]) -> tuple[Any, ...]:
    """What a person says to some commands: the versions recorded, or the refusal."""
    try:
        if len(acts) == 1:
            return ("ok", acts[0][0](person, acts[0][1]))
        with person.together():
            done = [act(person, given) for act, given in acts]
        return ("ok", *done)
    except ImpossibleJourney as refusal:
        return ("refused", refusal.field, refusal.reason, refusal.entry)
    except DomainError as error:
        return ("invalid", error.field, error.reason)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=1, max_size=60))
def test_a_kept_person_checks_as_one_read_afresh(steps: list[tuple[Any, ...]]) -> None:
    kept = registered()
    history = cast(list[ev.PersonEvent], kept.collect_events())
    latest = 0.0
    for kind, a, b, gap, back, count in steps:
        fresh = Person.from_history(history)
        if kind == "void":
            live = [e.originator_version for e in kept.active_entries()]
            acts: list[tuple[Act, Provenance]] = []
            if live:
                entry = live[-min(count, len(live))]  # one of the latest: they matter most
                why = prov(at(latest), reason="test")
                acts = [(voiding(entry), why)]
            if live and count == 1:  # with a new entry, recorded together
                acts.append((ACTS["cell"](a, b), prov(at(latest + gap))))
        else:
            acts = [
                (ACTS[kind](a, b), prov(at(max(latest + gap * (i + 1) - back, 0.0))))
                for i in range(count)
            ]
        if not acts:
            continue
        said = outcome(kept, acts)
        event(f"{said[0]} {kind} {len(acts)}")
        # Check the kept person and the one read afresh say the same.
        assert said == outcome(fresh, acts)
        if said[0] != "ok":
            # Check a refused command leaves the kept person as they were.
            assert kept.version == history[-1].originator_version
            continue
        history.extend(cast(list[ev.PersonEvent], kept.collect_events()))
        days = [(given.occurred_at - at(0)).total_seconds() / 86400 for _, given in acts]
        latest = max(latest, *days)
        # Check both end where the whole history, folded afresh, puts the person.
        assert kept.state() == Person.from_history(history).state()


def test_a_kept_check_reuses_the_last_fold() -> None:
    # Check the fold is carried forward: the second live entry folds only itself.
    person = registered()
    person.admit(prov(at(0)), prison="LEI", reason="N")
    first = person._folded
    assert first is not None and first.taken == (1, 0)
    person.move_cell(prov(at(1)), prison="LEI", cell="A-1-001")
    second = person._folded
    assert second is not None and second.taken == (2, 0) and second is not first
    assert second.journey.location.agency == "LEI"
    # Check a refusal keeps the fold as it was, and names the entry it would have been.
    refused = outcome(person, [(ACTS["arrive"]("MDI", ""), prov(at(2)))])
    assert refused[0] == "refused" and refused[3] == 4
    assert person._folded is second
    assert isinstance(person.entries[-1], ev.CellMoved)


def test_an_entry_at_the_latest_moment_is_folded_with_the_history() -> None:
    # Check an entry tied with the latest is ordered with it, not simply after it: back from
    # court and released at one moment is possible in that order only.
    person = registered()
    person.admit(prov(at(0)), prison="LEI", reason="N")
    person.court_out(prov(at(1)), prison="LEI", court=COURT)
    person.release(prov(at(2)), from_agency="LEI", reason="CR")
    person.court_return(prov(at(2)), court=COURT, prison="LEI")
    state = person.state()
    assert state is not None and state.anomalies == ()
