"""Retention rules as data: when a person's record falls due for review for erasure (DPA 2018
s.47(3) and Part 3's storage-limitation principle, s.39), with the public source each rule
copies its conditions from.

One declarative table (`RULES`), the checks that keep a record whatever the rules say
(`CHECKS_FIRST`, in the order they run) and the moratoria in force (`MORATORIA`). The rule
engine here judges one person's facts (`judge`); `projections.retention` runs the same rules in
one SQL pass over the read models for a whole store. Nothing is erased from here: a finding is
a line for an administrator to review.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime

from domain.person.state import PersonState, Stay
from domain.person.vocabulary import CUSTODY, Status
from domain.reference import prisons


@dataclass(frozen=True)
class Source:
    """Where a rule's conditions come from: a public repository file at one commit."""

    title: str
    repository: str
    path: str
    commit: str


@dataclass(frozen=True)
class Condition:
    """One condition of a rule, named so a finding can cite it."""

    id: str
    text: str


@dataclass(frozen=True)
class Rule:
    """A record is due for review `years` after its sentence ends, when every condition holds."""

    id: str
    description: str
    years: int
    conditions: tuple[Condition, ...]
    source: Source
    # Checks the source makes that the journey holds no data for: a reviewer confirms them in
    # the source system before any erasure.
    confirm_elsewhere: tuple[str, ...] = ()


@dataclass(frozen=True)
class Moratorium:
    """A stop on erasure: it keeps every record of anyone ever on the roll of one of `prisons`
    (between `start` and `end` when given, both inclusive), until it is lifted."""

    id: str
    description: str
    prisons: frozenset[str]
    source: Source
    start: date | None = None
    end: date | None = None
    lifted: date | None = None

    def in_force(self, on: date) -> bool:
        return self.lifted is None or on < self.lifted


NOMIS_PENDING_DELETION = Source(
    title="NOMIS offenders due for deletion (prison-api, data compliance)",
    repository="ministryofjustice/prison-api",
    path=(
        "src/main/java/uk/gov/justice/hmpps/nomis/datacompliance/repository/jpa/repository/"
        "OffenderPendingDeletionRepository.java"
    ),
    commit="d6d2b10405a6b47f43c335d66045232e9e21aca5",
)

SENTENCE_END_PLUS_SEVEN = "nomis-sentence-end-7y"

RULES: tuple[Rule, ...] = (
    Rule(
        id=SENTENCE_END_PLUS_SEVEN,
        description=(
            "Seven years (84 months) after the sentence expiry date, for a person out of "
            "custody and inactive, not serving life, with a single booking, never unlawfully "
            "at large and not deceased in custody."
        ),
        years=7,
        conditions=(
            Condition(
                "sentence-end",
                "a sentence expiry date (SED) is on record: a life sentence has none, so a "
                "lifer never falls due",
            ),
            Condition("seven-years", "the SED is more than 84 months before the review date"),
            Condition("out", "out of custody: released, supervised or never held"),
            Condition("inactive", "no movement since the sentence expiry date"),
            Condition("single-booking", "one booking (reception into custody) on record"),
            Condition("never-ual", "never released as escaped or unlawfully at large"),
            Condition("not-died", "not recorded as died"),
        ),
        source=NOMIS_PENDING_DELETION,
        confirm_elsewhere=(
            "no terrorism-related alert (NOMIS XTACT)",
            "no health problems on record",
            "no incident or non-association linking them to another person",
        ),
    ),
)
BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}

# What keeps a record whatever the rules say, in the order the review checks them (as the
# NOMIS data-compliance service checks duplicates and manual retention before granting).
CHECKS_FIRST: tuple[Condition, ...] = (
    Condition("merged", "another record of this person was merged into it: check duplicates"),
    Condition("restricted", "processing is restricted (accuracy contested)"),
    Condition("held", "a manual retention hold stands"),
    Condition("moratorium", "a moratorium on erasure covers the person's stays"),
)

NOMIS_MORATORIUM = Source(
    title="NOMIS data compliance: moratorium checks (offences, alerts, free text)",
    repository="ministryofjustice/dps-data-compliance",
    path="src/main/java/uk/gov/justice/hmpps/datacompliance/services/retention/MoratoriumCheckService.java",
    commit="59634dd359bd35c0a364e37027f65849ed20742d",
)

MORATORIA: tuple[Moratorium, ...] = (
    Moratorium(
        id="iicsa",
        description=(
            "Independent Inquiry into Child Sexual Abuse: records that may bear on abuse of "
            "children in custody are kept. The NOMIS service finds them by offence, alert and "
            "free text, none of which the journey holds; here it keeps anyone ever on the roll "
            "of a young offender institution (an HMYOI in the prison register)."
        ),
        prisons=frozenset(p.code for p in prisons() if "(hmyoi)" in p.name.lower()),
        source=NOMIS_MORATORIUM,
    ),
)


@dataclass(frozen=True)
class Facts:
    """What the review reads of one person, from the read models."""

    status: Status
    sentence_end: date | None
    last_movement: date | None
    bookings: int
    ever_ual: bool
    merges: int
    restricted: bool
    holds: int
    moratoria: tuple[str, ...] = ()  # the moratoria whose prisons and dates the stays meet


@dataclass(frozen=True)
class Finding:
    """The outcome for one person on one date: due under a rule, kept by a check, or neither."""

    due: bool
    rule: str | None
    reason: str
    due_on: date | None = None
    outcome: str = "due"  # "due", or the id of the check or condition that keeps the record


def add_years(day: date, years: int) -> date:
    """The same day `years` later; 29 February falls on 28 February in a common year (as
    Oracle's add_months does for the month's last day)."""
    year = day.year + years
    last = calendar.monthrange(year, day.month)[1]
    return date(year, day.month, min(day.day, last))


def kept_by(facts: Facts, on: date) -> Condition | None:
    """The first check that keeps the record, if any."""
    standing = {m.id for m in MORATORIA if m.in_force(on)}
    found = {
        "merged": facts.merges > 0,
        "restricted": facts.restricted,
        "held": facts.holds > 0,
        "moratorium": bool(standing & set(facts.moratoria)),
    }
    return next((check for check in CHECKS_FIRST if found[check.id]), None)


Stays = tuple[tuple[str, date, date | None], ...]  # prison, first day, last day (None: open)


def covering(stays: Stays) -> tuple[str, ...]:
    """The moratoria whose prisons and dates a person's stays meet."""
    return tuple(m.id for m in MORATORIA if covers(m, stays))


def covers(moratorium: Moratorium, stays: Stays) -> bool:
    return any(
        prison in moratorium.prisons
        and (moratorium.end is None or start <= moratorium.end)
        and (moratorium.start is None or end is None or end >= moratorium.start)
        for prison, start, end in stays
    )


def failed(rule: Rule, facts: Facts, on: date) -> Condition | None:
    """The first condition of the rule the person's facts do not meet."""
    end = facts.sentence_end
    met = {
        "sentence-end": end is not None,
        "seven-years": end is not None and add_years(end, rule.years) < on,
        "out": facts.status not in CUSTODY and facts.status is not Status.UAL,
        "inactive": end is not None and (facts.last_movement is None or facts.last_movement <= end),
        "single-booking": facts.bookings <= 1,
        "never-ual": not facts.ever_ual,
        "not-died": facts.status is not Status.DIED,
    }
    return next((c for c in rule.conditions if not met[c.id]), None)


def judge(facts: Facts, on: date) -> Finding:
    """Whether a person is due for review for erasure on a date, and why (or why not)."""
    check = kept_by(facts, on)
    if check is not None:
        return Finding(False, None, f"kept: {check.text}", outcome=check.id)
    for rule in RULES:
        missing = failed(rule, facts, on)
        if missing is None:
            assert facts.sentence_end is not None
            due_on = add_years(facts.sentence_end, rule.years)
            return Finding(True, rule.id, rule.description, due_on)
    first = failed(RULES[0], facts, on)
    assert first is not None  # every rule failed, the first among them
    return Finding(False, None, f"not due: {first.text}", outcome=first.id)


def bookings(stays: tuple[Stay, ...]) -> int:
    """Receptions into custody: spells on a roll that do not follow straight on from another
    (a transfer ends one spell as the next begins)."""
    ends = {stay.end for stay in stays}
    return sum(1 for stay in stays if stay.start not in ends)


def day_of(moment: datetime | None) -> date | None:
    return moment.astimezone(UTC).date() if moment is not None else None


def facts_of(state: PersonState) -> Facts:
    """What the review reads of one person, from their derived state (as the read models hold
    it): the single-person path, for a check before erasing."""
    guard = state.protection
    stays = tuple((s.prison, s.start.astimezone(UTC).date(), day_of(s.end)) for s in state.stays)
    return Facts(
        status=state.location.status,
        sentence_end=state.key_dates.get("SED"),
        last_movement=day_of(state.location.since),
        bookings=bookings(state.stays),
        ever_ual=guard.ever_ual,
        merges=guard.merges,
        restricted=guard.restricted is not None,
        holds=len(guard.holds),
        moratoria=covering(stays),
    )
