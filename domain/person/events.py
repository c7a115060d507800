"""The events of a person's history, in the NOMIS and Delius vocabulary.

Every event carries its provenance. The library's own `timestamp` is when the event was
recorded; `occurred_at` is when it happened in the world.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.frozen import held


class PersonEvent(Aggregate.Event):
    """Base of every event in a person's history."""

    occurred_at: datetime
    recorded_by: str
    source: str
    batch_id: str | None
    source_ref: str | None
    reason: str | None
    correlation_id: str | None
    source_created_at: datetime | None  # when the source created its record, if it says

    label: ClassVar[str] = "entry"  # each event type names itself in a word or two
    # Version 2 added `source_created_at`; events stored before it had none.
    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["source_created_at"] = None

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
    """Another identifier (NOMS, CRN, PNC, CRO) of the person, claimed for them alone."""

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
    """Supervision in the community began, held by a probation region, PDU and team."""

    region: str
    pdu: str
    team: str | None

    label = "supervision started"


class AreaTransferRequested(PersonEvent):
    """The case was asked to move to another probation region and PDU; pending until answered."""

    region: str
    pdu: str
    team: str | None

    label = "area transfer requested"


class AreaTransferAccepted(PersonEvent):
    """The pending area transfer was accepted: the case moved to the area asked for."""

    label = "area transfer accepted"


class AreaTransferRejected(PersonEvent):
    """The pending area transfer was rejected: the case stays where it is."""

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
    """The pending handover was accepted: responsibility passed to custody or community."""

    label = "handover accepted"


class HandoverRejected(PersonEvent):
    """The pending handover was rejected: responsibility stays where it is."""

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

    label = "entries voided"


class EntriesReinstated(PersonEvent):
    """Voided entries brought back into the derived journey."""

    entries: list[int]
    target_batch: str | None

    label = "entries reinstated"


class MergedInto(PersonEvent):
    """This record was merged into another (a NOMIS merge): its identifiers lead there now."""

    kept: str

    label = "merged into"


class MergeUndone(PersonEvent):
    """The merge of this record into another was reversed: it stands on its own again."""

    kept: str

    label = "merge undone"


class RecordsMerged(PersonEvent):
    """Another record of this person was merged in; `copies` are the entries it brought."""

    removed: str
    copies: list[int]

    label = "records merged"


class MergeReversed(PersonEvent):
    """A merge reversed: the entries it brought are voided, the other record stands again."""

    removed: str

    label = "merge reversed"


class Restricted(PersonEvent):
    """Processing of the record restricted (DPA 2018 s.47(2): accuracy contested): hidden from
    search, rolls, queues and the feed; read only by auditors and administrators, with a reason."""

    label = "restricted"


class RestrictionLifted(PersonEvent):
    """The restriction of processing lifted: the record is seen as before."""

    label = "restriction lifted"


class RetentionHeld(PersonEvent):
    """A manual retention hold: the record is kept whatever the retention rules say."""

    label = "retention hold"


class HoldReleased(PersonEvent):
    """The manual retention holds on the record released: the rules decide again."""

    label = "retention hold released"


# The events that are not journey entries, listed once: the registration, and the corrections
# that say which entries count (voids, reinstatements) or whose record they belong to (merges).
# The journey fold never sees them; every other event type is an entry it must know.
NOT_ENTRIES: frozenset[type[PersonEvent]] = frozenset(
    {
        Registered,
        EntriesVoided,
        EntriesReinstated,
        MergedInto,
        MergeUndone,
        RecordsMerged,
        MergeReversed,
        Restricted,
        RestrictionLifted,
        RetentionHeld,
        HoldReleased,
    }
)


def is_entry(event_class: type[PersonEvent]) -> bool:
    """Whether events of this type are journey entries, folded into the person's state."""
    return event_class not in NOT_ENTRIES


def label_of(event_class: type[PersonEvent]) -> str | None:
    """The event type's own label, not one inherited from its base."""
    label = vars(event_class).get("label")
    return label if isinstance(label, str) and label.strip() else None


def description_of(event_class: type[PersonEvent]) -> str | None:
    """The event type's own docstring: a sentence saying what it records."""
    doc = vars(event_class).get("__doc__")
    # A class without a docstring gets its signature as one from the dataclass machinery.
    if not isinstance(doc, str) or not doc.strip() or doc.startswith(f"{event_class.__name__}("):
        return None
    return doc


_FIELDS: dict[type[PersonEvent], frozenset[str]] = {}


def made(event_class: type[PersonEvent], /, **values: Any) -> PersonEvent:
    """The event as its dataclass constructor makes it (see `made_of`)."""
    return made_of(event_class, values)


def made_of(event_class: type[PersonEvent], values: dict[str, Any]) -> PersonEvent:
    """The event as its dataclass constructor makes it, from every field and no other, held
    as the constructor holds them: recording makes one per entry, and setting each field
    through the frozen dataclass's guard was most of its cost. Anything else goes to the
    constructor, which refuses it as it always has. `values` becomes the event's own."""
    names = _FIELDS.get(event_class)
    if names is None:
        names = _FIELDS[event_class] = frozenset(f.name for f in fields(event_class))
    if values.keys() != names or type(values["originator_id"]) is not UUID:
        return event_class(**values)
    return held(event_class, values)
