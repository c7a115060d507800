"""Transfers via court and via temporary absence, as the prison API records them: `CRT OUT`
(or `TAP OUT`) from one prison, then `ADM IN` with reason `TRNCRT` (or `TRNTAP`) whose
`fromAgency` is the prison left and `toAgency` the new one. Recorded as commands and loaded
from NOMIS movements alike."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import orjson
import pytest

from domain.errors import ImpossibleJourney, InvalidValue
from domain.person.state import Responsibility, Status
from domain.service.application import JourneyApp
from domain.service.catalogue import Admit, Command, CourtOut, TapOut, movement_for
from domain.service.movement_commands import (
    ArrivalFromAbsence,
    TransferViaCourt,
    TransferViaTemporaryAbsence,
)
from replay.importer import Importer, ImportOptions
from tests.conftest import at, prov
from tests.helpers import register


@dataclass(frozen=True)
class Absence:
    """One way of leaving a prison, and the arrival elsewhere that may end it."""

    name: str
    leave: Command
    arrival: type[ArrivalFromAbsence]
    # The NOMIS record of leaving: toAgency, movementType, movementReasonCode.
    record: tuple[str, str, str]


COURT = Absence(
    "court", CourtOut(prison="LEI", court="LEEDCC"), TransferViaCourt, ("LEEDCC", "CRT", "CRT")
)
TAP = Absence(
    "tap",
    TapOut(prison="LEI", movement_reason="RO"),
    TransferViaTemporaryAbsence,
    ("OUT", "TAP", "RO"),
)
ABSENCES = [pytest.param(a, id=a.name) for a in (COURT, TAP)]
numbers = itertools.count(1000)


def admitted(app: JourneyApp) -> str:
    noms = f"T{next(numbers)}AB"
    register(app, noms, "Ivy", "Away", date(1985, 4, 1), when=at(0))
    app.handle(noms, [Admit(prison="LEI", movement_reason="N")], prov(at(1)))
    return noms


@pytest.mark.parametrize("absence", ABSENCES)
def test_from_the_absence_to_another_prison(memory_app: JourneyApp, absence: Absence) -> None:
    noms = admitted(memory_app)
    memory_app.handle(noms, [absence.leave], prov(at(2)))
    arrival = absence.arrival(from_prison="LEI", prison="MDI")
    memory_app.handle(noms, [arrival], prov(at(2, hours=9)))
    state = memory_app.state(noms)
    assert state is not None
    # Check the person is in the new prison, still the prison service's case.
    assert (state.location.status, state.location.agency) == (Status.IN, "MDI")
    assert state.location.reason_code == arrival.nomis_reason
    assert state.ownership.responsibility is Responsibility.CUSTODY
    # Check the roll: on LEI's until the arrival at MDI, then on MDI's.
    assert [(s.prison, s.end is None) for s in state.stays] == [("LEI", False), ("MDI", True)]


@pytest.mark.parametrize("absence", ABSENCES)
@pytest.mark.parametrize(
    ("away", "from_prison", "other"),
    [
        # Not away: in the prison itself.
        (False, "LEI", False),
        # Away, but from another prison than the one named.
        (True, "WEI", False),
        # Away, but on the other kind of absence.
        (True, "LEI", True),
    ],
)
def test_refused_unless_away_from_the_prison_named(
    memory_app: JourneyApp, absence: Absence, away: bool, from_prison: str, other: bool
) -> None:
    noms = admitted(memory_app)
    if away:
        memory_app.handle(noms, [absence.leave], prov(at(2)))
    arrival = (TAP if absence is COURT else COURT).arrival if other else absence.arrival
    with pytest.raises(ImpossibleJourney) as refused:
        memory_app.handle(noms, [arrival(from_prison=from_prison, prison="MDI")], prov(at(3)))
    assert refused.value.field == "from_agency"
    with pytest.raises(InvalidValue) as same:
        memory_app.handle(noms, [absence.arrival(from_prison="LEI", prison="LEI")], prov(at(3)))
    assert same.value.field == "prison"


@pytest.mark.parametrize("absence", ABSENCES)
def test_loaded_from_nomis_movements(
    memory_app: JourneyApp, tmp_path: Path, absence: Absence
) -> None:
    """The records as the prison API writes them; the reason picks the command."""
    reason = str(absence.arrival.nomis_reason)
    assert movement_for("ADM", "IN", reason) is absence.arrival
    away_at, kind, why = absence.record
    moves = [
        ("OUT", "LEI", "ADM", "IN", "N", "2025-01-06", "10:00:00"),
        ("LEI", away_at, kind, "OUT", why, "2025-02-03", "09:00:00"),
        ("LEI", "MDI", "ADM", "IN", reason, "2025-02-03", "17:30:00"),
    ]
    path = tmp_path / "moves.jsonl"
    path.write_bytes(
        b"\n".join(
            orjson.dumps(
                {
                    "offenderNo": "T3456CT",
                    "fromAgency": src,
                    "toAgency": to,
                    "movementType": kind,
                    "directionCode": direction,
                    "movementReasonCode": code,
                    "movementDate": day,
                    "movementTime": time,
                }
            )
            for src, to, kind, direction, code, day, time in moves
        )
    )
    report = Importer(memory_app).run(path, ImportOptions("NOMIS", "auto", "test.loader"))
    # Check every line is recorded (three movements, and the registration the first implies).
    assert (report.outcome, report.rejected, report.entries) == ("recorded", 0, 4), report
    state = memory_app.state("T3456CT")
    assert state is not None
    assert (state.location.status, state.location.agency) == (Status.IN, "MDI")
