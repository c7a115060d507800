"""The batch registry: every data load as an event-sourced record of what it did.

A batch knows its file (hash, name, format), its source, who loaded it and when, every line it
refused and why, the people it touched, and each void and reinstatement with its reason. The
people touched are recorded in the same transaction as their entries, so a batch's record is
exact even after a crash mid-load.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from replay.rejects import (
    MAX_REJECT_TEXT,
    PAGE_BYTES,
    PAGE_REJECTS,
    PageReader,
    RefusalGroup,
    Reject,
    RejectList,
    pages,
)
from replay.touched import Touched

NAMESPACE = UUID("0b7f3c52-9e1d-4f0a-8c36-5a2e91d4c7b8")
INDEX_ID = uuid5(NAMESPACE, "batch-index")


def batch_uuid(batch_id: str) -> UUID:
    return uuid5(NAMESPACE, f"batch:{batch_id}")


def batch_name(source: str, file_hash: str) -> str:
    """A batch's id: the same file from the same source is always the same batch."""
    return f"{source}-{file_hash[:16]}"


def page_id(batch_id: str, attempt: str, number: int) -> UUID:
    return uuid5(NAMESPACE, f"rejects:{batch_id}:{attempt}:{number}")


@dataclass
class Correction:
    """One void or reinstatement of the whole batch."""

    kind: str  # "void" or "reinstate"
    reason: str
    by: str
    started_at: datetime
    finished_at: datetime | None = None
    people: int = 0
    entries: int = 0


@dataclass
class Counts:
    lines: int = 0
    entries: int = 0
    duplicates: int = 0
    rejected: int = 0
    people: int = 0
    registered: int = 0


class Batch(Aggregate):
    """One data load."""

    batch_id: str
    source: str
    file_format: str
    file_name: str
    file_hash: str
    loaded_by: str
    accept_valid: bool
    outcome: str | None
    touched: Touched  # the people, 16 bytes each: a national load's record stays small
    inline_rejects: list[Reject]  # as batches saved before rejects were kept in pages
    reject_pages: list[UUID]
    first_occurred: datetime | None
    last_occurred: datetime | None
    corrections: list[Correction]
    refusals: list[dict[str, Any]]  # the refused lines grouped by kind, the most first

    def __init__(self) -> None:
        self.outcome, self._counts, self.touched = None, Counts(), Touched()
        self.inline_rejects, self.reject_pages = [], []
        self.read_page: PageReader | None = None
        self.first_occurred = self.last_occurred = None
        self.corrections = []
        self.refusals = []

    class Opened(Aggregate.Created):
        batch_id: str
        source: str
        file_format: str
        file_name: str
        file_hash: str
        loaded_by: str
        accept_valid: bool

        def apply(self, aggregate: Any) -> None:
            for name in (
                "batch_id",
                "source",
                "file_format",
                "file_name",
                "file_hash",
                "loaded_by",
                "accept_valid",
            ):
                setattr(aggregate, name, getattr(self, name))

    class PeopleRecorded(Aggregate.Event):
        """People whose entries were saved in the same transaction as this event."""

        people: list[str]
        entries: int
        duplicates: int
        registered: int
        first_occurred: datetime | None
        last_occurred: datetime | None

        def apply(self, aggregate: Any) -> None:
            aggregate.note_people(self)

    class LinesRejected(Aggregate.Event):
        """Rejects held in the batch's own event: how batches were saved before pages (only
        read now, so those batches still load)."""

        rejects: list[dict[str, Any]]

        def apply(self, aggregate: Any) -> None:
            aggregate.inline_rejects.extend(Reject(**r) for r in self.rejects)
            aggregate.counts.rejected += len(self.rejects)

    class RejectsKept(Aggregate.Event):
        """The attempt's rejects were saved, before this event, as `pages` RejectPages."""

        attempt: str
        pages: int
        rejected: int

        def apply(self, aggregate: Any) -> None:
            batch_id = aggregate.batch_id
            aggregate.reject_pages.extend(
                page_id(batch_id, self.attempt, n) for n in range(self.pages)
            )
            aggregate.counts.rejected += self.rejected

    class Closed(Aggregate.Event):
        """The load finished: recorded, partly recorded, or refused (nothing recorded)."""

        outcome: str
        lines: int

        def apply(self, aggregate: Any) -> None:
            aggregate.outcome = self.outcome
            aggregate.counts.lines = self.lines

    class RefusalsGrouped(Aggregate.Event):
        """The attempt's refused lines by kind (field and reason, particulars masked), with
        their counts and an example each; bounded by `rejects.MAX_GROUPS`."""

        groups: list[dict[str, Any]]

        def apply(self, aggregate: Any) -> None:
            aggregate.refusals = list(self.groups)

    class Reopened(Aggregate.Event):
        """A refused load tried again: the earlier attempt's rejects no longer stand."""

        def apply(self, aggregate: Any) -> None:
            aggregate.outcome = None
            aggregate.refusals = []
            aggregate.inline_rejects, aggregate.reject_pages = [], []
            aggregate.counts.rejected = 0

    class CorrectionStarted(Aggregate.Event):
        kind: str
        reason: str
        by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.corrections.append(
                Correction(self.kind, self.reason, self.by, self.timestamp)
            )

    class CorrectionFinished(Aggregate.Event):
        people: int
        entries: int

        def apply(self, aggregate: Any) -> None:
            last = aggregate.corrections[-1]
            last.finished_at, last.people, last.entries = self.timestamp, self.people, self.entries

    @classmethod
    def open(
        cls,
        *,
        batch_id: str,
        source: str,
        file_format: str,
        file_name: str,
        file_hash: str,
        loaded_by: str,
        accept_valid: bool,
    ) -> Batch:
        return cls._create(
            cls.Opened,
            id=batch_uuid(batch_id),
            batch_id=batch_id,
            source=source,
            file_format=file_format,
            file_name=file_name,
            file_hash=file_hash,
            loaded_by=loaded_by,
            accept_valid=accept_valid,
        )

    def note_people(self, event: Batch.PeopleRecorded) -> None:
        self.touched.add(event.people)
        self._counts.entries += event.entries
        self._counts.duplicates += event.duplicates
        self._counts.registered += event.registered
        for moment in (event.first_occurred, event.last_occurred):
            if moment is None:
                continue
            if self.first_occurred is None or moment < self.first_occurred:
                self.first_occurred = moment
            if self.last_occurred is None or moment > self.last_occurred:
                self.last_occurred = moment

    @property
    def counts(self) -> Counts:
        """The batch's numbers; its people counted once each, whichever transactions named
        them."""
        self._counts.people = len(self.touched)
        return self._counts

    def recorded(self, progress: Progress) -> None:
        """Note what one transaction of a load recorded; its people are counted at once, so
        few wait uncounted however large the load."""
        self.trigger_event(
            self.PeopleRecorded,
            people=sorted(progress.people),
            entries=progress.entries,
            duplicates=progress.duplicates,
            registered=progress.registered,
            first_occurred=progress.first,
            last_occurred=progress.last,
        )
        self.touched.settle()

    def kept(
        self, attempt: str, pages: int, rejected: int, groups: Sequence[RefusalGroup] = ()
    ) -> None:
        """Note rejects already saved as pages of this attempt, and their kinds."""
        if rejected:
            self.trigger_event(self.RejectsKept, attempt=attempt, pages=pages, rejected=rejected)
        if groups:
            self.trigger_event(self.RefusalsGrouped, groups=[g.as_dict() for g in groups])

    @property
    def rejects(self) -> RejectList:
        """Every rejected line of the current attempt, in line order, read as walked."""
        return RejectList(
            self.inline_rejects, self.reject_pages, self.counts.rejected, self.read_page
        )

    def close(self, outcome: str, lines: int) -> None:
        self.trigger_event(self.Closed, outcome=outcome, lines=lines)

    def reopen(self) -> None:
        self.trigger_event(self.Reopened)

    def start_correction(self, kind: str, reason: str, by: str) -> None:
        self.trigger_event(self.CorrectionStarted, kind=kind, reason=reason, by=by)

    def finish_correction(self, people: int, entries: int) -> None:
        self.trigger_event(self.CorrectionFinished, people=people, entries=entries)

    @property
    def people(self) -> list[str]:
        """Every person the batch touched, in id order; `touched.spans` walks them a span at a
        time without making the whole list."""
        return list(self.touched)

    @property
    def loaded_at(self) -> datetime:
        return self.created_on

    @property
    def status(self) -> str:
        """open (loading), refused, recorded, partly recorded, voiding, voided, reinstating."""
        if self.outcome is None:
            return "open"
        if not self.corrections:
            return self.outcome
        last = self.corrections[-1]
        if last.finished_at is None:
            return "voiding" if last.kind == "void" else "reinstating"
        return "voided" if last.kind == "void" else self.outcome


@dataclass
class Progress:
    """What one transaction of a load recorded, for the batch's record."""

    people: set[str] = field(default_factory=set)
    entries: int = 0
    duplicates: int = 0
    registered: int = 0
    first: datetime | None = None
    last: datetime | None = None

    def saw(self, moment: datetime) -> None:
        if self.first is None or moment < self.first:
            self.first = moment
        if self.last is None or moment > self.last:
            self.last = moment


class RejectPage(Aggregate):
    """One page of a load's rejected lines, saved on its own before the batch notes it."""

    batch_id: str
    rejects: list[Reject]

    class Written(Aggregate.Created):
        batch_id: str
        rejects: list[dict[str, Any]]

        def apply(self, aggregate: Any) -> None:
            aggregate.batch_id = self.batch_id
            aggregate.rejects = [Reject(**r) for r in self.rejects]

    @classmethod
    def write(cls, page: UUID, batch_id: str, rejects: list[Reject]) -> RejectPage:
        return cls._create(
            cls.Written, id=page, batch_id=batch_id, rejects=[r.as_dict() for r in rejects]
        )


class BatchIndex(Aggregate):
    """The list of every batch, in the order they were opened."""

    batches: list[str]

    def __init__(self) -> None:
        self.batches = []

    class Started(Aggregate.Created):
        pass

    class Listed(Aggregate.Event):
        batch_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.batches.append(self.batch_id)

    @classmethod
    def start(cls) -> BatchIndex:
        return cls._create(cls.Started, id=INDEX_ID)

    def add(self, batch_id: str) -> None:
        self.trigger_event(self.Listed, batch_id=batch_id)


__all__ = [
    "INDEX_ID",
    "MAX_REJECT_TEXT",
    "NAMESPACE",
    "PAGE_BYTES",
    "PAGE_REJECTS",
    "Batch",
    "BatchIndex",
    "Correction",
    "Counts",
    "PageReader",
    "Progress",
    "Reject",
    "RejectList",
    "RejectPage",
    "batch_name",
    "batch_uuid",
    "page_id",
    "pages",
]
