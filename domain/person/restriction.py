"""Restriction of processing and manual retention holds on a person's record (DPA 2018 s.47),
as events with a reason and who recorded them, like every other change."""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime

from domain.errors import InvalidValue
from domain.person import events as ev
from domain.person.casework import reason_given
from domain.person.part import PersonPart
from domain.person.recorded import Recorded
from domain.person.state import Mark, Protection
from domain.person.vocabulary import UAL_REASONS, MovementType
from domain.provenance import Provenance


class ProtectionCommands(PersonPart):
    """Mixin for Person: restricting and lifting, holding and releasing."""

    @abstractmethod
    def merges(self) -> dict[str, list[int]]:
        """Implemented by the class this mixin is part of."""

    def restrict(self, provenance: Provenance) -> Recorded:
        """Restrict processing, for the reason given; refused if already restricted."""
        if self.restriction() is not None:
            raise InvalidValue("ref", "the record is already restricted")
        return self.record(ev.Restricted, reason_given(provenance))

    def lift_restriction(self, provenance: Provenance) -> Recorded:
        if self.restriction() is None:
            raise InvalidValue("ref", "the record is not restricted")
        return self.record(ev.RestrictionLifted, reason_given(provenance))

    def hold_retention(self, provenance: Provenance) -> Recorded:
        """Keep the record whatever the retention rules say, for the reason given."""
        return self.record(ev.RetentionHeld, reason_given(provenance))

    def release_holds(self, provenance: Provenance) -> Recorded:
        if not self.holds():
            raise InvalidValue("ref", "no retention hold stands on the record")
        return self.record(ev.HoldReleased, reason_given(provenance))

    def restriction(self, as_known_at: datetime | None = None) -> Mark | None:
        """The standing restriction, as known at a moment (now if none)."""
        found: Mark | None = None
        for event in self._protective(as_known_at):
            if isinstance(event, ev.Restricted):
                found = mark(event)
            elif isinstance(event, ev.RestrictionLifted):
                found = None
        return found

    def holds(self, as_known_at: datetime | None = None) -> tuple[Mark, ...]:
        """The standing manual retention holds (a release clears them all)."""
        found: list[Mark] = []
        for event in self._protective(as_known_at):
            if isinstance(event, ev.RetentionHeld):
                found.append(mark(event))
            elif isinstance(event, ev.HoldReleased):
                found = []
        return tuple(found)

    def protection(
        self, as_known_at: datetime | None = None, active: list[ev.PersonEvent] | None = None
    ) -> Protection:
        """Restriction, holds and the retention facts, as known at a moment (given the live
        entries when the caller has them already)."""
        if active is None:
            active = self.active_entries(as_known_at=as_known_at)
        ual = any(
            isinstance(e, ev.MovementRecorded)
            and e.movement_type == MovementType.REL
            and e.reason_code in UAL_REASONS
            for e in active
        )
        if not self.corrections:  # nothing restricts, holds or merges: most records
            return Protection(None, (), ual, 0)
        return Protection(
            self.restriction(as_known_at), self.holds(as_known_at), ual, len(self.merges())
        )

    def _protective(self, as_known_at: datetime | None) -> list[ev.PersonEvent]:
        kinds = (ev.Restricted, ev.RestrictionLifted, ev.RetentionHeld, ev.HoldReleased)
        return [
            e
            for e in self.corrections
            if isinstance(e, kinds) and (as_known_at is None or e.timestamp <= as_known_at)
        ]


def mark(event: ev.PersonEvent) -> Mark:
    return Mark(event.timestamp, event.recorded_by, event.reason, event.originator_version)
