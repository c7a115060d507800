"""A person's full timeline for auditors: every event with its provenance and void marks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.person import events as ev
from domain.person.aggregate import Person, VoidMark
from domain.provenance import PROVENANCE_NAMES

# What every event carries beside its own fields: the library's and the provenance.
PROVENANCE_FIELDS = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic", "class_version"}
    | set(PROVENANCE_NAMES)
)


@dataclass(frozen=True)
class TimelineEntry:
    """One recorded event, as an auditor sees it."""

    entry: int
    kind: str
    occurred_at: datetime
    recorded_at: datetime
    recorded_by: str
    source: str
    batch_id: str | None
    source_ref: str | None
    reason: str | None
    correlation_id: str | None
    details: dict[str, Any]
    voided: VoidMark | None
    source_created_at: datetime | None = None  # when the source created its record


def timeline(person: Person, as_known_at: datetime | None = None) -> list[TimelineEntry]:
    """Every event in recorded order, with the void marks known at a moment."""
    marks = person.voids(as_known_at)
    rows = []
    for event in person.timeline():
        if as_known_at is not None and event.timestamp > as_known_at:
            continue
        rows.append(_entry(event, marks.get(event.originator_version)))
    return rows


def _entry(event: ev.PersonEvent, mark: VoidMark | None) -> TimelineEntry:
    details = {k: v for k, v in vars(event).items() if k not in PROVENANCE_FIELDS}
    return TimelineEntry(
        entry=event.originator_version,
        kind=type(event).__name__,
        recorded_at=event.timestamp,
        details=details,
        voided=mark,
        **{name: getattr(event, name) for name in PROVENANCE_NAMES},
    )
