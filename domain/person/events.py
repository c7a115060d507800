"""The events of a person's history, in the NOMIS and Delius vocabulary.

Every event carries its provenance. The library's own `timestamp` is when the event was
recorded; `occurred_at` is when it happened in the world.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from eventsourcing.domain import Aggregate


class PersonEvent(Aggregate.Event):
    """Base of every event in a person's history."""

    occurred_at: datetime
    recorded_by: str
    source: str
    batch_id: str | None
    source_ref: str | None
    reason: str | None
    correlation_id: str | None

    is_entry: ClassVar[bool] = True
    label: ClassVar[str] = "entry"

    def apply(self, aggregate: Any) -> None:
        aggregate.take(self)


class Registered(PersonEvent, Aggregate.Created):
    """A person became known: name, date of birth and identifiers."""

    given_name: str | None  # None: not in the source (a NOMIS movement names no one)
    family_name: str | None
    date_of_birth: date | None
    sex: str | None
    identifiers: dict[str, str]

    label = "registered"


class IdentifierAdded(PersonEvent):
    kind: str
    value: str

    label = "identifier added"


class MovementRecorded(PersonEvent):
    """A NOMIS external movement: type, direction, reason, from one agency to another."""

    movement_type: str
    direction: str
    reason_code: str
    from_agency: str
    to_agency: str

    label = "movement"


class CellMoved(PersonEvent):
    """A move inside a prison to a wing-landing-cell location."""

    agency: str
    cell: str

    label = "cell move"


class SupervisionStarted(PersonEvent):
    region: str
    pdu: str
    team: str | None

    label = "supervision started"


class AreaTransferRequested(PersonEvent):
    region: str
    pdu: str
    team: str | None

    label = "area transfer requested"


class AreaTransferAccepted(PersonEvent):
    label = "area transfer accepted"


class AreaTransferRejected(PersonEvent):
    label = "area transfer rejected"


class OffenderManagerAllocated(PersonEvent):
    """A prison (POM) or community (COM) offender manager allocated."""

    role: str
    officer: str
    unit: str

    label = "offender manager allocated"


class HandoverRequested(PersonEvent):
    """Responsibility asked to move to `to` (custody or community)."""

    to: str

    label = "handover requested"


class HandoverAccepted(PersonEvent):
    label = "handover accepted"


class HandoverRejected(PersonEvent):
    label = "handover rejected"


class RiskEscalated(PersonEvent):
    """Urgent risk escalation to the national probation service."""

    level: str

    label = "risk escalated"


class KeyDatesRecorded(PersonEvent):
    """Sentence key dates set (a date) or removed (None)."""

    dates: dict[str, date | None]

    label = "key dates"


class EntriesVoided(PersonEvent):
    """Entries struck out of the derived journey, by batch or one by one. Never deleted."""

    entries: list[int]
    target_batch: str | None

    is_entry = False
    label = "entries voided"


class EntriesReinstated(PersonEvent):
    """Voided entries brought back into the derived journey."""

    entries: list[int]
    target_batch: str | None

    is_entry = False
    label = "entries reinstated"


class MergedInto(PersonEvent):
    """This record was merged into another (a NOMIS merge): its identifiers lead there now."""

    kept: str

    is_entry = False
    label = "merged into"


class MergeUndone(PersonEvent):
    """The merge of this record into another was reversed: it stands on its own again."""

    kept: str

    is_entry = False
    label = "merge undone"


class RecordsMerged(PersonEvent):
    """Another record of this person was merged in; `copies` are the entries it brought."""

    removed: str
    copies: list[int]

    is_entry = False
    label = "records merged"


class MergeReversed(PersonEvent):
    """A merge reversed: the entries it brought are voided, the other record stands again."""

    removed: str

    is_entry = False
    label = "merge reversed"
