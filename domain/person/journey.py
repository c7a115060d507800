"""The journey fold: a person's non-voided entries, in effective-time order, make their state.

The fold is total over the entries it knows: it always produces a state, so voiding or
reinstating can never be refused. Each step also reports whether the entry was possible at its
moment; commands use that to refuse records that would make the journey impossible, naming the
entry they conflict with. An entry it has no rule for raises `FoldError`, checked or not, so the
command path and the read models can never fold one history two ways.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from domain.person import events as ev
from domain.person.appliers import APPLIERS, Applier
from domain.person.fold_state import FoldError, JourneyState, describe
from domain.person.opening import presume_opening
from domain.person.rules import GUARDS, Conflict, Guard
from domain.person.vocabulary import ARRIVALS_FROM_ABSENCE, TRANSFER_IN, Direction, MovementType

__all__ = [
    "Conflict",
    "EntryRules",
    "FoldError",
    "JourneyFold",
    "describe",
    "effective_order",
    "entry_rules",
    "fold",
]


@dataclass(frozen=True)
class EntryRules:
    """How the fold takes one type of journey entry: whether it is possible, and what it does."""

    guard: Guard
    applier: Applier


@cache
def entry_rules(event_class: type[ev.PersonEvent]) -> EntryRules:
    """The guard and applier of a journey entry type; FoldError for a type that is no journey
    entry, or lacks a guard, an applier, its own label or its own description."""
    name = event_class.__name__
    if not ev.is_entry(event_class):
        msg = f"{name} is not a journey entry: it is never folded"
        raise FoldError(msg)
    guard, applier = GUARDS.get(event_class), APPLIERS.get(event_class)
    missing = [
        what
        for what, present in (
            ("guard", guard is not None),
            ("applier", applier is not None),
            ("label", ev.label_of(event_class) is not None),
            ("description", ev.description_of(event_class) is not None),
        )
        if not present
    ]
    if missing or guard is None or applier is None:
        msg = f"{name} is a journey entry without a {', '.join(missing)}: the fold cannot take it"
        raise FoldError(msg)
    return EntryRules(guard, applier)


class JourneyFold(JourneyState):
    """Folds entries one at a time; `step` applies leniently and refuses nothing."""

    def step(self, entry: ev.PersonEvent) -> Conflict | None:
        """Apply one entry; return the conflict it has with the state before it, if any."""
        rules = entry_rules(type(entry))
        presume_opening(self, entry)
        conflict = self._check_alive(entry)
        if conflict is None:
            conflict = _guard(rules.guard, self, entry)
        rules.applier(self, entry)
        return conflict

    def _check_alive(self, entry: ev.PersonEvent) -> Conflict | None:
        if self.died is None or isinstance(entry, ev.KeyDatesRecorded | ev.IdentifierAdded):
            return None
        return Conflict(
            "occurred_at",
            f"the person died at {describe(self.died)}; nothing can happen after that",
            self.died.originator_version,
        )


# One moment's entries are reordered only when there are this few (6! orders at most).
MAX_REORDERED = 6
ENDS_ABSENCE = frozenset({TRANSFER_IN, *ARRIVALS_FROM_ABSENCE})


def _guard(guard: Guard, fold: JourneyState, entry: ev.PersonEvent) -> Conflict | None:
    try:
        guard(fold, entry)
    except Conflict as conflict:
        return conflict
    return None


def effective_order(entries: Iterable[ev.PersonEvent]) -> list[ev.PersonEvent]:
    """Entries by effective time; at one moment, by when the source created each record
    (NOMIS `createDateTime`; those that say first), then in the natural order of a journey (a
    reception, then departures, then the arrivals that end them, then releases, then the
    rest), and then as recorded. The fold may reorder entries of one moment further."""
    ordered = sorted(entries, key=lambda e: (e.occurred_at, e.originator_version))
    for start, end in _ties(ordered):
        ordered[start:end] = sorted(ordered[start:end], key=_tie_key)  # stable: then as recorded
    return ordered


def _tie_key(entry: ev.PersonEvent) -> tuple[bool, datetime, int]:
    created = entry.source_created_at
    return created is None, created or entry.occurred_at, _rank(entry)


def _ties(ordered: list[ev.PersonEvent]) -> Iterator[tuple[int, int]]:
    """The spans of two or more consecutive entries at one moment (rare: a linear pass)."""
    start = 0
    for i in range(1, len(ordered) + 1):
        if i == len(ordered) or ordered[i].occurred_at != ordered[start].occurred_at:
            if i - start > 1:
                yield start, i
            start = i


def _rank(entry: ev.PersonEvent) -> int:
    if not isinstance(entry, ev.MovementRecorded):
        return 4
    if entry.direction == Direction.OUT:
        return 3 if entry.movement_type == MovementType.REL else 1
    arrival = entry.movement_type != MovementType.ADM or entry.reason_code in ENDS_ABSENCE
    return 2 if arrival else 0


def fold(
    entries: Iterable[ev.PersonEvent], *, checked: bool = True, start: JourneyFold | None = None
) -> tuple[JourneyFold, dict[int, Conflict]]:
    """Fold entries already in effective order, from the start of a journey or from a state
    folded earlier (then changed in place); return the state and, when `checked`, each entry's
    conflict with the state before it.

    Entries of one moment (records that carry a date but no time, or that a source lists out
    of order) are taken in the first order, of those their moment allows, that makes the
    journey possible, so the order they came in never changes the outcome."""
    journey = JourneyFold() if start is None else start
    conflicts: dict[int, Conflict] = {}
    ordered: list[ev.PersonEvent] = entries if isinstance(entries, list) else list(entries)
    tied = dict(_ties(ordered))
    i, count = 0, len(ordered)
    while i < count:
        end = tied.get(i)
        if end is None:  # the only entry at its moment: most are
            entry = ordered[i]
            i += 1
            if not checked:
                presume_opening(journey, entry)
                entry_rules(type(entry)).applier(journey, entry)
                continue
            conflict = journey.step(entry)
            if conflict is not None:
                conflicts[entry.originator_version] = conflict
            continue
        moment = ordered[i:end]
        if sum(isinstance(e, ev.MovementRecorded) for e in moment) > 1:
            taken = _possible_order(journey, moment)
        elif not checked:
            for entry in moment:
                presume_opening(journey, entry)
                entry_rules(type(entry)).applier(journey, entry)
            i = end
            continue
        else:
            taken = moment
        for entry in taken:
            conflict = journey.step(entry)
            if conflict is not None and checked:
                conflicts[entry.originator_version] = conflict
        i = end
    return journey, conflicts


def _possible_order(journey: JourneyFold, moment: list[ev.PersonEvent]) -> list[ev.PersonEvent]:
    """The first order of one moment's entries that the journey allows, trying the natural
    order first; the natural order if none does (or there are too many to try)."""
    if len(moment) > MAX_REORDERED:
        return moment
    start = journey.snapshot()
    try:
        for order in itertools.permutations(moment):
            if all(journey.step(entry) is None for entry in order):
                return list(order)
            journey.restore(start)
        return moment
    finally:
        journey.restore(start)
