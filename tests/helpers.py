"""Helpers the tests share: a person registered in one call, the stages of one sentence served,
a journey application opened on a store for the length of a block, and its read models checked
against the log."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from datetime import date, datetime
from typing import Any

from domain.service.application import JourneyApp
from domain.service.catalogue import (
    AcceptHandover,
    Admit,
    AllocateCom,
    AllocatePom,
    Arrive,
    CourtOut,
    CourtReturn,
    MoveCell,
    Release,
    RequestHandover,
    StartSupervision,
    TapOut,
    TapReturn,
    TransferOut,
)
from domain.service.results import CommandResult
from domain.service.settings import Settings
from projections.db import ReadDb, open_read_db
from projections.verify import verify
from replay.batch import Batch
from replay.formats import NOMIS_FIELDS
from tests.conftest import at, prov


@contextmanager
def journey_app(settings: Settings, env: Mapping[str, str] | None = None) -> Iterator[JourneyApp]:
    """A journey application on the settings' store, closed when the block ends."""
    with closing(JourneyApp(settings, env)) as app:
        yield app


@contextmanager
def journey_and_read_db(settings: Settings) -> Iterator[tuple[JourneyApp, ReadDb]]:
    """A journey application and its read models' database, both closed when the block ends."""
    with journey_app(settings) as app, closing(open_read_db(settings.database)) as db:
        yield app, db


def no_drift(app: JourneyApp, db: ReadDb, people: int) -> None:
    """Every read model matches the log exactly, the location one holding `people` rows."""
    drift = verify(app, db)
    assert drift.total == 0, drift.examples
    assert drift.checked["rm_location"] == people


def register(
    app: JourneyApp,
    identifiers: str | Mapping[str, str],
    given: str | None = "Test",
    family: str | None = "Person",
    born: date | None = date(1980, 1, 2),
    *,
    when: datetime | None = None,
) -> CommandResult:
    """Register a person by a NOMS number (or several identifiers), a day before `at(0)`."""
    held = {"NOMS": identifiers} if isinstance(identifiers, str) else dict(identifiers)
    return app.register(
        prov(at(-1) if when is None else when),
        given_name=given,
        family_name=family,
        date_of_birth=born,
        identifiers=held,
    )


def admitted(app: JourneyApp, ref: str) -> None:
    """Register a person by a NOMS number, then admit them to Leeds on remand at `at(0)`."""
    register(app, ref)
    app.handle(ref, [Admit(prison="LEI", movement_reason="N")], prov(at(0)))


# Two lines of a JSON Lines load in the HTTP commands' schema: Jo Bloggs registered with a NOMS
# number and a CRN, then admitted to Leeds, named by the CRN.
JSONL_COMMANDS: list[dict[str, Any]] = [
    {"command": "register", "given_name": "Jo", "family_name": "Bloggs",
     "date_of_birth": "1980-02-02", "identifiers": {"NOMS": "a1234bc", "CRN": "X123456"},
     "occurred_at": "2025-01-01T09:00:00+00:00"},
    {"command": "admissions", "person": "X123456", "prison": "LEI", "movement_reason": "N",
     "occurred_at": "2025-01-02T09:00:00+00:00"},
]  # fmt: skip


def nomis_movement(
    *codes: str, clock: str = "10:00:00", created: str = "", **descriptions: str
) -> dict[str, Any]:
    """A movement as the prison API's `Movement` record writes it, from (number, day, type,
    direction, from, to, reason), with any descriptions it carries beside the codes."""
    noms, day, kind, direction, src, to, reason = codes
    record: dict[str, Any] = {
        "offenderNo": noms,
        "createDateTime": created or f"{day}T{clock}",
        "fromAgency": src,
        "toAgency": to,
        "movementType": kind,
        "directionCode": direction,
        "movementDate": day,
        "movementTime": clock,
        "movementReasonCode": reason,
        "commentText": None,
        **descriptions,
    }
    assert set(NOMIS_FIELDS) <= set(record), "a field the reader knows is missing"
    return record


def loader_batch(batch_id: str, source: str, file_hash: str) -> Batch:
    """A batch opened as the importer opens one for the loader's JSON-lines file, all or
    nothing; not yet saved."""
    return Batch.open(
        batch_id=batch_id,
        source=source,
        file_format="jsonl",
        file_name=f"{batch_id}.jsonl",
        file_hash=file_hash,
        loaded_by="loader",
        accept_valid=False,
    )


# ---- one sentence, in stages: admitted to Leeds on day 0, released from Moorland on day 236 ----


def to_court_and_back(app: JourneyApp, ref: str) -> None:
    """Into cell A-1-001 at Leeds (day 0), to Leeds Crown Court and back (day 5)."""
    app.handle(ref, [MoveCell(prison="LEI", cell="A-1-001")], prov(at(0, 2)))
    app.handle(ref, [CourtOut(prison="LEI", court="LEEDCC")], prov(at(5)))
    app.handle(ref, [CourtReturn(court="LEEDCC", prison="LEI")], prov(at(5, 8)))


def leeds_to_moorland(app: JourneyApp, ref: str) -> None:
    """A POM at Leeds (day 7), a transfer to Moorland (day 30), a day out on licence (day 100)."""
    app.handle(ref, [AllocatePom(officer="POM Jones", prison="LEI")], prov(at(7)))
    app.handle(ref, [TransferOut(from_prison="LEI", to_prison="MDI")], prov(at(30)))
    app.handle(ref, [Arrive(prison="MDI", from_prison="LEI")], prov(at(30, 4)))
    app.handle(ref, [TapOut(prison="MDI", movement_reason="RO")], prov(at(100)))
    app.handle(ref, [TapReturn(prison="MDI", movement_reason="RO")], prov(at(101)))


def released_to_probation(app: JourneyApp, ref: str) -> None:
    """The case handed over to the community before release (days 234-235), as custody hands
    over ahead of a release on licence; released from Moorland (day 236) to supervision by
    Leeds PDU with a COM."""
    app.handle(ref, [RequestHandover(to="community")], prov(at(234)))
    app.handle(ref, [AcceptHandover()], prov(at(235)))
    app.handle(ref, [Release(from_agency="MDI", movement_reason="CR")], prov(at(236)))
    app.handle(ref, [StartSupervision(region="N55", pdu="N55LEE", team="LEE1")], prov(at(236, 1)))
    app.handle(ref, [AllocateCom(officer="COM Patel", pdu="N55LEE")], prov(at(236, 2)))
