"""The person aggregate: one event-sourced history per person."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, NoReturn, cast

from eventsourcing.domain import Aggregate

from domain.errors import ImpossibleJourney, InvalidValue
from domain.person import events as ev
from domain.person.casework import CaseCommands, reason_given
from domain.person.journey import Conflict, JourneyFold, describe, effective_order, fold
from domain.person.merging import MergeCommands
from domain.person.movements import MovementCommands
from domain.person.recorded import Recorded
from domain.person.restriction import ProtectionCommands
from domain.person.state import Location, Ownership, PersonState
from domain.person.vocabulary import AgencyKind, Status
from domain.provenance import Provenance, check_text
from domain.source_refs import canonical_ref

# Recorded is re-exported: the service layer and the importer take it from here with Person.
__all__ = ["Person", "Recorded", "VoidMark", "check_birth", "presented"]


@dataclass(frozen=True)
class VoidMark:
    """Why and by whom an entry is currently voided."""

    entry: int
    voided_by: str
    reason: str | None
    at: datetime
    correction: int
    batch: str | None


@dataclass(frozen=True)
class Settled:
    """The active entries folded and checked, as of the numbers of entries and corrections
    taken (both only grow, so the pair names the active entries), and the latest moment."""

    taken: tuple[int, int]
    journey: JourneyFold
    conflicts: dict[int, Conflict]
    last_at: datetime | None


class Person(MovementCommands, CaseCommands, MergeCommands, ProtectionCommands, Aggregate):
    """A person's whole recorded journey. State is derived, never stored."""

    registration: ev.Registered
    entries: list[ev.PersonEvent]
    corrections: list[ev.PersonEvent]

    def __init__(self) -> None:
        self.entries, self.corrections = [], []
        self._refs: dict[tuple[str, str], list[int]] = {}
        self._unindexed: list[ev.PersonEvent] = []  # kept, with a source_ref not yet in _refs
        # Entries being recorded together, made and waiting to be checked with the others.
        self._queue: list[ev.PersonEvent] | None = None
        self._queued_refs: dict[tuple[str, str], int] = {}  # the first queued of each record
        self._folded: Settled | None = None  # what the last check folded, for the next

    @classmethod
    def register(
        cls,
        *,
        person_id: Any,
        given_name: str | None,
        family_name: str | None,
        date_of_birth: date | None,
        sex: str | None,
        identifiers: dict[str, str],
        provenance: Provenance,
    ) -> Person:
        """A new person with normalised identifiers and, when the source has them, a name and a
        date of birth (a movement feed carries neither)."""
        check_text("given_name", given_name, required=False, limit=100)
        check_text("family_name", family_name, required=False, limit=100)
        if (given_name is None) != (family_name is None):
            raise InvalidValue(
                "family_name" if family_name is None else "given_name",
                "give both names or neither",
            )
        for field, value in (("given_name", given_name), ("family_name", family_name)):
            if value is not None and not value.strip():
                raise InvalidValue(field, "must not be blank")
        if date_of_birth is not None:
            check_birth(date_of_birth, provenance)
        if sex is not None and sex not in {"M", "F", "X"}:
            raise InvalidValue("sex", "must be M, F or X")
        provenance.check_not_future()
        return cls._create(
            ev.Registered,
            id=person_id,
            given_name=given_name.strip() if given_name else None,
            family_name=family_name.strip() if family_name else None,
            date_of_birth=date_of_birth,
            sex=sex,
            identifiers=dict(identifiers),
            **provenance.event_fields(),
        )

    @classmethod
    def from_history(cls, events: Sequence[ev.PersonEvent]) -> Person:
        """A person from their stored events, in version order (a bulk path for read models)."""
        first, rest = events[0], events[1:]
        if type(first) is ev.Registered and first.originator_topic == _TOPIC:
            # What the library's creation does for this class, without working out again
            # for every person which of the event's attributes its constructors take.
            person = cls.__new__(cls)
            person.__base_init__(first.originator_id, first.originator_version, first.timestamp)
            person.__init__()  # type: ignore[misc]
            first.apply(person)
        else:
            person = cast(Person, first.mutate(None))
        pid = person.id
        for expected, event in enumerate(rest, start=first.originator_version + 1):
            oid = event.originator_id
            if event.originator_version != expected or (oid is not pid and oid != pid):
                msg = f"history of {person.id} is not contiguous at version {expected}"
                raise ValueError(msg)
            person.take(event)
        if rest:
            person.version = rest[-1].originator_version
            person._modified_on = rest[-1].timestamp
        return person

    def take(self, event: ev.PersonEvent) -> None:
        """Keep an event: entries and corrections are folded on demand."""
        if isinstance(event, ev.Registered):
            self.registration = event
        elif ev.is_entry(type(event)):
            self.entries.append(event)
        else:
            self.corrections.append(event)
        if event.source_ref is not None:
            self._unindexed.append(event)

    def copied(self) -> Person:
        """A copy a command can change while this one stays as stored: events and folds are
        immutable and shared, the lists holding them are not."""
        copy = object.__new__(type(self))
        state = dict(self.__dict__)
        for name in ("entries", "corrections", "_unindexed", "_pending_events"):
            state[name] = list(state[name])
        state["_refs"] = {key: list(found) for key, found in self._refs.items()}
        state["_queued_refs"] = dict(self._queued_refs)
        if self._queue is not None:
            state["_queue"] = list(self._queue)
        copy.__dict__.update(state)
        return copy

    def catch_up(self, events: Sequence[ev.PersonEvent]) -> None:
        """Take the events stored after this person's version (another process's entries).
        The last check's fold is kept, extended by them, where they are entries later than
        all it folded, as a check of live records would extend it; else the next check folds
        afresh."""
        taken = (len(self.entries), len(self.corrections))
        settled = self._folded if self._folded is not None and self._folded.taken == taken else None
        for event in events:
            event.mutate(self)  # the library's checks: the next version, this person
        if settled is None or not events or not all(ev.is_entry(type(e)) for e in events):
            return
        ordered = effective_order(events)
        if settled.last_at is not None and ordered[0].occurred_at <= settled.last_at:
            return
        journey, new = fold(ordered, start=cast(JourneyFold, settled.journey.snapshot()))
        if not new:  # as stored, they conflict with nothing: else folded afresh, to say so
            now = (len(self.entries), len(self.corrections))
            self._folded = Settled(now, journey, settled.conflicts, ordered[-1].occurred_at)

    @property
    def refs(self) -> dict[tuple[str, str], list[int]]:
        """The versions of the events kept from each source record (source, canonical key),
        in the order kept: indexed when first asked (reading a history never asks)."""
        for event in self._unindexed:
            assert event.source_ref is not None
            key = (event.source, canonical_ref(event.source_ref))
            self._refs.setdefault(key, []).append(event.originator_version)
        self._unindexed.clear()
        return self._refs

    # ---- reading ----

    def voids(self, as_known_at: datetime | None = None) -> dict[int, VoidMark]:
        """Entries voided as known at a moment (now if none)."""
        marks: dict[int, VoidMark] = {}
        for correction in self.corrections:
            if as_known_at is not None and correction.timestamp > as_known_at:
                break
            if not isinstance(correction, ev.EntriesVoided | ev.EntriesReinstated):
                continue
            for entry in correction.entries:
                if isinstance(correction, ev.EntriesVoided):
                    marks[entry] = VoidMark(
                        entry,
                        correction.recorded_by,
                        correction.reason,
                        correction.timestamp,
                        correction.originator_version,
                        correction.target_batch,
                    )
                else:
                    marks.pop(entry, None)
        return marks

    def voided(self, as_known_at: datetime | None = None) -> set[int]:
        """The entries voided as known at a moment (now if none): the keys of `voids`,
        without a mark made for each."""
        found: set[int] = set()
        for correction in self.corrections:
            if as_known_at is not None and correction.timestamp > as_known_at:
                break
            if isinstance(correction, ev.EntriesVoided):
                found.update(correction.entries)
            elif isinstance(correction, ev.EntriesReinstated):
                found.difference_update(correction.entries)
        return found

    def active_entries(
        self, as_of: datetime | None = None, as_known_at: datetime | None = None
    ) -> list[ev.PersonEvent]:
        """Non-voided entries in effective order, cut at an effective time and a knowledge point."""
        voided = self.voided(as_known_at)
        chosen = (
            e
            for e in self.entries
            if e.originator_version not in voided
            and (as_known_at is None or e.timestamp <= as_known_at)
            and (as_of is None or e.occurred_at <= as_of)
        )
        return effective_order(chosen)

    def state(
        self,
        as_of: datetime | None = None,
        as_known_at: datetime | None = None,
        *,
        checked: bool = True,
    ) -> PersonState | None:
        """The person's state at an effective time, as known at a moment; None if not yet known.
        Unchecked, it skips listing anomalies (entries impossible where they stand)."""
        reg = self.registration
        if as_known_at is not None and reg.timestamp > as_known_at:
            return None
        active = self.active_entries(as_of, as_known_at)
        journey, conflicts = fold(active, checked=checked)
        identifiers = {kind: [value] for kind, value in reg.identifiers.items()}
        for kind, values in journey.identifiers.items():
            bucket = identifiers.setdefault(kind, [])
            bucket.extend([v for v in values if v not in bucket])
        seen = [reg, *self.entries, *self.corrections]
        if as_known_at is not None:
            seen = [e for e in seen if e.timestamp <= as_known_at]
        known_version = max(e.originator_version for e in seen)
        return PersonState(
            person_id=str(self.id),
            given_name=reg.given_name,
            family_name=reg.family_name,
            date_of_birth=reg.date_of_birth,
            sex=reg.sex,
            identifiers={k: tuple(v) for k, v in identifiers.items()},
            location=presented(journey.location, journey.ownership),
            ownership=journey.ownership,
            key_dates=dict(journey.key_dates),
            version=known_version,
            entries_applied=len(active),
            anomalies=tuple(f"entry {v}: {c.reason}" for v, c in sorted(conflicts.items())),
            stays=tuple(journey.stays),
            prisons_named=self.prisons_named(),
            merged_into=self.merged_into(as_known_at),
            opening=journey.opening,
            protection=self.protection(as_known_at, active),
        )

    def movements_near(self, at: datetime, window: timedelta) -> list[ev.MovementRecorded]:
        """The live movements within `window` of an effective time, counting entries being
        recorded together as well as those saved."""
        queued = list(self._queue or ())
        return [
            e
            for e in [*self.active_entries(), *queued]
            if isinstance(e, ev.MovementRecorded) and abs(e.occurred_at - at) <= window
        ]

    def position(self, at: datetime) -> Location:
        """Where the person is at an effective time, counting entries being recorded together
        (a load's earlier lines for them) as well as those saved."""
        queued = [q for q in self._queue or () if ev.is_entry(type(q)) and q.occurred_at <= at]
        journey, _ = fold(effective_order([*self.active_entries(at), *queued]), checked=False)
        return journey.location

    def prisons_named(self) -> tuple[str, ...]:
        """Every prison any movement names, voided entries included (time-travel candidates)."""
        named = {
            agency
            for e in self.entries
            if isinstance(e, ev.MovementRecorded)
            for agency in (e.from_agency, e.to_agency)
        }
        return tuple(sorted(named))

    def timeline(self) -> list[ev.PersonEvent]:
        """Every event in the order it was recorded, registration first (corrections fall
        between the entries they followed, not after all of them)."""
        events = [*self.entries, *self.corrections]
        return [self.registration, *sorted(events, key=lambda e: e.originator_version)]

    def duplicate_of(self, provenance: Provenance) -> int | None:
        """The live entry already recorded from the same source record, if any."""
        if provenance.source_ref is None:
            return None
        versions = self.refs.get((provenance.source, canonical_ref(provenance.source_ref)), [])
        if not versions:
            return None
        voided = self.voided()
        live = [v for v in versions if v not in voided]
        return live[0] if live else None

    # ---- recording ----

    def record(
        self, event_class: type[ev.PersonEvent], provenance: Provenance, **fields: Any
    ) -> Recorded:
        """Append one entry after checking it keeps the journey possible (inside `together`,
        queue it to be checked with the others)."""
        earlier = self.duplicate_of(provenance) or self.duplicate_of_queued(provenance)
        if earlier is not None:
            return Recorded(earlier, duplicate=True)
        provenance.check_not_future()
        if self.registration.date_of_birth is not None:
            check_birth(self.registration.date_of_birth, provenance)
        version = self.version + 1 + len(self._queue or ())
        values = provenance.event_fields()
        values.update(fields)
        values["originator_id"] = self.id
        values["originator_version"] = version
        values["timestamp"] = event_class.create_timestamp()
        candidate = ev.made_of(event_class, values)
        if self._queue is not None:
            self._queue.append(candidate)
            if provenance.source_ref is not None:
                self._queued_refs.setdefault((provenance.source, provenance.source_ref), version)
            return Recorded(version)
        settled = self.check_possible(candidate) if ev.is_entry(event_class) else None
        self._adopt(candidate)
        self._keep(settled)
        return Recorded(self.version)

    @contextmanager
    def together(self) -> Iterator[None]:
        """Record several entries as one: checked together, then all kept or none (a late
        court visit's departure and return, say, which are only possible as a pair)."""
        if self._queue is not None:
            msg = "entries are already being recorded together"
            raise RuntimeError(msg)
        self._queue, self._queued_refs = [], {}
        try:
            yield
            queued = self._queue
        finally:
            self._queue, self._queued_refs = None, {}
        settled = self.check_possible(*(q for q in queued if ev.is_entry(type(q))))
        for q in queued:
            self._adopt(q)
        self._keep(settled)

    def _adopt(self, event: ev.PersonEvent) -> None:
        """Keep an entry already made and checked as the next in the sequence: what the
        library's `trigger_event` does, without making the event a second time."""
        if event.originator_version != self.version + 1:
            msg = f"entry {event.originator_version} is not next after {self.version}"
            raise RuntimeError(msg)
        event.mutate(self)
        self._pending_events.append(event)

    def duplicate_of_queued(self, provenance: Provenance) -> int | None:
        if provenance.source_ref is None:
            return None
        return self._queued_refs.get((provenance.source, provenance.source_ref))

    def check_possible(self, *candidates: ev.PersonEvent) -> Settled | None:
        """Refuse entries that conflict with the history around them at their effective time,
        naming the entry each conflicts with; if none does, the journey folded with them."""
        if not candidates:
            return None
        settled = self._settled()
        taken = (len(self.entries) + len(candidates), len(self.corrections))
        ordered = effective_order(candidates)
        if settled.last_at is None or ordered[0].occurred_at > settled.last_at:
            # All later than the history (a live record): only they are folded, after it.
            start = cast(JourneyFold, settled.journey.snapshot())
            journey, new = fold(ordered, start=start)
            if new:
                own = next(e for e in ordered if e.originator_version in new)
                _refuse_own(own, new[own.originator_version])
            return Settled(taken, journey, settled.conflicts, ordered[-1].occurred_at)
        before = settled.conflicts
        merged = effective_order([*self.active_entries(), *candidates])
        journey, after = fold(merged)
        first = next((e for e in merged if e.originator_version in after.keys() - before), None)
        if first is None:
            return Settled(taken, journey, after, merged[-1].occurred_at)
        conflict = after[first.originator_version]
        if first.originator_version in {c.originator_version for c in candidates}:
            _refuse_own(first, conflict)
        raise ImpossibleJourney(
            "occurred_at",
            f"this would make a later record impossible, {describe(first)}: {conflict.reason}",
            first.originator_version,
        )

    def _settled(self) -> Settled:
        """The active entries folded and checked: folded again only once more are taken."""
        taken = (len(self.entries), len(self.corrections))
        if self._folded is None or self._folded.taken != taken:
            active = self.active_entries()
            journey, conflicts = fold(active)
            last_at = active[-1].occurred_at if active else None
            self._folded = Settled(taken, journey, conflicts, last_at)
        return self._folded

    def _keep(self, settled: Settled | None) -> None:
        """Keep a check's fold for the next (used only if what was taken since is what it
        counted: a void recorded with the entries makes the next check fold afresh)."""
        if settled is not None:
            self._folded = settled

    def void(
        self, provenance: Provenance, *, entries: Sequence[int] = (), batch: str | None = None
    ) -> Recorded | None:
        """Strike entries (listed, or all of a batch) out of the journey; None if nothing to do."""
        return self._correct(ev.EntriesVoided, provenance, entries, batch, voided=False)

    def reinstate(
        self, provenance: Provenance, *, entries: Sequence[int] = (), batch: str | None = None
    ) -> Recorded | None:
        """Bring voided entries back; None if nothing is voided."""
        return self._correct(ev.EntriesReinstated, provenance, entries, batch, voided=True)

    def _correct(
        self,
        correction: type[ev.PersonEvent],
        provenance: Provenance,
        entries: Sequence[int],
        batch: str | None,
        *,
        voided: bool,
    ) -> Recorded | None:
        """Void or reinstate the entries named (or a batch's) that are `voided` or not yet."""
        targets = self._targets(entries, batch, voided=voided)
        if not targets:
            return None
        return self.record(
            correction, reason_given(provenance), entries=targets, target_batch=batch
        )

    def _targets(self, entries: Iterable[int], batch: str | None, *, voided: bool) -> list[int]:
        if batch is None and not entries:
            raise InvalidValue("entries", "name the entries or the batch to correct")
        known = {e.originator_version: e for e in self.entries}
        for version in entries:
            if version not in known:
                raise InvalidValue(
                    "entries", f"entry {version} is not a correctable entry of this person"
                )
        marks = self.voided()
        chosen = list(entries) or [v for v, e in known.items() if e.batch_id == batch]
        return sorted(v for v in chosen if (v in marks) == voided)


def _refuse_own(entry: ev.PersonEvent, conflict: Conflict) -> NoReturn:
    raise ImpossibleJourney(
        conflict.field, conflict.reason, conflict.blocking, entry.originator_version
    )


def check_birth(date_of_birth: date, provenance: Provenance) -> None:
    if not isinstance(date_of_birth, date) or isinstance(date_of_birth, datetime):
        raise InvalidValue("date_of_birth", "must be a date")
    if date_of_birth > datetime.now(UTC).date():
        raise InvalidValue("date_of_birth", "must not be in the future")
    if date_of_birth.year < 1900:
        raise InvalidValue("date_of_birth", "must be after 1900")
    if provenance.occurred_at.date() < date_of_birth:
        raise InvalidValue("occurred_at", "is before the person's date of birth")


def presented(location: Location, ownership: Ownership) -> Location:
    """Out of custody with a probation unit holding the case: shown as supervised there."""
    if location.status in {Status.RELEASED, Status.NONE} and ownership.pdu is not None:
        if location.agency_kind is AgencyKind.HOSPITAL:
            return location
        return replace(
            location,
            status=Status.SUPERVISED,
            agency=ownership.pdu,
            agency_kind=AgencyKind.COMMUNITY,
        )
    return location


# The topic a person's registration names as the aggregate it creates.
_TOPIC = f"{Person.__module__}:{Person.__qualname__}"
