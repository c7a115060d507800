"""What each part of Person (its movement, case, merge and protection commands) relies on
from the whole: recording an entry, the entries in force, and the corrections made."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime

from domain.person import events as ev
from domain.person.recorded import Recorded
from domain.provenance import Provenance


class PersonPart(ABC):
    """Mixin base for Person's commands; Person itself implements these."""

    corrections: list[ev.PersonEvent]

    @abstractmethod
    def record(
        self, event_class: type[ev.PersonEvent], provenance: Provenance, **fields: object
    ) -> Recorded:
        """Implemented by the class this mixin is part of."""

    @abstractmethod
    def active_entries(
        self, as_of: datetime | None = None, as_known_at: datetime | None = None
    ) -> list[ev.PersonEvent]:
        """Implemented by the class this mixin is part of."""
