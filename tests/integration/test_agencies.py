"""Hospitals, immigration and other agencies, as NOMIS movements name them: the person's
location names the place and its kind; a restricted patient is released from the hospital."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from domain import reference
from domain.errors import ImpossibleJourney
from domain.person.state import AgencyKind, PersonState, Status
from domain.service.application import JourneyApp
from domain.service.catalogue import Admit, Command, Release, TapOut
from tests.conftest import at, prov
from tests.helpers import register

numbers = itertools.count(1000)


def history(app: JourneyApp, *commands: Command) -> tuple[str, PersonState]:
    """A new person with these records, one a day from day 1: their number and their state."""
    noms = f"H{next(numbers)}AG"
    register(app, noms, "Ann", "Agency", date(1970, 1, 2), when=at(0))
    for day, command in enumerate(commands, start=1):
        app.handle(noms, [command], prov(at(day)))
    state = app.state(noms)
    assert state is not None
    return noms, state


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("LEI", "prison"),
        ("LEEDCC", "court"),
        ("ARNOLD", "hospital"),
        ("hazlwd", "hospital"),
        ("IMM", "immigration"),
        ("OUT", "outside"),
        ("TRN", "transit"),
        ("POLX01", "other"),
    ],
)
def test_every_agency_has_a_kind(code: str, kind: str) -> None:
    assert reference.agency(code).kind == kind
    assert AgencyKind(kind)


def test_a_restricted_patient_is_released_from_the_hospital(memory_app: JourneyApp) -> None:
    noms, state = history(
        memory_app,
        Admit(prison="MDI", movement_reason="N"),
        Release(from_agency="MDI", movement_reason="HP", to_agency="ARNOLD"),
    )
    # Check the location names the hospital, of kind hospital.
    assert (state.location.status, state.location.agency) == (Status.RELEASED, "ARNOLD")
    assert state.location.agency_kind is AgencyKind.HOSPITAL
    # Check the release from the hospital is taken; from another, it is refused.
    with pytest.raises(ImpossibleJourney) as refused:
        memory_app.handle(noms, [Release(from_agency="HAZLWD", movement_reason="CR")], prov(at(3)))
    assert refused.value.field == "from_agency"
    memory_app.handle(noms, [Release(from_agency="ARNOLD", movement_reason="CR")], prov(at(3)))
    after = memory_app.state(noms)
    assert after is not None
    assert (after.location.agency, after.location.agency_kind) == ("OUT", AgencyKind.OUTSIDE)


def test_admitted_from_a_hospital_and_from_immigration(memory_app: JourneyApp) -> None:
    for source in ("HAZLWD", "IMM"):
        _, state = history(memory_app, Admit(prison="MHI", movement_reason="E", from_agency=source))
        assert (state.location.status, state.location.agency) == (Status.IN, "MHI")


def test_a_temporary_absence_names_the_kind_of_place(memory_app: JourneyApp) -> None:
    _, state = history(
        memory_app,
        Admit(prison="LEI", movement_reason="N"),
        TapOut(prison="LEI", movement_reason="C5", to_agency="HAZLWD"),
    )
    assert (state.location.status, state.location.agency_kind) == (Status.TAP, AgencyKind.HOSPITAL)
    assert state.location.prison == "LEI"
