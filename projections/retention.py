"""The retention review over a whole store in one SQL pass: the rules of `domain.retention`
as one CASE over the read models, each person's outcome the first check or condition that
keeps their record, or due. Nothing is loaded from the event log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from domain.person.vocabulary import CUSTODY, Status
from domain.retention import MORATORIA, RULES, Moratorium, add_years
from projections.db import ReadDb
from projections.queries.vocabulary import sql_list, sql_literal
from projections.verify import normal

RULE = RULES[0]
DUE = "due"
KEPT_IN = sql_list({*CUSTODY, Status.UAL})


@dataclass(frozen=True)
class Due:
    """One person due for review for erasure, with the rule and when it fell due."""

    person_id: str
    noms: str | None
    given_name: str | None
    family_name: str | None
    status: str
    sentence_end: date
    due_on: date
    rule: str


@dataclass(frozen=True)
class Review:
    """Who is due on a date, and how many of those past their sentence end are not, by why."""

    as_of: date
    people: int
    candidates: int  # sentence expiry far enough back to fall due
    outcomes: dict[str, int]  # check or condition id (or "due") -> people
    due: list[Due]


def earliest_not_due(on: date, years: int) -> date:
    """The first sentence end that is not yet `years` past on `on`: everyone due ended before
    it (29 February counts as 28 February in a common year, as `add_years` says)."""
    day = add_years(on, -years) - timedelta(days=3)
    while add_years(day, years) < on:
        day += timedelta(days=1)
    return day


def moratorium_sql(moratorium: Moratorium) -> str:
    stays = f"s.person_id = r.person_id AND s.prison IN ({sql_list(moratorium.prisons)})"
    if moratorium.end is not None:
        stays += f" AND s.start_at < {sql_literal(_moment(moratorium.end + timedelta(days=1)))}"
    if moratorium.start is not None:
        stays += f" AND (s.end_at IS NULL OR s.end_at >= {sql_literal(_moment(moratorium.start))})"
    return f"EXISTS (SELECT 1 FROM rm_stays s WHERE {stays})"


def _moment(day: date) -> str:
    return datetime.combine(day, time(), UTC).isoformat()


def outcome_sql(on: date) -> str:
    """The CASE naming each candidate's outcome, in the order `domain.retention.judge` checks."""
    standing = [m for m in MORATORIA if m.in_force(on)]
    covered = " OR ".join(moratorium_sql(m) for m in standing) or "1 = 0"
    return (
        "CASE WHEN r.merges > 0 THEN 'merged' "
        "WHEN x.person_id IS NOT NULL THEN 'restricted' "
        "WHEN r.holds > 0 THEN 'held' "
        f"WHEN {covered} THEN 'moratorium' "
        f"WHEN l.status IN ({KEPT_IN}) THEN 'out' "
        "WHEN r.last_movement > r.sentence_end THEN 'inactive' "
        "WHEN r.bookings > 1 THEN 'single-booking' "
        "WHEN r.ever_ual <> 0 THEN 'never-ual' "
        f"WHEN l.status = {sql_literal(Status.DIED)} THEN 'not-died' "
        f"ELSE '{DUE}' END"
    )


def review(db: ReadDb, on: date) -> Review:
    """Everyone due for review on a date under the rules, in one pass over the read models."""
    cutoff = earliest_not_due(on, RULE.years)
    rows = db.query(
        f"SELECT r.person_id, p.noms, p.given_name, p.family_name, l.status, r.sentence_end, "
        f"{outcome_sql(on)} AS outcome FROM rm_retention r "
        "JOIN rm_people p ON p.person_id = r.person_id "
        "JOIN rm_location l ON l.person_id = r.person_id "
        "LEFT JOIN rm_restricted x ON x.person_id = r.person_id "
        "WHERE r.sentence_end < %s ORDER BY r.sentence_end, p.noms, r.person_id",
        (cutoff,),
    )
    outcomes: dict[str, int] = {}
    due: list[Due] = []
    for row in rows:
        outcome = str(row[-1])
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if outcome == DUE:
            due.append(due_of(row))
    people = int(db.query("SELECT count(*) FROM rm_retention")[0][0])
    return Review(on, people, len(rows), outcomes, due)


def due_of(row: tuple[Any, ...]) -> Due:
    ended = date.fromisoformat(normal(row[5], "date"))
    return Due(
        person_id=str(row[0]),
        noms=row[1],
        given_name=row[2],
        family_name=row[3],
        status=str(row[4]),
        sentence_end=ended,
        due_on=add_years(ended, RULE.years),
        rule=RULE.id,
    )
