"""What the journey fold carries from one entry to the next, read by its rules and appliers,
and the error it raises for an entry it has no rule for.

The fold itself (`journey.py`) drives the rules and appliers; they see only this state, so the
state sits below all three.
"""

from __future__ import annotations

from datetime import date
from functools import cache

from domain import reference
from domain.person import events as ev
from domain.person.state import Location, Opening, Ownership, Stay
from domain.person.vocabulary import MOVEMENTS, Movement, Status


class FoldError(Exception):
    """An entry the journey fold has no rule for: an event type without a guard, an applier,
    a label or a description, or a movement the journey does not know. A programming error,
    never a refusal of what a user recorded."""


def known_movement(entry: ev.MovementRecorded) -> Movement:
    """The movement's type and direction, if the journey knows the pair and the reference data
    knows its reason for that type (as a command checks when recording it); else FoldError."""
    key = (entry.movement_type, entry.direction, entry.reason_code)
    movement = known_movements().get(key)
    if movement is None:
        raise FoldError(_unknown(*key))
    return movement


@cache
def known_movements() -> dict[tuple[str, str, str], Movement]:
    """Every movement the journey folds, by type, direction and reason: the one lookup the
    fold makes per movement."""
    reasons = reference.movement_reasons()
    return {
        (kind, direction, reason.code): (kind, direction)
        for kind, direction in MOVEMENTS
        for reason in reasons
        if reason.movement_type == kind
    }


def _unknown(movement_type: str, direction: str, reason: str) -> str:
    pair = f"{movement_type} {direction}"
    if (movement_type, direction) not in MOVEMENTS:
        known = ", ".join(sorted(f"{t} {d}" for t, d in MOVEMENTS))
        return f"the journey has no rule for a {pair} movement (it knows {known})"
    return f"the journey has no rule for a {pair} movement with reason {reason!r}"


def describe(entry: ev.PersonEvent) -> str:
    """A short human reference to an entry, for refusals and timelines."""
    when = entry.occurred_at.strftime("%Y-%m-%d %H:%M")
    if isinstance(entry, ev.MovementRecorded):
        what = f"{entry.movement_type} {entry.direction} {entry.from_agency}->{entry.to_agency}"
    else:
        what = entry.label
    return f"entry {entry.originator_version} ({what} at {when})"


# Where every fold starts: frozen, so one of each serves every person.
NOWHERE = Location()
UNOWNED = Ownership()


class JourneyState:
    """A person's journey as folded so far, and the entries that last set each part of it."""

    def __init__(self) -> None:
        self.location = NOWHERE
        self.ownership = UNOWNED
        self.key_dates: dict[str, date] = {}
        self.identifiers: dict[str, list[str]] = {}
        self.last: dict[str, ev.PersonEvent] = {}
        self.died: ev.PersonEvent | None = None
        self.stays: list[Stay] = []
        self.opening: Opening | None = None

    def snapshot(self) -> JourneyState:
        """A copy to go back to: every part the appliers change, copied one level deep."""
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy.key_dates = dict(self.key_dates)
        copy.identifiers = {kind: list(values) for kind, values in self.identifiers.items()}
        copy.last = dict(self.last)
        copy.stays = list(self.stays)
        return copy

    def restore(self, snapshot: JourneyState) -> None:
        self.__dict__.update(snapshot.snapshot().__dict__)

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
        place = loc.agency or loc.prison or "an unknown place"
        if entry is None and self.opening is not None:
            ref = f", as inferred from entry {self.opening.entry}"
        return f"the person was {loc.status.value} ({place}){ref}"
