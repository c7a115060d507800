"""A transfer via court, as the prison API records it: `CRT OUT` from one prison to a court,
then `ADM IN` with reason `TRNCRT` whose `fromAgency` is the prison left and `toAgency` the
new one. Recorded as a command and loaded from NOMIS movements alike."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import orjson
import pytest

from domain.errors import ImpossibleJourney, InvalidValue
from domain.person.state import Responsibility, Status
from domain.service.application import JourneyApp
from domain.service.catalogue import Admit, CourtOut, TransferViaCourt, movement_for
from replay.importer import Importer, ImportOptions
from tests.conftest import at, prov


def test_from_court_to_another_prison(memory_app: JourneyApp) -> None:
    memory_app.register(
        prov(at(0)),
        given_name="Ivy",
        family_name="Court",
        date_of_birth=date(1985, 4, 1),
        identifiers={"NOMS": "T1234CT"},
    )
    memory_app.handle("T1234CT", [Admit(prison="LEI", movement_reason="N")], prov(at(1)))
    memory_app.handle("T1234CT", [CourtOut(prison="LEI", court="LEEDCC")], prov(at(2)))
    memory_app.handle(
        "T1234CT", [TransferViaCourt(from_prison="LEI", prison="MDI")], prov(at(2, hours=9))
    )
    state = memory_app.state("T1234CT")
    assert state is not None
    # Check the person is in the new prison, still the prison service's case.
    assert (state.location.status, state.location.agency) == (Status.IN, "MDI")
    assert state.ownership.responsibility is Responsibility.CUSTODY
    # Check the roll: on LEI's until the arrival at MDI, then on MDI's.
    assert [(s.prison, s.end is None) for s in state.stays] == [("LEI", False), ("MDI", True)]


@pytest.mark.parametrize(
    ("first", "command", "field"),
    [
        # Not at court: in the prison itself.
        (False, TransferViaCourt(from_prison="LEI", prison="MDI"), "from_agency"),
        # At court, but left for it from another prison than the one named.
        (True, TransferViaCourt(from_prison="WEI", prison="MDI"), "from_agency"),
    ],
)
def test_refused_unless_at_court_from_the_prison_named(
    memory_app: JourneyApp, first: bool, command: TransferViaCourt, field: str
) -> None:
    memory_app.register(
        prov(at(0)),
        given_name="Ivy",
        family_name="Court",
        date_of_birth=date(1985, 4, 1),
        identifiers={"NOMS": "T2345CT"},
    )
    memory_app.handle("T2345CT", [Admit(prison="LEI", movement_reason="N")], prov(at(1)))
    if first:
        memory_app.handle("T2345CT", [CourtOut(prison="LEI", court="LEEDCC")], prov(at(2)))
    with pytest.raises(ImpossibleJourney) as refused:
        memory_app.handle("T2345CT", [command], prov(at(3)))
    assert refused.value.field == field
    with pytest.raises(InvalidValue) as same:
        memory_app.handle(
            "T2345CT", [TransferViaCourt(from_prison="LEI", prison="LEI")], prov(at(3))
        )
    assert same.value.field == "prison"


def test_loaded_from_nomis_movements(memory_app: JourneyApp, tmp_path: Path) -> None:
    """The records as the prison API writes them; the reason picks the command."""
    assert movement_for("ADM", "IN", "TRNCRT") is TransferViaCourt
    moves = [
        ("OUT", "LEI", "ADM", "IN", "N", "2025-01-06", "10:00:00"),
        ("LEI", "LEEDCC", "CRT", "OUT", "CRT", "2025-02-03", "09:00:00"),
        ("LEI", "MDI", "ADM", "IN", "TRNCRT", "2025-02-03", "17:30:00"),
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
                    "movementReasonCode": reason,
                    "movementDate": day,
                    "movementTime": time,
                }
            )
            for src, to, kind, direction, reason, day, time in moves
        )
    )
    report = Importer(memory_app).run(path, ImportOptions("NOMIS", "auto", "test.loader"))
    # Check every line is recorded (three movements, and the registration the first implies).
    assert (report.outcome, report.rejected, report.entries) == ("recorded", 0, 4), report
    state = memory_app.state("T3456CT")
    assert state is not None
    assert (state.location.status, state.location.agency) == (Status.IN, "MDI")
