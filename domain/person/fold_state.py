"""What the journey fold carries from one entry to the next, read by its rules and appliers.

The fold itself (`journey.py`) drives the rules and appliers; they see only this state, so the
state sits below all three.
"""

from __future__ import annotations

from datetime import date

from domain.person import events as ev
from domain.person.state import Location, Ownership, Stay
from domain.person.vocabulary import Status


def describe(entry: ev.PersonEvent) -> str:
    """A short human reference to an entry, for refusals and timelines."""
    when = entry.occurred_at.strftime("%Y-%m-%d %H:%M")
    if isinstance(entry, ev.MovementRecorded):
        what = f"{entry.movement_type} {entry.direction} {entry.from_agency}->{entry.to_agency}"
    else:
        what = entry.label
    return f"entry {entry.originator_version} ({what} at {when})"


class JourneyState:
    """A person's journey as folded so far, and the entries that last set each part of it."""

    def __init__(self) -> None:
        self.location = Location()
        self.ownership = Ownership()
        self.key_dates: dict[str, date] = {}
        self.identifiers: dict[str, list[str]] = {}
        self.last: dict[str, ev.PersonEvent] = {}
        self.died: ev.PersonEvent | None = None
        self.stays: list[Stay] = []

    def blame(self, key: str) -> int | None:
        """The entry that last set this part of the state (location, handover, ...), if any."""
        entry = self.last.get(key)
        return entry.originator_version if entry else None

    def where(self) -> str:
        """Where the person is, in words, naming the entry that put them there."""
        loc = self.location
        entry = self.last.get("location")
        ref = f" since {describe(entry)}" if entry else ""
        if loc.status is Status.NONE:
            return "the person was not in custody (no movement on record before it)"
        place = loc.agency or "an unknown place"
        return f"the person was {loc.status.value} ({place}){ref}"
