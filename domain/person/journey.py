"""The journey fold: a person's non-voided entries, in effective-time order, make their state.

The fold is total: it always produces a state, so voiding or reinstating can never be refused.
Each step also reports whether the entry was possible at its moment; commands use that to
refuse records that would make the journey impossible, naming the entry they conflict with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from domain.person import events as ev
from domain.person.appliers import APPLIERS
from domain.person.fold_state import JourneyState, describe
from domain.person.rules import GUARDS, Conflict

__all__ = ["Conflict", "JourneyFold", "describe", "effective_order", "fold"]


class JourneyFold(JourneyState):
    """Folds entries one at a time; `step` applies leniently and raises nothing."""

    def step(self, entry: ev.PersonEvent) -> Conflict | None:
        """Apply one entry; return the conflict it has with the state before it, if any."""
        handler = GUARDS.get(type(entry))
        if handler is None:
            return None
        conflict = self._check_alive(entry)
        if conflict is None:
            conflict = _guard(handler, self, entry)
        APPLIERS[type(entry)](self, entry)
        return conflict

    def _check_alive(self, entry: ev.PersonEvent) -> Conflict | None:
        if self.died is None or isinstance(entry, ev.KeyDatesRecorded | ev.IdentifierAdded):
            return None
        return Conflict(
            "occurred_at",
            f"the person died at {describe(self.died)}; nothing can happen after that",
            self.died.originator_version,
        )


def _guard(
    handler: Callable[[JourneyState, ev.PersonEvent], None],
    fold: JourneyState,
    entry: ev.PersonEvent,
) -> Conflict | None:
    try:
        handler(fold, entry)
    except Conflict as conflict:
        return conflict
    return None


def effective_order(entries: Iterable[ev.PersonEvent]) -> list[ev.PersonEvent]:
    """Entries by effective time; ties keep the order they were recorded in."""
    return sorted(entries, key=lambda e: (e.occurred_at, e.originator_version))


def fold(
    entries: Iterable[ev.PersonEvent], *, checked: bool = True
) -> tuple[JourneyFold, dict[int, Conflict]]:
    """Fold entries already in effective order; return the state and, when `checked`, each
    entry's conflict with the state before it."""
    journey = JourneyFold()
    conflicts: dict[int, Conflict] = {}
    if not checked:
        for entry in entries:
            APPLIERS[type(entry)](journey, entry)
        return journey, conflicts
    for entry in entries:
        conflict = journey.step(entry)
        if conflict is not None:
            conflicts[entry.originator_version] = conflict
    return journey, conflicts
