"""Merging two records of one person (a NOMIS merge) and reversing it, as events on both."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.errors import InvalidValue
from domain.person import events as ev
from domain.person.part import PersonPart
from domain.person.recorded import Recorded
from domain.person.state import PersonState
from domain.provenance import PROVENANCE_NAMES, Provenance

if TYPE_CHECKING:
    from contextlib import AbstractContextManager


class MergeCommands(PersonPart):
    """Mixin for Person: merges into this record, and this record merged into another."""

    id: UUID

    @abstractmethod
    def together(self) -> AbstractContextManager[None]:
        """Implemented by the class this mixin is part of."""

    @abstractmethod
    def state(self, *, checked: bool = True) -> PersonState | None:
        """Implemented by the class this mixin is part of (current state, here unchecked)."""

    @abstractmethod
    def voids(self, as_known_at: datetime | None = None) -> Any:
        """Implemented by the class this mixin is part of."""

    def merged_into(self, as_known_at: datetime | None = None) -> str | None:
        """The person this record was merged into, if it is merged (as known at a moment)."""
        kept = None
        for correction in self.corrections:
            if as_known_at is not None and correction.timestamp > as_known_at:
                break
            if isinstance(correction, ev.MergedInto):
                kept = correction.kept
            elif isinstance(correction, ev.MergeUndone):
                kept = None
        return kept

    def merges(self) -> dict[str, list[int]]:
        """Records merged into this one and not reversed: removed person -> entries copied."""
        found: dict[str, list[int]] = {}
        for correction in self.corrections:
            if isinstance(correction, ev.RecordsMerged):
                found[correction.removed] = list(correction.copies)
            elif isinstance(correction, ev.MergeReversed):
                found.pop(correction.removed, None)
        return found

    def absorb(self, removed: MergeCommands, provenance: Provenance) -> Recorded:
        """Take in another record of this person: its identifiers and live entries are copied
        here (with their own provenance), checked with this history; refused if they conflict."""
        if removed.id == self.id:
            raise InvalidValue("removed", "a record cannot be merged into itself")
        if removed.merged_into() is not None:
            raise InvalidValue("removed", "that record is already merged into another")
        if self.merged_into() is not None:
            raise InvalidValue("kept", "this record is itself merged into another")
        note = f"merge:{removed.id}"
        mine, theirs = self.state(checked=False), removed.state(checked=False)
        assert mine is not None and theirs is not None
        copies: list[int] = []
        with self.together():
            for kind, values in theirs.identifiers.items():
                for value in values:
                    if value in mine.identifiers.get(kind, ()):
                        continue
                    ref = replace(provenance, source_ref=f"{note}:{kind}:{value}")
                    added = self.record(ev.IdentifierAdded, ref, kind=kind, value=value)
                    copies.append(added.version)
            for entry in removed.active_entries():
                if isinstance(entry, ev.IdentifierAdded):
                    continue
                fields = {k: v for k, v in vars(entry).items() if k not in COPY_SKIP}
                copied = self.record(type(entry), provenance_of(entry, note), **fields)
                if not copied.duplicate:
                    copies.append(copied.version)
            marker = self.record(
                ev.RecordsMerged, provenance, removed=str(removed.id), copies=copies
            )
        return marker

    def retire_into(self, kept: MergeCommands, provenance: Provenance) -> Recorded:
        return self.record(ev.MergedInto, provenance, kept=str(kept.id))

    def reverse_merge(self, removed_id: str, provenance: Provenance) -> Recorded:
        """Void what a merge brought in and mark it reversed."""
        copies = self.merges().get(removed_id)
        if copies is None:
            raise InvalidValue("removed", f"no merge of {removed_id} into this record stands")
        with self.together():
            live = [v for v in copies if v not in self.voids()]
            if live:
                self.record(ev.EntriesVoided, provenance, entries=sorted(live), target_batch=None)
            recorded = self.record(ev.MergeReversed, provenance, removed=removed_id)
        return recorded

    def restore(self, provenance: Provenance) -> Recorded:
        kept = self.merged_into()
        if kept is None:
            raise InvalidValue("removed", "this record is not merged")
        return self.record(ev.MergeUndone, provenance, kept=kept)


COPY_SKIP = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic", "class_version"}
    | set(PROVENANCE_NAMES)
)


def provenance_of(entry: ev.PersonEvent, correlation: str) -> Provenance:
    """An entry's own provenance, for its copy in the record it is merged into."""
    return Provenance.of(entry, correlation_id=correlation)
