"""Loading a file as one batch: read, regroup by person, check, then record.

By default a batch is all or nothing: every person's lines are checked against their history
first, and one refused line refuses the whole file with nothing recorded. With `accept_valid`
the valid lines are recorded and every refused line is kept, with its reason, in the batch's
record. Each line's natural key makes a second load of the same records add nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from domain.errors import DomainError, InvalidValue, NotFound
from domain.identifiers import claim_key
from domain.provenance import Provenance
from domain.service.application import JourneyApp
from domain.service.collector import fewer_collections
from replay import formats, registry, sniff
from replay.batch import INDEX_ID as BATCH_INDEX
from replay.batch import (
    Batch,
    BatchIndex,
    Progress,
    Reject,
    RejectPage,
    batch_name,
    page_id,
    pages,
)
from replay.bulk import BulkWriter, restamp
from replay.loading import PeopleLoader
from replay.person_lines import GroupResult, PersonLines
from replay.rejects import Grouper, RefusalGroup, grouped
from replay.spool import Spool

ProgressFn = Callable[[str, int, int], None]
DONE = ("recorded", "partly recorded")
# A report carries this many rejects, the first by line; `rejected` counts them all, and the
# batch's record keeps them all (`registry.batch(app, id).rejects`).
REPORTED = 1000
# A chunk that only checks holds this many times the people of one that writes.
CHECKING = 5


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
        self, app: JourneyApp, *, chunk: int = 200, progress: ProgressFn | None = None
    ) -> None:
        self.app, self.chunk = app, chunk
        self.loader = PeopleLoader(app)
        # Who held each identifier a chunk names, read in one query when the chunk starts: a
        # lookup per identifier was most of a load's time. Claims made meanwhile by others
        # still fail the save (a new claim conflicts), and the chunk is then redone afresh.
        self.looked: set[str] = set()
        self.known: dict[str, UUID] = {}
        self.progress = progress or (lambda phase, done, total: None)
        self.lines = PersonLines(self._holder)
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
        with Spool() as spool, open(path, "rb") as stream:
            for parsed in formats.read(stream, options.file_format):
                if isinstance(parsed, Reject):
                    spool.reject(parsed)
                else:
                    spool.add(parsed)
                if spool.lines % 5000 == 0:
                    self.progress("reading", spool.lines, 0)
            spool.finish()
            context = Load(batch_id, options, spool.people())
            # All or nothing: the checking pass also encodes each chunk's events into the
            # spool, so the writing pass only copies them in, unless a line was refused.
            if not (options.dry_run or options.accept_valid or spool.rejected):
                context.stash = spool
            if options.dry_run or not options.accept_valid:
                checked = self._pass(spool, context, write=False)
                if options.dry_run:
                    return checked.report(batch_id, "dry run", spool, grouped(spool.rejects()))
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
            report = written.report(batch_id, outcome, spool, kinds)
            report.people = batch.counts.people
            return report

    # ---- passes ----

    def _pass(self, spool: Spool, load: Load, *, write: bool) -> Tally:
        """Every person's lines checked (and with `write`, saved); lines refused go to the
        spool."""
        tally = Tally(spool.reject_all)
        pending: list[tuple[str, list[formats.Record]]] = []
        for group in spool.groups():
            pending.append(group)
            if len(pending) >= self._size(load, write=write):
                self._chunk(pending, load, tally, write=write)
                pending = []
        if pending:
            self._chunk(pending, load, tally, write=write)
        return tally

    def _size(self, load: Load, *, write: bool) -> int:
        """People a chunk holds: a chunk that only checks, keeping nothing to write later,
        writes nothing, so it may be larger and its people's holders read in fewer queries."""
        if write or load.stash is not None:
            return self.chunk
        return self.chunk * CHECKING

    def _chunk(
        self,
        groups: list[tuple[str, list[formats.Record]]],
        load: Load,
        tally: Tally,
        *,
        write: bool,
    ) -> None:
        keys = [key for key, _ in groups]
        named = [(k, v) for _, records in groups for r in records for k, v in r.identifiers.items()]
        self.looked = {*keys, *_keys(named)}
        self.known = self.loader.holders(self.looked)
        people = self.loader.by_keys(keys, self.known)
        results = [
            self.lines.apply(key, records, people.get(key), load.provenance)
            for key, records in groups
        ]
        if load.stash is not None and not write:
            self._stash(load.stash, groups, results, load)
        if write:
            try:
                self._save(results, load)
            except IntegrityError:
                # Someone changed one of these people meanwhile: one person at a time, afresh.
                load.batch = registry.batch(self.app, load.batch_id)
                self.looked, self.known = set(), {}
                results = [self._retry(key, records, load) for key, records in groups]
        for result in results:
            tally.add(result)
        tally.people_seen += len(groups)
        self.progress("recording" if write else "checking", tally.people_seen, load.people)

    def _retry(self, key: str, records: list[formats.Record], load: Load) -> GroupResult:
        person = self.loader.by_keys([key]).get(key)
        result = self.lines.apply(key, records, person, load.provenance)
        try:
            self._save([result], load)
        except IntegrityError:
            load.batch = registry.batch(self.app, load.batch_id)
            reason = "changed by another user during the load; load the file again"
            result = GroupResult(None, rejects=[r.refused("person", reason) for r in records])
        return result

    def _save(self, results: list[GroupResult], load: Load) -> None:
        aggregates, progress = _changes(results)
        if not aggregates:
            return
        assert load.batch is not None
        load.batch.recorded(progress)
        self.writer.save(*aggregates, load.batch)

    def _stash(
        self,
        spool: Spool,
        groups: list[tuple[str, list[formats.Record]]],
        results: list[GroupResult],
        load: Load,
    ) -> None:
        """A checked chunk's events, encoded, kept in the spool for the writing pass; once a
        line is refused the load will write nothing, and nothing more is kept."""
        if any(result.rejects for result in results):
            load.stash = None
            return
        aggregates, progress = _changes(results)
        counts = Tally(spool.reject_all)
        for result in results:
            counts.add(result)
        summary = (progress, counts.numbers(len(groups)))
        events = self.writer.pending(aggregates)
        # Stamped again when written; one moment for the chunk until then is pickled once,
        # not once an event.
        restamp(events, datetime.now(UTC))
        spool.stash([key for key, _ in groups], summary, events)

    def _write_stashed(self, spool: Spool, load: Load) -> Tally:
        """The writing pass of a checked load: each chunk's events encoded and copied in with
        the batch's progress, in one transaction per chunk. A chunk someone changed meanwhile
        (the store refuses a version or claim already taken) is checked and saved afresh."""
        tally = Tally(spool.reject_all)
        for keys, (progress, numbers), events in spool.stashed():
            assert load.batch is not None
            load.batch.recorded(progress)
            restamp(events, datetime.now(UTC))
            try:
                self.writer.write(self.writer.encode([*events, *self.writer.pending([load.batch])]))
                tally.merge(numbers)
            except IntegrityError:
                load.batch = registry.batch(self.app, load.batch_id)
                self._chunk(list(spool.groups(keys)), load, tally, write=True)
                continue
            self.progress("recording", tally.people_seen, load.people)
        return tally

    def _holder(self, kind: str, value: str) -> UUID | None:
        key = claim_key(kind, value)
        if key in self.looked:
            return self.known.get(key)
        return self.app.holder(kind, value)

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
            self.writer.save(
                RejectPage.write(page_id(batch.batch_id, attempt, number), batch.batch_id, page)
            )
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

    def provenance(
        self,
        occurred_at: Any,
        source_ref: str,
        reason: str | None,
        correlation_id: str | None,
        source_created_at: datetime | None,
    ) -> Provenance:
        return Provenance(
            recorded_by=self.options.recorded_by,
            source=self.options.source,
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

    def report(
        self, batch_id: str, outcome: str, spool: Spool, refusals: list[RefusalGroup]
    ) -> ImportReport:
        return ImportReport(
            batch_id,
            outcome,
            spool.lines,
            self.entries,
            self.duplicates,
            self.registered,
            self.people,
            first_rejects(spool),
            rejected=spool.rejected,
            refusals=refusals,
        )


def _changes(results: list[GroupResult]) -> tuple[list[Any], Progress]:
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


# The collector's first two thresholds while a load runs: a chunk's people and events live
# for the chunk, so the young objects are looked at less often (the third is left as it is).
LOADING_THRESHOLDS = (2000, 20)


def _outliving() -> AbstractContextManager[None]:
    """What the process made before a load outlives it: kept out of the collector's full passes
    while the load runs, which otherwise rescan all of it every few thousand lines (a fifth of
    a load's time went to the collector). A process that keeps it out already is left so."""
    return fewer_collections(*LOADING_THRESHOLDS, freeze=True)


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
