"""Data-quality noise for a generated journey's lines: late lines, backdated lines, and a person
booked in a second time under a new NOMS number.

Late lines swap places in the file; backdated lines (a cell move or key dates entered days
afterwards) keep their effective time but come after lines that happened days later. A load puts
both in place by effective time, so each journey stays possible. The duplicate record holds a
later custody spell (admission to release, with its cells, courts, transfers and absences): each
record is possible on its own, and merging the duplicate into the original gives back the whole
journey.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

Line = dict[str, Any]

LATE_SHARE = 0.05
BACKDATED_SHARE = 0.15
BACKDATED_KINDS = frozenset({"cell-moves", "key-dates"})
BACKDATED_BY = timedelta(days=3)  # a backdated line arrives after one at least this much later
# About one person in six has a later custody spell: about one in a hundred is booked twice.
DUPLICATED_SHARE = 0.06
# Duplicate NOMS numbers are person numbers from this base to the end of the NOMS range, which
# no generated person reaches; person n's is scattered over them so that it looks unrelated.
DUPLICATE_BASE = 100_000_000
DUPLICATE_SPACE = 24 * 10000 * 24 * 24 - DUPLICATE_BASE
SCATTER = 15_485_863  # a prime not dividing DUPLICATE_SPACE: n -> n * SCATTER is one-to-one


def duplicate_number(n: int) -> int:
    """The person number whose NOMS number person n's duplicate record takes (n < SPACE)."""
    return DUPLICATE_BASE + n * SCATTER % DUPLICATE_SPACE


SPELL_KINDS = frozenset(
    {"admissions", "arrivals", "transfers-out", "court-departures", "court-returns"}
    | {"temporary-absences", "temporary-absence-returns", "releases", "cell-moves"}
)


def occurred(line: Line) -> datetime:
    return datetime.fromisoformat(line["occurred_at"])


def late(rng: random.Random, lines: list[Line]) -> None:
    """A few lines arrive after later ones (never the registration)."""
    for i in range(2, len(lines)):
        if rng.random() < LATE_SHARE:
            j = rng.randint(i, len(lines) - 1)
            lines[i], lines[j] = lines[j], lines[i]


def backdate(rng: random.Random, lines: list[Line]) -> None:
    """Some cell moves and key dates are entered days late: each moves to just after the first
    line that happened at least BACKDATED_BY after it, keeping its own effective time."""
    chosen = [
        line
        for line in lines
        if line["command"] in BACKDATED_KINDS and rng.random() < BACKDATED_SHARE
    ]
    for line in chosen:
        i = next(k for k, other in enumerate(lines) if other is line)
        due = occurred(line) + BACKDATED_BY
        later = next((k for k in range(i + 1, len(lines)) if occurred(lines[k]) >= due), None)
        if later is not None:
            lines.insert(later + 1, lines.pop(i))


def duplicate(rng: random.Random, lines: list[Line], noms: str) -> bool:
    """Sometimes: a later custody spell is recorded under `noms`, a second registration of the
    same person (name, birth date, sex; no PNC or CRN, which are claimed uniquely)."""
    admissions = [occurred(line) for line in lines if line["command"] == "admissions"]
    # Only a later spell: the first admission gives the original record its custody
    # responsibility, which the handovers and supervision that follow rely on.
    if rng.random() >= DUPLICATED_SHARE or len(admissions) < 2:
        return False
    start = max(admissions)
    moved = [
        i
        for i, line in enumerate(lines)
        if line["command"] in SPELL_KINDS and occurred(line) >= start
    ]
    for i in moved:
        lines[i] = {**lines[i], "person": noms}
    first = lines[0]
    registration = {
        "command": "register",
        "occurred_at": (start - timedelta(hours=1)).isoformat(),
        "source_ref": f"{noms}-1",
        **{k: first[k] for k in ("given_name", "family_name", "date_of_birth", "sex")},
        "identifiers": {"NOMS": noms},
    }
    lines.insert(moved[0], registration)
    return True
