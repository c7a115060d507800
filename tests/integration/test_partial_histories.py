"""Histories that start part way through custody, as every real extract does: the first record
presumes an opening position, marked as inferred from it; an earlier record loaded later takes
its place; a record that contradicts the history is still refused, naming the entry."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from domain.errors import ImpossibleJourney
from domain.person.state import Responsibility, Status
from domain.service.application import JourneyApp
from domain.service.catalogue import (
    Admit,
    Arrive,
    Command,
    CourtOut,
    CourtReturn,
    Release,
    TapReturn,
    TransferOut,
    TransferViaCourt,
)
from tests.conftest import at, prov
from tests.helpers import register

numbers = itertools.count(1000)


def registered(app: JourneyApp) -> str:
    noms = f"P{next(numbers)}PH"
    register(app, noms, "Part", "Way", date(1979, 3, 3), when=at(0))
    return noms


# The first record, the opening it presumes (status, agency, holding prison), and where the
# person is after it.
FIRSTS = [
    (TransferOut(from_prison="LEI", to_prison="MDI"), (Status.IN, "LEI", "LEI"), Status.TRANSIT),
    (Release(from_agency="MDI", movement_reason="CR"), (Status.IN, "MDI", "MDI"), Status.RELEASED),
    (
        Release(from_agency="LEEDCC", movement_reason="NG"),
        (Status.COURT, "LEEDCC", None),
        Status.RELEASED,
    ),
    (CourtReturn(court="LEEDCC", prison="LEI"), (Status.COURT, "LEEDCC", "LEI"), Status.IN),
    (TapReturn(prison="WYI", movement_reason="RO"), (Status.TAP, "OUT", "WYI"), Status.IN),
    (Arrive(prison="MDI", from_prison="LEI"), (Status.TRANSIT, "TRN", "LEI"), Status.IN),
    (TransferViaCourt(from_prison="LEI", prison="MDI"), (Status.COURT, None, "LEI"), Status.IN),
    (CourtOut(prison="LEI", court="LEEDCC"), (Status.IN, "LEI", "LEI"), Status.COURT),
]


@pytest.mark.parametrize(("first", "opening", "after"), FIRSTS)
def test_a_first_record_presumes_its_opening(
    memory_app: JourneyApp,
    first: Command,
    opening: tuple[Status, str | None, str | None],
    after: Status,
) -> None:
    noms = registered(memory_app)
    recorded = memory_app.handle(noms, [first], prov(at(5)))
    state = memory_app.state(noms)
    assert state is not None and state.opening is not None
    # Check the opening is where the record leaves from, marked with the entry implying it.
    found = state.opening.location
    assert (found.status, found.agency, found.prison) == opening
    assert state.opening.entry == recorded.entry
    assert state.location.status is after
    assert state.anomalies == ()
    # Check a person presumed in custody is the prison service's case from that record, until
    # a release on licence (CR) passes it to the community or one not guilty (NG) to nobody.
    held = {"CR": Responsibility.COMMUNITY, "NG": None}
    expected = held.get(getattr(first, "movement_reason", ""), Responsibility.CUSTODY)
    assert state.ownership.responsibility is expected


def test_an_earlier_record_loaded_later_takes_the_place_of_the_inference(
    memory_app: JourneyApp,
) -> None:
    noms = registered(memory_app)
    memory_app.handle(noms, [TransferOut(from_prison="LEI", to_prison="MDI")], prov(at(5)))
    memory_app.handle(noms, [Admit(prison="LEI", movement_reason="N")], prov(at(1)))
    state = memory_app.state(noms)
    assert state is not None
    # Check the admission now opens the history: nothing is inferred.
    assert state.opening is None
    assert (state.location.status, state.location.destination) == (Status.TRANSIT, "MDI")
    assert [(s.prison, s.start) for s in state.stays] == [("LEI", at(1))]


def test_what_the_history_contradicts_is_still_refused(memory_app: JourneyApp) -> None:
    noms = registered(memory_app)
    first = memory_app.handle(noms, [Release(from_agency="MDI", movement_reason="CR")], prov(at(5)))
    # Check a transfer out of LEI after the release from MDI is refused, naming the release.
    with pytest.raises(ImpossibleJourney) as refused:
        memory_app.handle(noms, [TransferOut(from_prison="LEI", to_prison="MDI")], prov(at(6)))
    assert refused.value.field == "from_agency"
    assert refused.value.conflicting_entry == first.entry
    # Check an earlier record that does not fit the inferred opening is refused too: the person
    # cannot be admitted to LEI and then released from MDI without a movement between.
    with pytest.raises(ImpossibleJourney):
        memory_app.handle(noms, [Admit(prison="LEI", movement_reason="N")], prov(at(4)))
