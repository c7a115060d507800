"""The retention review in one SQL pass over the read models, on SQLite and PostgreSQL: at many
review dates around a leap-day sentence end, its outcome for each person is the domain rule
engine's on their derived state, and the due list is exactly those it finds due."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.retention import SENTENCE_END_PLUS_SEVEN, add_years, facts_of, judge
from domain.service import catalogue as c
from domain.service.application import JourneyApp
from domain.service.protection_commands import HoldRetention, Restrict
from projections.db import ReadDb
from projections.retention import review
from projections.runner import Runner
from tests.conftest import prov
from tests.helpers import register

SED = date(2012, 2, 29)
NOW = datetime.now(UTC)


def day(year: int, month: int, dom: int) -> datetime:
    return datetime(year, month, dom, 10, tzinfo=UTC)


def served(app: JourneyApp, noms: str, prison: str = "LEI", *, spells: int = 1) -> None:
    """Registered in 2007, then `spells` receptions each ending in a release, SED 29 Feb 2012."""
    register(app, noms, "Ret", noms, when=day(2007, 12, 1))
    for n in range(spells):
        app.handle(noms, [c.Admit(prison=prison, movement_reason="N")], prov(day(2008 + n, 1, 10)))
        release = c.Release(from_agency=prison, movement_reason="SC")
        app.handle(noms, [release], prov(day(2008 + n, 6, 1)))
    app.handle(noms, [c.RecordKeyDates(dates={"SED": SED})], prov(day(2008, 1, 11)))


def scenario(app: JourneyApp, db: ReadDb) -> dict[str, str]:
    """One person per outcome (once per store: Hypothesis reuses it across review dates)."""
    expected = {
        "R0001AA": "due",
        "R0002AA": "out",
        "R0003AA": "single-booking",
        "R0004AA": "held",
        "R0005AA": "restricted",
        "R0006AA": "moratorium",
    }
    if app.recorder.max_notification_id():
        return expected
    served(app, "R0001AA")
    register(app, "R0002AA", "Ret", "In", when=day(2007, 12, 1))
    app.handle("R0002AA", [c.Admit(prison="LEI", movement_reason="N")], prov(day(2008, 1, 10)))
    app.handle("R0002AA", [c.RecordKeyDates(dates={"SED": SED})], prov(day(2008, 1, 11)))
    served(app, "R0003AA", spells=2)
    served(app, "R0004AA")
    app.handle("R0004AA", [HoldRetention()], prov(NOW, reason="civil claim"))
    served(app, "R0005AA")
    app.handle("R0005AA", [Restrict()], prov(NOW, reason="accuracy contested"))
    served(app, "R0006AA", prison="FYI")
    register(app, "R0007AA", "No", "Sed", when=day(2007, 12, 1))
    Runner(app, db).catch_up()
    return expected


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    on=st.one_of(
        st.dates(date(2018, 1, 1), date(2035, 12, 31)),
        st.integers(-3, 3).map(lambda d: add_years(SED, 7) + timedelta(days=d)),
    )
)
def test_review_agrees_with_the_rules_on_every_date(
    store: tuple[JourneyApp, ReadDb], on: date
) -> None:
    app, db = store
    expected = scenario(app, db)
    found = review(db, on)
    due_ids = {d.noms for d in found.due}
    for noms, outcome in expected.items():
        state = app.state(noms)
        assert state is not None
        finding = judge(facts_of(state), on)
        # Check the SQL pass and the rule engine agree, and with what the scenario meant.
        assert (noms in due_ids) == finding.due, (noms, on, finding)
        if on > add_years(SED, 7):
            assert finding.outcome == outcome, (noms, finding)
    assert found.people == 7
    if on > add_years(SED, 7):
        assert found.outcomes == {o: 1 for o in expected.values()}
        (due,) = found.due
        assert (due.noms, due.rule, due.due_on) == (
            "R0001AA",
            SENTENCE_END_PLUS_SEVEN,
            date(2019, 2, 28),
        )
    else:
        assert found.due == [] and found.candidates == 0
