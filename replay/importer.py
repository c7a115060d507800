"""Loading a file as one batch: read, regroup by person, check, then record.

By default a batch is all or nothing: every person's lines are checked against their history
first, and one refused line refuses the whole file with nothing recorded. With `accept_valid`
the valid lines are recorded and every refused line is kept, with its reason, in the batch's
record. Each line's natural key makes a second load of the same records add nothing.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from itertools import islice
from pathlib import Path
from typing import TypeVar
from uuid import uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, StoredEvent

from domain.errors import InvalidValue, NotFound
from domain.provenance import Provenance
from domain.service.application import JourneyApp
from domain.service.collector import fewer_collections
from replay import formats, registry, sniff
from replay.batch import INDEX_ID as BATCH_INDEX
from replay.batch import (
    Batch,
    BatchIndex,
    Reject,
    RejectPage,
    batch_name,
    page_id,
    pages,
)
from replay.bulk import BulkWriter
from replay.checking import (
    LOADING_THRESHOLDS,
    Checked,
    Checker,
    Groups,
    Helper,
    Origin,
    Spooled,
    Tally,
    changes,
    check_spooled,
)
from replay.cores import IdleMeter
from replay.person_lines import GroupResult
from replay.rejects import Grouper, RefusalGroup, grouped
from replay.spool import Spool, Stashed

ProgressFn = Callable[[str, int, int], None]
DONE = ("recorded", "partly recorded")
# A report carries this many rejects, the first by line; `rejected` counts them all, and the
# batch's record keeps them all (`registry.batch(app, id).rejects`).
REPORTED = 1000
# A chunk that only checks holds this many times the people of one that writes.
CHECKING = 5
# A file at least this large, loaded all or nothing on PostgreSQL while a core is idle, is
# checked by two processes (about 13,000 lines of the project's own format): a second process
# takes most of a second to start, which a smaller load would not win back, and on a machine
# with no idle core it only takes turns with this one.
HELPED_FROM = 2_000_000
# Idle cores (on average, while the file was read) that a second process may take.
IDLE_CORE = 0.5
# Chunks a second process may have waiting; this process checks the next one itself.
AHEAD = 2
T = TypeVar("T")


@dataclass(frozen=True)
class ImportOptions:
    source: str
    file_format: str  # one of formats.FORMATS, or "auto": the one the file looks like
    recorded_by: str
    accept_valid: bool = False
    dry_run: bool = False
    file_name: str = ""


@dataclass
class ImportReport:
    """What a load did, or would do with `dry_run`."""

    batch_id: str
    outcome: str  # recorded, partly recorded, refused, already imported, dry run
    lines: int = 0
    entries: int = 0
    duplicates: int = 0
    registered: int = 0
    people: int = 0
    rejects: list[Reject] = field(default_factory=list)  # the first REPORTED, by line
    note: str = ""
    file_format: str = ""  # as read: the one detected when the load asked for "auto"
    rejected: int = -1  # every line refused; -1: as many as `rejects` holds
    refusals: list[RefusalGroup] = field(default_factory=list)  # every refused line by kind

    def __post_init__(self) -> None:
        if self.rejected < 0:
            self.rejected = len(self.rejects)


class Importer:
    """Loads files into the journey application as batches."""

    def __init__(
        self,
        app: JourneyApp,
        *,
        chunk: int = 200,
        progress: ProgressFn | None = None,
        helped: bool | None = None,
    ) -> None:
        """`helped`: whether a second process checks and encodes some chunks of an
        all-or-nothing load on PostgreSQL; by default, when the file is large and a core is
        idle."""
        self.app, self.chunk, self.helped = app, chunk, helped
        self.checker = Checker(app)
        self.progress = progress or (lambda phase, done, total: None)
        self.writer = BulkWriter(app)

    def run(self, path: str | Path, options: ImportOptions) -> ImportReport:
        """Load the file; a file plainly not in the format asked for (or in none) is refused
        with WrongFormat before any line is read, and nothing is recorded."""
        if options.file_format not in sniff.CHOICES:
            raise InvalidValue("format", f"must be one of {', '.join(sniff.CHOICES)}")
        Provenance(
            recorded_by=options.recorded_by, source=options.source, occurred_at=datetime.now(UTC)
        )
        options = replace(options, file_format=sniff.format_of(path, options.file_format))
        with _outliving():
            report = self._load(path, options)
        report.file_format = report.file_format or options.file_format
        return report

    def _load(self, path: str | Path, options: ImportOptions) -> ImportReport:
        digest = formats.file_hash(str(path))
        batch_id = batch_name(options.source, digest)
        earlier = self._batch(batch_id)
        if earlier is not None and earlier.status not in {"open", "refused"}:
            return _already(earlier)
        origin = Origin(options.recorded_by, options.source, batch_id)
        with ExitStack() as stack:
            spool = stack.enter_context(Spool())
            stack.enter_context(self.checker.loader.kept())
            idle = IdleMeter()
            self._read(path, options, spool)
            # A file with a line that cannot be read is refused without writing: no help.
            helper = (
                None
                if spool.rejected
                else stack.enter_context(self._helper(path, options, origin, idle))
            )
            context = Load(batch_id, options, spool.people(), helper=helper)
            # All or nothing: the checking pass also transcodes each chunk's events into the
            # spool, so the writing pass only stamps, seals and copies them in, unless a line
            # was refused.
            if not (options.dry_run or options.accept_valid or spool.rejected):
                context.stash = spool
            if options.dry_run or not options.accept_valid:
                checked = self._pass(spool, context, write=False)
                if options.dry_run:
                    refusals = grouped(spool.rejects())
                    return report_of(checked, batch_id, "dry run", spool, refusals)
                if spool.rejected:
                    return self._refuse(earlier, context, digest, spool)
            batch = earlier or self._open(context, digest)
            if batch.status == "refused":
                batch.reopen()
            context.batch = batch
            if context.stash is not None:
                written = self._write_stashed(spool, context)
            else:
                written = self._pass(spool, context, write=True)
            outcome = "partly recorded" if spool.rejected else "recorded"
            batch = context.batch
            kinds = self._keep_rejects(batch, spool)
            batch.close(outcome, spool.lines)
            self.app.save(batch)
            report = report_of(written, batch_id, outcome, spool, kinds)
            report.people = batch.counts.people
            return report

    def _read(self, path: str | Path, options: ImportOptions, spool: Spool) -> None:
        """Every line parsed into the spool, by person; a line that cannot be read is kept
        with its reason."""
        with open(path, "rb") as stream:
            for parsed in formats.read(stream, options.file_format):
                if isinstance(parsed, Reject):
                    spool.reject(parsed)
                else:
                    spool.add(parsed)
                if spool.lines % 5000 == 0:
                    self.progress("reading", spool.lines, 0)
        spool.finish()

    # ---- passes ----

    def _pass(self, spool: Spool, load: Load, *, write: bool) -> Tally:
        """Every person's lines checked (and with `write`, saved); lines refused go to the
        spool."""
        tally = Tally(spool.reject_all)
        if not write and load.helper is not None and load.stash is not None:
            self._helped(spool, load, tally)
            return tally
        pending: Groups = []
        for group in spool.groups():
            pending.append(group)
            if len(pending) >= self._size(load, write=write):
                self._chunk(pending, load, tally, write=write)
                pending = []
        if pending:
            self._chunk(pending, load, tally, write=write)
        return tally

    def _helped(self, spool: Spool, load: Load, tally: Tally) -> None:
        """The checking pass shared with a second process: it is given the next chunk while
        it holds fewer than AHEAD, and this process checks the rest, the last AHEAD chunks
        among them (so neither waits long on the other at the end)."""
        helper = load.helper
        assert helper is not None
        left = -(-load.people // self.chunk)
        for chunk in _batched(spool.spooled(), self.chunk):
            left -= 1
            while helper.ready():
                self._take(helper.checked(), load, tally)
            if helper.waiting < AHEAD and left >= AHEAD:
                helper.check(chunk, spool.kinds, partial(self._check_here, chunk, spool, load))
            else:
                groups = [(key, spool.records(blobs)) for key, blobs in chunk]
                self._take(self.checker.checked(groups, load.origin), load, tally)
        while helper.waiting:
            self._take(helper.checked(), load, tally)

    def _size(self, load: Load, *, write: bool) -> int:
        """People a chunk holds: a chunk that only checks, keeping nothing to write later,
        writes nothing, so it may be larger and its people's holders read in fewer queries."""
        if write or load.stash is not None:
            return self.chunk
        return self.chunk * CHECKING

    def _chunk(self, groups: Groups, load: Load, tally: Tally, *, write: bool) -> None:
        if not write:
            if load.stash is not None:
                self._take(self.checker.checked(groups, load.origin), load, tally)
                return
            results = self.checker.results(groups, load.origin)
        else:
            results = self._written(groups, load)
        for result in results:
            tally.add(result)
        tally.people_seen += len(groups)
        self.progress("recording" if write else "checking", tally.people_seen, load.people)

    def _take(self, checked: Checked, load: Load, tally: Tally) -> None:
        """A checked chunk counted, its refused lines kept, and its events stashed for the
        writing pass; once a line is refused the load will write nothing, and nothing more
        is stashed."""
        tally.merge(checked.numbers)
        tally.keep(checked.rejects)
        if checked.rejects:
            load.stash = None
        elif load.stash is not None and checked.summary is not None:
            load.stash.stash(checked.keys, checked.summary, checked.events)
        self.progress("checking", tally.people_seen, load.people)

    def _written(self, groups: Groups, load: Load) -> list[GroupResult]:
        """The chunk checked and saved in one transaction; if someone changed one of these
        people meanwhile, one person at a time, afresh."""
        results = self.checker.results(groups, load.origin)
        try:
            self._save(results, load)
        except IntegrityError:
            load.batch = registry.batch(self.app, load.batch_id)
            results = [self._retry(key, records, load) for key, records in groups]
        return results

    def _retry(self, key: str, records: list[formats.Record], load: Load) -> GroupResult:
        result = self.checker.one(key, records, load.origin)
        try:
            self._save([result], load)
        except IntegrityError:
            load.batch = registry.batch(self.app, load.batch_id)
            reason = "changed by another user during the load; load the file again"
            result = GroupResult(None, rejects=[r.refused("person", reason) for r in records])
        return result

    def _save(self, results: list[GroupResult], load: Load) -> None:
        aggregates, progress = changes(results)
        if not aggregates:
            return
        assert load.batch is not None
        load.batch.recorded(progress)
        self.writer.save(*aggregates, load.batch)

    def _write_stashed(self, spool: Spool, load: Load) -> Tally:
        """The writing pass of a checked load: each chunk's prepared events stamped and
        sealed, and copied in with the batch's progress, in one transaction per chunk, in the
        order checked. A chunk someone changed meanwhile (the store refuses a version or claim
        already taken) is checked and saved afresh."""
        tally = Tally(spool.reject_all)
        for stashed in spool.stashed():
            # Stamped when written, so what the system showed earlier (`as_known_at`) never
            # includes them.
            rows = self.writer.sealed(pickle.loads(stashed[2]), datetime.now(UTC))
            self._write_chunk(stashed, rows, spool=spool, load=load, tally=tally)
        return tally

    def _write_chunk(
        self, stashed: Stashed, rows: list[StoredEvent], *, spool: Spool, load: Load, tally: Tally
    ) -> None:
        """One checked chunk's rows and the batch's progress copied in, in one transaction."""
        keys, (progress, numbers), _ = stashed
        assert load.batch is not None
        load.batch.recorded(progress)
        try:
            self.writer.write([*rows, *self.writer.stored(self.writer.pending([load.batch]))])
        except IntegrityError:
            load.batch = registry.batch(self.app, load.batch_id)
            self._chunk(list(spool.groups(keys)), load, tally, write=True)
            return
        tally.merge(numbers)
        self.progress("recording", tally.people_seen, load.people)

    @contextmanager
    def _helper(
        self, path: str | Path, options: ImportOptions, origin: Origin, idle: IdleMeter
    ) -> Iterator[Helper | None]:
        """A second process to check with, for an all-or-nothing load on PostgreSQL (started
        once the file is read: its start-up overlaps this process's first chunks)."""
        helped = (
            self.app.settings.database.kind == "postgres"
            and not (options.dry_run or options.accept_valid)
            and (self.helped if self.helped is not None else worth_helping(path, idle.cores()))
        )
        helper = Helper(self.app.settings, origin) if helped else None
        try:
            yield helper
        finally:
            if helper is not None:
                helper.close()

    def _check_here(self, chunk: Spooled, spool: Spool, load: Load) -> Checked:
        return check_spooled(self.checker, load.origin, chunk, spool.kinds)

    # ---- the batch's own record ----

    def _batch(self, batch_id: str) -> Batch | None:
        try:
            return registry.batch(self.app, batch_id)
        except NotFound:
            return None

    def _open(self, load: Load, digest: str) -> Batch:
        """Register the batch and list it, in one transaction."""
        batch = Batch.open(
            batch_id=load.batch_id,
            source=load.options.source,
            file_format=load.options.file_format,
            file_name=load.options.file_name,
            file_hash=digest,
            loaded_by=load.options.recorded_by,
            accept_valid=load.options.accept_valid,
        )
        for _ in range(5):
            index = self._index()
            index.add(load.batch_id)
            try:
                self.app.save(batch, index)
                return batch
            except IntegrityError:
                existing = self._batch(load.batch_id)
                if existing is not None:
                    return existing
        msg = "could not list the batch: too many loads starting at once"
        raise RuntimeError(msg)

    def _index(self) -> BatchIndex:
        try:
            found: object = self.app.repository.get(BATCH_INDEX)
        except AggregateNotFoundError:
            return BatchIndex.start()
        assert isinstance(found, BatchIndex)
        return found

    def _refuse(self, earlier: Batch | None, load: Load, digest: str, spool: Spool) -> ImportReport:
        batch = earlier or self._open(load, digest)
        if batch.status == "refused":
            batch.reopen()
        kinds = self._keep_rejects(batch, spool)
        batch.close("refused", spool.lines)
        self.app.save(batch)
        return ImportReport(
            load.batch_id,
            "refused",
            spool.lines,
            rejects=first_rejects(spool),
            rejected=spool.rejected,
            refusals=kinds,
        )

    def _keep_rejects(self, batch: Batch, spool: Spool) -> list[RefusalGroup]:
        """Save the spooled rejects as pages, each in a transaction of its own and bounded in
        size, then note them on the batch (saved with its closing event by the caller): no
        write carries a payload that grows with the file. Pages go in as the bulk writer
        writes (COPY on PostgreSQL): a page's payload passed as a query parameter was a fifth
        of a refused load's time."""
        attempt, count, total = uuid4().hex, 0, 0
        kinds = Grouper()
        for number, page in enumerate(pages(spool.rejects())):
            page_key = page_id(batch.batch_id, attempt, number)
            # Durable once the batch that notes the pages is saved after them (a commit waits
            # for the log before it): a page's own wait for the disk was a third of keeping.
            self.writer.save(RejectPage.write(page_key, batch.batch_id, page), flushed=False)
            for reject in page:
                kinds.add(reject)
            count, total = number + 1, total + len(page)
            self.progress("keeping rejects", total, 0)
        groups = kinds.result()
        batch.kept(attempt, count, total, groups)
        return groups


@dataclass
class Load:
    """One load's settings and its batch."""

    batch_id: str
    options: ImportOptions
    people: int
    batch: Batch | None = None
    # Where the checking pass keeps each chunk's encoded events, while it does.
    stash: Spool | None = None
    # A second process checking some of the chunks, for a large load.
    helper: Helper | None = None
    origin: Origin = field(init=False)

    def __post_init__(self) -> None:
        self.origin = Origin(self.options.recorded_by, self.options.source, self.batch_id)


def report_of(
    tally: Tally, batch_id: str, outcome: str, spool: Spool, refusals: list[RefusalGroup]
) -> ImportReport:
    return ImportReport(
        batch_id,
        outcome,
        spool.lines,
        tally.entries,
        tally.duplicates,
        tally.registered,
        tally.people,
        first_rejects(spool),
        rejected=spool.rejected,
        refusals=refusals,
    )


def worth_helping(path: str | Path, idle: float | None) -> bool:
    """Whether a second process would shorten loading this file: it is large, and at least
    half a core stood idle while this process read it (`idle`: idle cores then, on average).
    Where that could not be measured, the last minute's load average stands in: it counts
    this process too, so it must leave half a core spare."""
    if os.path.getsize(path) < HELPED_FROM:
        return False
    if idle is not None:
        return idle >= IDLE_CORE
    cores = os.cpu_count() or 1
    return os.getloadavg()[0] < cores - IDLE_CORE


def _batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def first_rejects(spool: Spool) -> list[Reject]:
    return list(islice(spool.rejects(), REPORTED))


def _already(batch: Batch) -> ImportReport:
    note = f"this file was already loaded as batch {batch.batch_id} ({batch.status})"
    if batch.status == "voided":
        note += "; reinstate the batch to bring its entries back"
    return ImportReport(
        batch.batch_id,
        "already imported",
        batch.counts.lines,
        0,
        0,
        0,
        0,
        batch.rejects[:REPORTED],
        note,
        batch.file_format,
        rejected=batch.counts.rejected,
    )


def _outliving() -> AbstractContextManager[None]:
    """What the process made before a load outlives it: kept out of the collector's full passes
    while the load runs, which otherwise rescan all of it every few thousand lines (a fifth of
    a load's time went to the collector). A process that keeps it out already is left so."""
    return fewer_collections(*LOADING_THRESHOLDS, freeze=True)
