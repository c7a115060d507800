"""Random command sequences against the aggregate and a small independent model of journeys.

The model is written separately from the domain's fold: a list of accepted movements, replayed
in effective order with its own rules. Both must accept and refuse the same commands and agree
on where the person is after every step, including after backdated records and voids.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain.errors import ImpossibleJourney
from domain.service.application import JourneyApp
from domain.service.catalogue import (
    Admit,
    Arrive,
    CourtOut,
    CourtReturn,
    Release,
    TapOut,
    TapReturn,
    TransferOut,
    VoidEntries,
)
from domain.service.settings import Settings
from tests.conftest import at, prov

PRISONS = ["LEI", "MDI", "WYI"]
COURT = "LEEDCC"


@dataclass(frozen=True)
class Move:
    seq: int
    day: float
    kind: str  # admit, transfer, arrive, court_out, court_in, tap_out, tap_in, release
    frm: str
    to: str


@dataclass
class Where:
    status: str = "none"
    agency: str | None = None
    prison: str | None = None
    dest: str | None = None


def allowed(w: Where, m: Move) -> bool:
    in_prison = w.status == "in" and w.agency == m.frm
    return {
        "admit": w.status in {"none", "released"},
        "transfer": in_prison,
        "arrive": w.status == "transit" and w.dest == m.to,
        "court_out": in_prison,
        "court_in": w.status == "court" and w.agency == m.frm,
        "tap_out": in_prison,
        "tap_in": w.status == "tap" and w.prison == m.to,
        "release": in_prison
        or (w.status == "court" and m.frm in {w.agency, w.prison})
        or (w.status == "tap" and m.frm == w.prison),
    }[m.kind]


def after(w: Where, m: Move) -> Where:
    if m.kind in {"admit", "arrive", "court_in", "tap_in"}:
        return Where("in", m.to, m.to)
    if m.kind == "transfer":
        return Where("transit", "TRN", m.frm, m.to)
    if m.kind == "court_out":
        return Where("court", m.to, m.frm)
    if m.kind == "tap_out":
        return Where("tap", m.to, m.frm)
    return Where("released", "OUT", m.frm)


def opening(m: Move) -> Where:
    """Before the first movement on record, where that movement says the person was."""
    if m.kind == "arrive":
        return Where("transit", "TRN", m.frm if m.frm in PRISONS else None, m.to)
    if m.kind == "court_in":
        return Where("court", m.frm, m.to)
    if m.kind == "tap_in":
        return Where("tap", "OUT", m.to)
    if m.kind == "admit":
        return Where()
    return Where("in", m.frm, m.frm)


def replay(moves: list[Move]) -> tuple[Where, set[int]]:
    where, bad = Where(), set()
    for i, m in enumerate(sorted(moves, key=lambda m: (m.day, m.seq))):
        if i == 0:
            where = opening(m)
        if not allowed(where, m):
            bad.add(m.seq)
        where = after(where, m)
    return where, bad


class JourneyMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.app = JourneyApp(Settings(database_url="memory://"))
        self.moves: list[Move] = []
        self.voided: set[int] = set()
        self.day = 0.0
        self.seq = 1
        self.steps = 0

    @initialize()
    def register(self) -> None:
        self.app.register(
            prov(at(-1)),
            given_name="Model",
            family_name="Person",
            date_of_birth=date(1990, 1, 1),
            identifiers={"NOMS": "A1111AA"},
        )

    def live(self) -> list[Move]:
        return [m for m in self.moves if m.seq not in self.voided]

    def attempt(self, kind: str, frm: str, to: str, back: float) -> None:
        day = max(self.day - back, 0.0)
        move = Move(self.seq + 1, day, kind, frm, to)
        _, bad_before = replay(self.live())
        _, bad_after = replay([*self.live(), move])
        expect_ok = not (bad_after - bad_before)
        p = prov(at(day))
        calls = {
            "admit": lambda: self.app.handle("A1111AA", [Admit(prison=to, movement_reason="N")], p),
            "transfer": lambda: self.app.handle(
                "A1111AA", [TransferOut(from_prison=frm, to_prison=to)], p
            ),
            "arrive": lambda: self.app.handle("A1111AA", [Arrive(prison=to)], p),
            "court_out": lambda: self.app.handle("A1111AA", [CourtOut(prison=frm, court=to)], p),
            "court_in": lambda: self.app.handle("A1111AA", [CourtReturn(court=frm, prison=to)], p),
            "tap_out": lambda: self.app.handle(
                "A1111AA", [TapOut(prison=frm, movement_reason="RO")], p
            ),
            "tap_in": lambda: self.app.handle(
                "A1111AA", [TapReturn(prison=to, movement_reason="RO")], p
            ),
            "release": lambda: self.app.handle(
                "A1111AA", [Release(from_agency=frm, movement_reason="CR")], p
            ),
        }
        try:
            calls[kind]()
        except ImpossibleJourney:
            assert not expect_ok, f"domain refused {move} that the model accepts"
            return
        assert expect_ok, f"domain accepted {move} that the model refuses"
        self.seq += 1
        self.moves.append(move)
        self.day = max(self.day, day)
        self.steps += 1
        event(f"accepted {kind}")

    @rule(
        prison=st.sampled_from(PRISONS), gap=st.floats(0.1, 20), back=st.sampled_from([0, 0, 0, 3])
    )
    def admit(self, prison: str, gap: float, back: float) -> None:
        self.day += gap
        self.attempt("admit", "OUT", prison, back)

    @rule(frm=st.sampled_from(PRISONS), to=st.sampled_from(PRISONS), gap=st.floats(0.1, 20))
    def transfer(self, frm: str, to: str, gap: float) -> None:
        if frm != to:
            self.day += gap
            self.attempt("transfer", frm, to, 0)

    @rule(to=st.sampled_from(PRISONS), gap=st.floats(0.01, 2))
    def arrive(self, to: str, gap: float) -> None:
        self.day += gap
        self.attempt("arrive", "TRN", to, 0)

    @rule(frm=st.sampled_from(PRISONS), gap=st.floats(0.1, 5), back=st.sampled_from([0, 0, 1.5]))
    def court_out(self, frm: str, gap: float, back: float) -> None:
        self.day += gap
        self.attempt("court_out", frm, COURT, back)

    @rule(to=st.sampled_from(PRISONS), gap=st.floats(0.01, 1))
    def court_in(self, to: str, gap: float) -> None:
        self.day += gap
        self.attempt("court_in", COURT, to, 0)

    @rule(frm=st.sampled_from(PRISONS), gap=st.floats(0.1, 5))
    def tap_out(self, frm: str, gap: float) -> None:
        self.day += gap
        self.attempt("tap_out", frm, "OUT", 0)

    @rule(to=st.sampled_from(PRISONS), gap=st.floats(0.01, 2))
    def tap_in(self, to: str, gap: float) -> None:
        self.day += gap
        self.attempt("tap_in", "OUT", to, 0)

    @rule(frm=st.sampled_from(PRISONS), gap=st.floats(0.1, 30))
    def release(self, frm: str, gap: float) -> None:
        self.day += gap
        self.attempt("release", frm, "OUT", 0)

    @rule(pick=st.integers(0, 50))
    def void_one(self, pick: int) -> None:
        live = self.live()
        if not live:
            return
        move = live[pick % len(live)]
        self.app.handle(
            "A1111AA", [VoidEntries(entries=(move.seq,))], prov(at(self.day), reason="model void")
        )
        self.voided.add(move.seq)
        self.seq += 1  # the void is itself an event in the person's history

    @invariant()
    def location_agrees(self) -> None:
        state = self.app.state("A1111AA")
        assert state is not None
        where, _ = replay(self.live())
        assert state.location.status.value == where.status
        if where.status != "none":
            assert state.location.agency == where.agency
            assert state.location.prison == where.prison
        if where.status == "transit":
            assert state.location.destination == where.dest

    def teardown(self) -> None:
        self.app.close()


JourneyMachine.TestCase.settings = settings(
    max_examples=300,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_journey_against_model = JourneyMachine.TestCase


def test_model_replays_a_known_journey() -> None:
    # Check the model itself is not vacuous: a simple journey is accepted, a bad one refused.
    good = [
        Move(2, 0, "admit", "OUT", "LEI"),
        Move(3, 1, "transfer", "LEI", "MDI"),
        Move(4, 2, "arrive", "TRN", "MDI"),
    ]
    where, bad = replay(good)
    assert (where.status, where.agency, bad) == ("in", "MDI", set())
    _, bad = replay([*good, Move(5, 3, "release", "LEI", "OUT")])
    assert bad == {5}
