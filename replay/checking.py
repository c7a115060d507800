"""Checking a load's people a chunk at a time, in this process or in a second one.

A chunk's check reads who holds the identifiers its lines name and its people as recorded, then
applies every person's lines in memory; nothing is saved. It needs nothing from other chunks,
so a large load on PostgreSQL has a second process check some chunks while this one checks the
others: the check is most of a load's time. Each checked chunk comes back as its counts, its
refused lines, and (when none was refused) its new events transcoded and pickled for the spool;
the writing pass only stamps, seals and copies them in.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from queue import Queue
from threading import Thread
from typing import Any
from uuid import UUID

from domain.errors import DomainError
from domain.identifiers import claim_key
from domain.provenance import Provenance
from domain.service.application import JourneyApp
from domain.service.collector import fewer_collections
from domain.service.settings import Settings
from replay import formats
from replay.batch import Progress, Reject
from replay.bulk import BulkWriter
from replay.loading import PeopleLoader
from replay.person_lines import GroupResult, PersonLines
from replay.spool import Codec

Groups = list[tuple[str, list[formats.Record]]]
# The collector's first two thresholds while a load runs: a chunk's people and events live
# for the chunk, so the young objects are looked at less often (the third is left as it is).
LOADING_THRESHOLDS = (2000, 20)


@dataclass(frozen=True)
class Origin:
    """Who loads, from which source, as which batch: every line's provenance but its own."""

    recorded_by: str
    source: str
    batch_id: str

    def provenance(
        self,
        occurred_at: Any,
        source_ref: str,
        reason: str | None,
        correlation_id: str | None,
        source_created_at: datetime | None,
    ) -> Provenance:
        return Provenance(
            recorded_by=self.recorded_by,
            source=self.source,
            occurred_at=occurred_at,
            batch_id=self.batch_id,
            source_ref=source_ref,
            reason=reason,
            correlation_id=correlation_id,
            source_created_at=source_created_at,
        )


@dataclass
class Tally:
    keep: Callable[[list[Reject]], None]  # where the lines refused go
    entries: int = 0
    duplicates: int = 0
    registered: int = 0
    people: int = 0
    people_seen: int = 0

    def numbers(self, seen: int) -> tuple[int, ...]:
        return (self.entries, self.duplicates, self.registered, self.people, seen)

    def merge(self, numbers: tuple[int, ...]) -> None:
        entries, duplicates, registered, people, seen = numbers
        self.entries += entries
        self.duplicates += duplicates
        self.registered += registered
        self.people += people
        self.people_seen += seen

    def add(self, result: GroupResult) -> None:
        self.entries += result.entries
        self.duplicates += result.duplicates
        self.registered += int(result.registered)
        self.people += int(result.person is not None and result.entries > 0)
        self.keep(result.rejects)


@dataclass(frozen=True)
class Checked:
    """One chunk checked: its people, counts and refused lines; and, when no line was
    refused, what it records for the batch and its new events, prepared and pickled."""

    keys: list[str]
    numbers: tuple[int, ...]
    rejects: list[Reject]
    summary: tuple[Progress, tuple[int, ...]] | None = None
    events: bytes = b""


class Checker:
    """Checks chunks of people against the store, with one query for who holds the
    identifiers a chunk names and one for its people."""

    def __init__(self, app: JourneyApp) -> None:
        self.loader = PeopleLoader(app)
        self.writer = BulkWriter(app)
        self.app = app
        # Who held each identifier a chunk names, read in one query when the chunk starts: a
        # lookup per identifier was most of a load's time. Claims made meanwhile by others
        # still fail the save (a new claim conflicts), and the chunk is then redone afresh.
        self.looked: set[str] = set()
        self.known: dict[str, UUID] = {}
        self.lines = PersonLines(self._holder)

    def results(self, groups: Groups, origin: Origin) -> list[GroupResult]:
        """Every person's lines applied to their history as recorded."""
        keys = [key for key, _ in groups]
        named = [(k, v) for _, records in groups for r in records for k, v in r.identifiers.items()]
        self.looked = {*keys, *_keys(named)}
        self.known = self.loader.holders(self.looked)
        people = self.loader.by_keys(keys, self.known)
        return [
            self.lines.apply(key, records, people.get(key), origin.provenance)
            for key, records in groups
        ]

    def one(self, key: str, records: list[formats.Record], origin: Origin) -> GroupResult:
        """One person's lines applied afresh, their holders asked of the store."""
        self.looked, self.known = set(), {}
        person = self.loader.by_keys([key]).get(key)
        return self.lines.apply(key, records, person, origin.provenance)

    def checked(self, groups: Groups, origin: Origin) -> Checked:
        """The chunk checked and, unless a line was refused, its events kept to be written."""
        results = self.results(groups, origin)
        keys = [key for key, _ in groups]
        rejects: list[Reject] = []
        counts = Tally(rejects.extend)
        for result in results:
            counts.add(result)
        numbers = counts.numbers(len(groups))
        if rejects:
            return Checked(keys, numbers, rejects)
        aggregates, progress = changes(results)
        # Transcoded now, stamped and sealed when written (`BulkWriter.sealed`).
        prepared = self.writer.prepare(self.writer.pending(aggregates))
        return Checked(keys, numbers, [], (progress, numbers), pickle.dumps(prepared, protocol=5))

    def _holder(self, kind: str, value: str) -> UUID | None:
        key = claim_key(kind, value)
        if key in self.looked:
            return self.known.get(key)
        return self.app.holder(kind, value)


def changes(results: list[GroupResult]) -> tuple[list[Any], Progress]:
    """The aggregates a chunk changed, and what it recorded for the batch's record."""
    progress = Progress()
    aggregates: list[Any] = []
    for result in results:
        if result.person is None or not result.entries:
            continue
        aggregates.append(result.person)
        aggregates.extend(result.claims)
        progress.people.add(str(result.person.id))
        progress.entries += result.entries
        progress.registered += int(result.registered)
        for moment in (result.progress.first, result.progress.last):
            if moment is not None:
                progress.saw(moment)
    progress.duplicates = sum(r.duplicates for r in results)
    return aggregates, progress


def _keys(identifiers: Iterable[tuple[str, str]]) -> set[str]:
    """Claim keys of the identifiers; one of an unknown kind is left to the person's own
    checks, which refuse its line."""
    found = set()
    for kind, value in identifiers:
        try:
            found.add(claim_key(kind, value))
        except DomainError:
            continue
    return found


# ---- the second process ----

Spooled = list[tuple[str, list[bytes]]]  # each person's lines as the spool keeps them


class Helper:
    """A second process (`python -m replay.checking`) that checks chunks of one load,
    answering in the order asked: started once the file is read, so that its start-up
    overlaps this process's first chunks, and stopped with the load. Its own interpreter,
    not a fork of this one (whose threads hold the store's connections) nor a spawn (which
    runs the caller's main module again). Each side reads the other's pipe in a thread of
    its own, so neither waits on a full pipe. Should it fail to start or end early, what it
    was asked is done here instead."""

    def __init__(self, settings: Settings, origin: Origin) -> None:
        self.held: deque[Callable[[], Any]] = deque()  # what it was asked, to do here instead
        self.answers: Queue[Any] = Queue()
        self.ended = False
        try:
            self.process, self.sending = self._start()
        except OSError:
            self.ended = True
            return
        self._send((settings, origin))

    def _start(self) -> tuple[subprocess.Popen[bytes], Connection]:
        to_child, out = os.pipe()
        into, from_child = os.pipe()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "replay.checking", str(to_child), str(from_child)],
                pass_fds=(to_child, from_child),
                env=env,
            )
        except OSError:
            os.close(out)
            os.close(into)
            raise
        finally:
            os.close(to_child)
            os.close(from_child)
        self.reader = Thread(target=_drain, args=(Connection(into, writable=False), self.answers))
        self.reader.start()
        return process, Connection(out, readable=False)

    @property
    def waiting(self) -> int:
        """Questions asked and not yet answered."""
        return len(self.held)

    def check(self, chunk: Spooled, kinds: list[type[Any]], here: Callable[[], Checked]) -> None:
        """Ask it to check a chunk (`here` checks it in this process); the answer comes in
        turn from `checked`."""
        self._ask(("check", chunk, kinds), here)

    def ready(self) -> bool:
        """Whether its answer to the oldest question has come (or is to be made here)."""
        return bool(self.held) and (self.ended or not self.answers.empty())

    def checked(self) -> Checked:
        answer = self._answer()
        assert isinstance(answer, Checked)
        return answer

    def _ask(self, question: tuple[Any, ...], here: Callable[[], Any]) -> None:
        self.held.append(here)
        self._send(question)

    def _send(self, message: Any) -> None:
        if not self.ended:
            try:
                self.sending.send(message)
            except OSError:
                self.ended = True

    def _answer(self) -> Any:
        """The answer to the oldest question; what it failed with is raised here."""
        here = self.held.popleft()
        answer = EOFError() if self.ended else self.answers.get()
        if isinstance(answer, EOFError):
            self.ended = True
            return here()
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def close(self) -> None:
        """Stop it (its store connections closed) and wait for it to end."""
        if not hasattr(self, "process"):
            return
        self.sending.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.reader.join()


def _drain(receiving: Connection, into: Queue[Any]) -> None:
    """Everything received, in turn, until the other end closes (said as an EOFError)."""
    with receiving:
        while True:
            try:
                into.put(receiving.recv())
            except (EOFError, OSError) as ended:
                into.put(EOFError(f"the second process ended: {ended}"))
                return


def serve(receiving: Connection, sending: Connection) -> None:
    """The second process: answer each question sent until the load closes its pipe."""
    questions: Queue[Any] = Queue()
    Thread(target=_drain, args=(receiving, questions), daemon=True).start()
    started = questions.get()
    if isinstance(started, EOFError):
        return
    settings, origin = started
    app = JourneyApp(settings)
    try:
        checker = Checker(app)
        with fewer_collections(*LOADING_THRESHOLDS, freeze=True), sending, checker.loader.kept():
            while not isinstance(question := questions.get(), EOFError):
                sending.send(_answer(checker, origin, question))
    finally:
        app.close()


def _answer(checker: Checker, origin: Origin, question: tuple[Any, ...]) -> Any:
    _, *given = question
    try:
        return check_spooled(checker, origin, *given)
    except Exception as error:
        return error


def check_spooled(
    checker: Checker, origin: Origin, chunk: Spooled, kinds: list[type[Any]]
) -> Checked:
    """A chunk checked from its lines as the spool keeps them."""
    codec = Codec(kinds)
    return checker.checked([(key, codec.records(blobs)) for key, blobs in chunk], origin)


if __name__ == "__main__":
    # Served by the module as imported, so what it sends names `replay.checking`'s classes,
    # not this script's.
    from replay.checking import serve as served

    served(
        Connection(int(sys.argv[1]), writable=False), Connection(int(sys.argv[2]), readable=False)
    )
