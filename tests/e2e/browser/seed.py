"""The people the page tests read and change, recorded through the application's commands,
and one NOMIS load sent through the API as a recovery team would."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import orjson

from api.auth import Role
from domain.provenance import Provenance
from domain.service.application import JourneyApp
from domain.service.catalogue import (
    AddIdentifier,
    Admit,
    AllocateCom,
    CourtOut,
    MoveCell,
    RecordKeyDates,
    Release,
    RequestAreaTransfer,
    RequestHandover,
    StartSupervision,
    TransferOut,
)
from tests.e2e.conftest import LiveApi
from tests.helpers import journey_app

T0 = datetime(2025, 1, 6, 9, tzinfo=UTC)
BATCH_MOVER = "B2222BB"


def prov(days: float, by: str = "officer.one") -> Provenance:
    return Provenance(recorded_by=by, source="API", occurred_at=T0 + timedelta(days=days))


def seed(api: LiveApi) -> str:
    """Record everyone, load the batch, and wait for the read models; the batch's id."""
    with journey_app(api.settings.store) as app:
        people(app)
        position = app.recorder.max_notification_id() or 0
    batch_id = load_batch(api)
    wait_for_read_models(api, position)
    return batch_id


def people(app: JourneyApp) -> None:
    register(app, {"NOMS": "A1234BC", "CRN": "X111111"}, "Ann", "Reader", date(1984, 2, 3))
    app.handle("A1234BC", [AddIdentifier(kind="PNC", value="12/394773H")], prov(0))
    app.handle("A1234BC", [Admit(prison="LEI", movement_reason="N")], prov(0))
    app.handle("A1234BC", [MoveCell(prison="LEI", cell="B-2-014")], prov(0.1))
    app.handle("A1234BC", [RecordKeyDates(dates={"CRD": date(2026, 9, 1)})], prov(1))
    app.handle("A1234BC", [StartSupervision(region="N55", pdu="N55LEE")], prov(2))
    app.handle("A1234BC", [AllocateCom(officer="COM Patel", pdu="N55LEE")], prov(2.1))
    app.handle("A1234BC", [RequestHandover(to="community")], prov(3))
    for noms, given, family, born, prison in [
        (BATCH_MOVER, "Bob", "Mover", date(1990, 7, 14), "WYI"),
        ("C3333CC", "Carol", "Count", date(1975, 11, 30), "LEI"),
        ("D4444DD", "Dan", "Free", date(1969, 3, 9), "MDI"),
        ("E5555EE", "Eve", "Walker", date(1988, 8, 8), "HLI"),
    ]:
        register(app, {"NOMS": noms}, given, family, born)
        app.handle(noms, [Admit(prison=prison, movement_reason="N")], prov(0))
    app.handle("C3333CC", [CourtOut(prison="LEI", court="LEEDCC")], prov(4))
    app.handle("D4444DD", [Release(from_agency="MDI", movement_reason="CR")], prov(5))
    queued(app)
    namesakes(app)
    crowd(app)
    long_history(app)


# Due for release ten days from whenever the tests run, so the upcoming-releases queue holds
# someone on any date.
RELEASE_IN_DAYS = 10


def queued(app: JourneyApp) -> None:
    """One person in each work queue that Ann and Dan leave empty, held away from Leeds."""
    register(app, {"NOMS": "F6666FF"}, "Fay", "Transit", date(1991, 4, 1))
    app.handle("F6666FF", [Admit(prison="DMI", movement_reason="N")], prov(0))
    app.handle("F6666FF", [TransferOut(from_prison="DMI", to_prison="FNI")], prov(6))
    register(app, {"NOMS": "G7777GG"}, "Gus", "Soon", date(1979, 4, 29))
    app.handle("G7777GG", [Admit(prison="DMI", movement_reason="N")], prov(0))
    due = datetime.now(UTC).date() + timedelta(days=RELEASE_IN_DAYS)
    app.handle("G7777GG", [RecordKeyDates(dates={"CRD": due})], prov(1))
    register(app, {"CRN": "X222222"}, "Hal", "Moving", date(1982, 12, 24))
    app.handle("X222222", [StartSupervision(region="N55", pdu="N55LEE")], prov(0))
    app.handle("X222222", [RequestAreaTransfer(region="N53", pdu="N53DERS")], prov(1))
    # For the allocation test alone: one released with no owner, one handed to the community.
    register(app, {"NOMS": "J1212JJ"}, "Jim", "Loose", date(1986, 6, 16))
    app.handle("J1212JJ", [Admit(prison="DMI", movement_reason="N")], prov(0))
    app.handle("J1212JJ", [Release(from_agency="DMI", movement_reason="CR")], prov(5))
    register(app, {"NOMS": "K3434KK"}, "Kim", "Handed", date(1989, 9, 19))
    app.handle("K3434KK", [Admit(prison="DMI", movement_reason="N")], prov(0))
    app.handle("K3434KK", [RequestHandover(to="community")], prov(2))
    # Ann's handover is answered by a test; Ivy's stays pending.
    register(app, {"NOMS": "I9999II"}, "Ivy", "Waiting", date(1993, 1, 15))
    app.handle("I9999II", [Admit(prison="DMI", movement_reason="N")], prov(0))
    app.handle("I9999II", [RequestHandover(to="community")], prov(2))


# More people sharing a family name than one page of search results holds.
NAMESAKES = 24
NAMESAKE_GIVEN = ("Lee", "Ama", "Kofi", "Esi", "Yaw", "Abena", "Kwame", "Efua")


def namesakes(app: JourneyApp) -> None:
    for n in range(NAMESAKES):
        given = NAMESAKE_GIVEN[n % len(NAMESAKE_GIVEN)]
        born = date(1960 + n, 1 + n % 12, 1 + n % 28)
        register(app, {"NOMS": f"M{n:04d}MM"}, given, "Mensah", born)


# More people in one prison than a page of its roll holds, across three wings.
CROWD, CROWD_PRISON, WINGS = 55, "BMI", ("A", "B", "C")


def crowd(app: JourneyApp) -> None:
    for n in range(CROWD):
        noms = f"R{n:04d}RR"
        register(app, {"NOMS": noms}, f"Given{n:02d}", f"Roll{n:02d}", date(1980, 1, 1 + n % 28))
        cell = f"{WINGS[n % len(WINGS)]}-1-{n:03d}"
        app.handle(
            noms,
            [
                Admit(prison=CROWD_PRISON, movement_reason="N"),
                MoveCell(prison=CROWD_PRISON, cell=cell),
            ],
            prov(0),
        )


# A timeline longer than a page: registered, admitted, then this many cell moves.
LONG_HISTORY, CELL_MOVES = "L1111LL", 60


def long_history(app: JourneyApp) -> None:
    register(app, {"NOMS": LONG_HISTORY}, "Len", "Long", date(1977, 7, 7))
    app.handle(LONG_HISTORY, [Admit(prison="NMI", movement_reason="N")], prov(0))
    moves = [MoveCell(prison="NMI", cell=f"A-1-{n:03d}") for n in range(1, CELL_MOVES + 1)]
    app.handle(LONG_HISTORY, moves, prov(1))


def register(app: JourneyApp, ids: dict[str, str], given: str, family: str, born: date) -> None:
    app.register(
        prov(-1), given_name=given, family_name=family, date_of_birth=born, identifiers=ids
    )


def load_batch(api: LiveApi) -> str:
    """A NOMIS extract moving Bob from Wakefield to Moorland: the load a recovery team voids."""
    lines = [
        ("TRN", "OUT", "WYI", "MDI", "NOTR", "2025-02-10"),
        ("ADM", "IN", "WYI", "MDI", "INT", "2025-02-11"),
    ]
    body = b"".join(
        orjson.dumps(
            {
                "offenderNo": BATCH_MOVER,
                "movementType": kind,
                "directionCode": direction,
                "fromAgency": src,
                "toAgency": to,
                "movementDate": day,
                "movementTime": "10:00:00",
                "movementReasonCode": reason,
            }
        )
        + b"\n"
        for kind, direction, src, to, reason, day in lines
    )
    headers = {**api.headers(Role.RECOVERY, user="loader"), "Content-Type": "application/x-ndjson"}
    loaded = api.client.post("/imports?source=NOMIS&format=nomis", content=body, headers=headers)
    assert loaded.status_code == 201, loaded.text
    batch_id: str = loaded.json()["batch_id"]
    return batch_id


def wait_for_read_models(api: LiveApi, position: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        head = api.client.get("/ready").json()
        if head.get("position", 0) >= max(position, head.get("head", 0)):
            return
        time.sleep(0.05)
    raise AssertionError("the read models did not catch up with the seed data")
