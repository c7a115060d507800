"""The retention rules judged on one person's facts, at many review dates: seven years after the
sentence ends to the day (29 February included), and the checks that keep a record first."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from domain.person.vocabulary import Status
from domain.retention import (
    BY_ID,
    CHECKS_FIRST,
    MORATORIA,
    RULES,
    SENTENCE_END_PLUS_SEVEN,
    Facts,
    add_years,
    covering,
    judge,
)

LEAP_DAYS = st.sampled_from([date(y, 2, 29) for y in (2000, 2004, 2008, 2012, 2016, 2020)])
ENDS = st.one_of(LEAP_DAYS, st.dates(date(1995, 1, 1), date(2030, 12, 31)))


def released(end: date) -> Facts:
    """Out since a release a year before the sentence ended, one booking, nothing keeping it."""
    return Facts(
        status=Status.RELEASED,
        sentence_end=end,
        last_movement=end - timedelta(days=365),
        bookings=1,
        ever_ual=False,
        merges=0,
        restricted=False,
        holds=0,
        moratoria=covering((("LEI", end - timedelta(days=900), end - timedelta(days=365)),)),
    )


def test_every_rule_names_its_source_at_one_commit() -> None:
    assert BY_ID[SENTENCE_END_PLUS_SEVEN] is RULES[0]
    for rule in RULES:
        assert len(rule.source.commit) == 40 and int(rule.source.commit, 16) >= 0
        assert rule.source.repository.startswith("ministryofjustice/")
        assert len({c.id for c in rule.conditions}) == len(rule.conditions)
    for moratorium in MORATORIA:
        assert moratorium.prisons, moratorium.id
        assert len(moratorium.source.commit) == 40


@given(end=ENDS, days=st.integers(-4000, 4000))
def test_due_exactly_after_seven_years_from_the_sentence_end(end: date, days: int) -> None:
    on = end + timedelta(days=days)
    finding = judge(released(end), on)
    due_on = add_years(end, 7)
    # Check due only once the seventh anniversary (28 February for a 29th) has passed.
    assert finding.due == (on > due_on)
    if finding.due:
        assert finding.rule == SENTENCE_END_PLUS_SEVEN and finding.due_on == due_on
    else:
        assert finding.reason.startswith("not due")


@given(end=LEAP_DAYS)
def test_a_leap_day_sentence_end_falls_due_after_the_28th_of_february(end: date) -> None:
    due_on = add_years(end, 7)
    assert (due_on.month, due_on.day) == (2, 28)
    assert not judge(released(end), due_on).due
    assert judge(released(end), due_on + timedelta(days=1)).due


@given(end=ENDS, years=st.integers(8, 30))
def test_each_condition_unmet_keeps_the_record_not_due(end: date, years: int) -> None:
    on = add_years(end, years)
    base = released(end)
    unmet = {
        "sentence-end": replace(base, sentence_end=None),
        "out": replace(base, status=Status.IN),
        "inactive": replace(base, last_movement=end + timedelta(days=1)),
        "single-booking": replace(base, bookings=2),
        "never-ual": replace(base, ever_ual=True),
        "not-died": replace(base, status=Status.DIED),
    }
    assert judge(base, on).due
    for condition in RULES[0].conditions:
        if condition.id == "seven-years":
            continue
        finding = judge(unmet[condition.id], on)
        assert not finding.due, condition.id
        assert condition.text in finding.reason


@given(end=ENDS, years=st.integers(8, 30))
def test_checks_keep_a_record_before_any_rule_in_their_order(end: date, years: int) -> None:
    on = add_years(end, years)
    youth = next(iter(sorted(MORATORIA[0].prisons)))
    kept = {
        "merged": {"merges": 1},
        "restricted": {"restricted": True},
        "held": {"holds": 1},
        "moratorium": {"moratoria": covering(((youth, end - timedelta(days=900), None),))},
    }
    for check in CHECKS_FIRST:
        finding = judge(replace(released(end), **kept[check.id]), on)  # type: ignore[arg-type]
        assert not finding.due and finding.reason == f"kept: {check.text}", check.id
    # Check the first check wins when several hold.
    both = replace(released(end), merges=1, holds=2)
    assert judge(both, on).reason == f"kept: {CHECKS_FIRST[0].text}"
