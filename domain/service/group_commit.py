"""Group commit: concurrent saves in one process written in one transaction.

Every insert takes the event table's lock, so concurrent writers queue for it one transaction
at a time. Here a save that arrives while another is being written waits, and the saves that
gathered meanwhile go in together as the next transaction: one lock, one statement, one commit
for all of them. Each caller still gets its own outcome: a save whose kept person changed in
the store is left out by the statement itself, the rest written together; if the shared
transaction is refused (one save's version or claim already taken), each save in it is
written again on its own, so only the stale one fails.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import IntegrityError, StoredEvent

from domain.service.kept import Guard, StaleKept

Saving = tuple[Sequence[StoredEvent], Guard]  # one save's events and its guard
# Saves in one transaction, each answered with its ids or refused alone for a stale guard.
Write = Callable[[Sequence[Saving]], Sequence[Sequence[int] | StaleKept]]
MAX_EVENTS = 2000  # events in one shared transaction: every write stays bounded in size


@dataclass
class Save:
    """One caller's events, and what became of them."""

    events: Sequence[StoredEvent]
    guard: Guard  # kept aggregates the save was built on, with the versions read
    ready: threading.Event = field(default_factory=threading.Event)
    lead: bool = False  # this caller writes the next group
    ids: Sequence[int] | None = None
    error: BaseException | None = None


class GroupCommit:
    """Writes saves through `write`, grouping those that arrive while one is in flight."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.waiting: list[Save] = []
        self.writing = False

    def save(
        self, events: Sequence[StoredEvent], guard: Guard, write: Write
    ) -> Sequence[int] | None:
        mine = Save(events, guard)
        with self.lock:
            self.waiting.append(mine)
            if not self.writing:
                self.writing = mine.lead = True
        if not mine.lead:
            mine.ready.wait()
        if mine.lead:
            self._lead(write)
        if mine.error is not None:
            raise mine.error
        return mine.ids

    def _lead(self, write: Write) -> None:
        """Write what is waiting (this caller's save first among them), then hand the next
        group to whoever waits longest."""
        with self.lock:
            group = self._take()
        try:
            _write_group(group, write)
        except BaseException as error:  # the store out of reach: every save in it fails alike
            for save in group:
                save.error = save.error or error
        finally:
            with self.lock:
                if self.waiting:
                    self.waiting[0].lead = True
                    self.waiting[0].ready.set()
                else:
                    self.writing = False
            for save in group:
                save.ready.set()

    def _take(self) -> list[Save]:
        group: list[Save] = []
        total = 0
        while self.waiting and (not group or total + len(self.waiting[0].events) <= MAX_EVENTS):
            save = self.waiting.pop(0)
            group.append(save)
            total += len(save.events)
        return group


def _write_group(group: list[Save], write: Write) -> None:
    guard = {k: v for save in group for k, v in save.guard.items()}
    # Two saves guarding one aggregate (at different versions, one is stale) go alone.
    if len(group) > 1 and len(guard) == sum(len(save.guard) for save in group):
        try:
            found = write([(save.events, save.guard) for save in group])
        except IntegrityError:
            pass  # each save is written again on its own, to its own outcome
        else:
            for save, outcome in zip(group, found, strict=True):
                _settle(save, outcome)
            return
    for save in group:
        try:
            [outcome] = write([(save.events, save.guard)])
        except Exception as error:
            _settle(save, error)
        else:
            _settle(save, outcome)


def _settle(save: Save, outcome: Sequence[int] | BaseException) -> None:
    """A save's own outcome: its ids, or its error (raised in the caller's own thread)."""
    if isinstance(outcome, BaseException):
        save.error = outcome
    else:
        save.ids = list(outcome)


def grouped(alone: Any, together: Any) -> Any:
    """A recorder's `insert_events`, its plain saves grouped and written by `together` (those
    with other arguments, such as a tracking record, by `alone`), each with its guard on kept
    aggregates."""

    def insert_events(
        self: Any, stored_events: Sequence[StoredEvent], guard: Guard | None = None, **kwargs: Any
    ) -> Any:
        if not plain(kwargs) or not stored_events:
            return alone(self, stored_events, guard, **kwargs)
        commit: GroupCommit = self.__dict__.setdefault("_group_commit", GroupCommit())
        return commit.save(stored_events, guard or {}, lambda saves: together(self, saves))

    return insert_events


def plain(kwargs: dict[str, Any]) -> bool:
    """A save with nothing beyond its events (the library passes `tracking=None` with every
    plain save)."""
    return all(value is None for value in kwargs.values())
