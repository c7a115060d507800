"""Test helpers that write many people quickly, through the domain, in batched saves."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from domain.service.application import JourneyApp
from ops.bench.people import Built, Loaded, pending_events, save_people

START = datetime(2024, 2, 5, 8, tzinfo=UTC)
PRISONS = ["LEI", "MDI", "WYI", "DMI", "HLI"]


def noms(n: int) -> str:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    return f"{letters[n // 10000 % 24]}{n % 10000:04d}{letters[n // 240000 % 24]}Z"


def build(n: int) -> Built:
    """A person with six events: registration, admission, cell, key dates, transfer, arrival."""
    load = Loaded(noms(n), START + timedelta(minutes=n), "loader", "seed")
    p = load.at
    home, other = PRISONS[n % 5], PRISONS[(n + 1) % 5]
    person = load.register("Seed", f"Person{n}", date(1980, 1, 1))
    person.admit(p(0), prison=home, reason="N")
    person.move_cell(p(1), prison=home, cell="A-1-001")
    person.record_key_dates(p(2), dates={"CRD": date(2025, 1, 1) + timedelta(days=n % 300)})
    person.transfer_out(p(24), from_prison=home, to_prison=other)
    if n % 3:
        person.arrive(p(28), prison=other)
    return person, load.claim(person)


def seed(app: JourneyApp, first: int, count: int, per_save: int = 25) -> int:
    """Save `count` people from number `first`; return the events written."""
    events = 0
    for start in range(first, first + count, per_save):
        built = [build(n) for n in range(start, min(start + per_save, first + count))]
        events += pending_events(built)
        save_people(app, built, per_save)
    return events
