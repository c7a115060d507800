"""Voiding and reinstating a whole batch, as events appended to every person it touched.

The work runs in bounded transactions of a few hundred people. Voiding a person's batch entries
twice records nothing the second time, so a void stopped by a crash is completed by running it
again. A dry run shows each person whose location, owner or key dates would change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from eventsourcing.persistence import IntegrityError

from domain.errors import InvalidValue
from domain.person.aggregate import Person
from domain.person.state import PersonState
from domain.provenance import Provenance
from domain.service.application import JourneyApp
from projections.source import bulk_reading
from replay import registry
from replay.batch import Batch
from replay.bulk import BulkWriter
from replay.loading import PeopleLoader
from replay.span_reading import read_ahead

ProgressFn = Callable[[str, int, int], None]
SOURCE = "RECOVERY"


@dataclass(frozen=True)
class Change:
    """One answer that changes: the field, as it reads before and after."""

    field: str
    before: str
    after: str


@dataclass(frozen=True)
class PersonDiff:
    """How one person's answer changes: where, who holds the case, key dates."""

    person_id: str
    identifiers: str
    changes: tuple[Change, ...]
    anomalies: tuple[str, ...] = ()


@dataclass
class CorrectionReport:
    batch_id: str
    kind: str  # void or reinstate
    outcome: str  # done, nothing to do, dry run
    people: int = 0
    entries: int = 0
    changed: list[PersonDiff] = field(default_factory=list)
    note: str = ""


def summary(state: PersonState | None) -> dict[str, str]:
    """The answers staff rely on, as text to compare."""
    if state is None:
        return {"known": "not yet known"}
    loc, own = state.location, state.ownership
    where = " ".join(p for p in (loc.status.value, loc.agency or "", loc.cell or "") if p)
    found = {
        "location": where,
        "owner": f"{own.responsibility.value if own.responsibility else '-'} {state.owner or '-'}",
        "POM": own.pom or "-",
        "COM": own.com or "-",
    }
    for name, value in sorted(state.key_dates.items()):
        found[f"key date {name}"] = value.isoformat()
    return found


def diff(before: PersonState | None, after: PersonState | None) -> tuple[Change, ...]:
    old, new = summary(before), summary(after)
    return tuple(
        Change(name, old.get(name, "-"), new.get(name, "-"))
        for name in sorted(set(old) | set(new), key=_field_order)
        if old.get(name, "-") != new.get(name, "-")
    )


def _field_order(name: str) -> tuple[int, str]:
    order = ["known", "location", "owner", "POM", "COM"]
    return (order.index(name) if name in order else len(order), name)


def identifiers(state: PersonState | None) -> str:
    if state is None:
        return ""
    return ", ".join(f"{k} {v[0]}" for k, v in sorted(state.identifiers.items()) if v)


class Corrector:
    """Voids and reinstates batches."""

    def __init__(
        self, app: JourneyApp, *, chunk: int = 200, progress: ProgressFn | None = None
    ) -> None:
        self.app, self.chunk = app, chunk
        self.loader = PeopleLoader(app)
        self.writer = BulkWriter(app)
        self.progress = progress or (lambda phase, done, total: None)

    def batch(self, batch_id: str) -> Batch:
        return registry.batch(self.app, batch_id)

    def plan(self, batch_id: str, kind: str) -> CorrectionReport:
        """What voiding (or reinstating) the batch would change, person by person."""
        batch = self.batch(batch_id)
        prov = self._provenance(batch_id, "dry run", "dry-run")
        report = CorrectionReport(batch_id, kind, "dry run")
        for people in self._chunks(batch):
            for person in people:
                before = person.state(checked=False)
                anomalies_before = set(_anomalies(person))
                if self._correct(person, kind, batch_id, prov) is None:
                    continue
                report.people += 1
                report.entries += _entries(person, batch_id, voided=kind == "void")
                after = person.state(checked=False)
                changes = diff(before, after)
                new_anomalies = tuple(a for a in _anomalies(person) if a not in anomalies_before)
                if changes or new_anomalies:
                    report.changed.append(
                        PersonDiff(str(person.id), identifiers(after), changes, new_anomalies)
                    )
        return report

    def void(self, batch_id: str, *, reason: str, by: str) -> CorrectionReport:
        return self._run(batch_id, "void", reason, by)

    def reinstate(self, batch_id: str, *, reason: str, by: str) -> CorrectionReport:
        return self._run(batch_id, "reinstate", reason, by)

    def _run(self, batch_id: str, kind: str, reason: str, by: str) -> CorrectionReport:
        batch = self.batch(batch_id)
        running = "voiding" if kind == "void" else "reinstating"
        note = ""
        if batch.status == running:
            # A correction stopped part way (a crash): finish it, with its own reason.
            started = batch.corrections[-1]
            reason, by = started.reason, started.by
            note = f"resumed the {kind} started at {started.started_at.isoformat()}"
        else:
            self._check_can(batch, kind)
            self._provenance(batch_id, reason, by)  # refuse a bad reason before writing
            batch.start_correction(kind, reason, by)
            self.app.save(batch)
        prov = self._provenance(batch_id, reason, by)
        report = CorrectionReport(batch_id, kind, "done", note=note)
        with bulk_reading():
            self._correct_spans(batch, kind, prov, report)
        batch = self.batch(batch_id)
        batch.finish_correction(report.people, report.entries)
        self.app.save(batch)
        return report

    def _correct_spans(
        self, batch: Batch, kind: str, prov: Provenance, report: CorrectionReport
    ) -> None:
        """Correct the batch's people span by span, each span written while the next is read
        and corrected."""
        batch_id, done = batch.batch_id, 0
        running = "voiding" if kind == "void" else "reinstating"

        def settled(people: list[Person], saved: bool) -> None:
            self._count(people, kind, batch_id, prov, report, saved=saved)

        with Saver(self.writer, settled) as saver:
            for found in self._read_ahead(self._spans(batch)):
                saver.settle()  # the span before is written: its merged records read afresh
                people = self._with_kept(found)
                changed = [p for p in people if self._correct(p, kind, batch_id, prov) is not None]
                saver.start(people, changed)
                done += len(people)
                self.progress(running, done, len(batch.touched))

    def _count(
        self,
        people: list[Person],
        kind: str,
        batch_id: str,
        prov: Provenance,
        report: CorrectionReport,
        *,
        saved: bool,
    ) -> None:
        """Count the span's people and entries once its write is done; when it failed (someone
        recorded for one of them meanwhile), each is done afresh, one at a time."""
        if not saved:
            for person in people:
                self._one_by_one(str(person.id), kind, batch_id, prov)
            people = list(self.loader.by_ids([str(p.id) for p in people]).values())
        for person in people:
            count = _entries(person, batch_id, voided=kind == "void")
            report.people += int(count > 0)
            report.entries += count

    def _one_by_one(self, person_id: str, kind: str, batch_id: str, prov: Provenance) -> None:
        for _ in range(10):
            person = self.loader.by_ids([person_id])[person_id]
            if self._correct(person, kind, batch_id, prov) is None:
                return
            try:
                self.app.save(person)
                return
            except IntegrityError:
                continue
        msg = f"person {person_id} kept changing; run the {kind} again to finish"
        raise RuntimeError(msg)

    @staticmethod
    def _correct(person: Person, kind: str, batch_id: str, prov: Provenance) -> object:
        if kind == "void":
            return person.void(prov, batch=batch_id)
        return person.reinstate(prov, batch=batch_id)

    def _chunks(self, batch: Batch) -> Iterator[list[Person]]:
        for found in self._read_ahead(self._spans(batch)):
            yield self._with_kept(found)

    def _spans(self, batch: Batch) -> Iterator[list[str]]:
        return batch.touched.spans(self.chunk)

    def _with_kept(self, found: dict[str, Person]) -> list[Person]:
        # The batch's entries also live on, as copies, in records these were merged into.
        kept = {k for p in found.values() if (k := p.merged_into())} - set(found)
        if kept:
            found.update(self.loader.by_ids(kept))
        return list(found.values())

    def _read_ahead(self, spans: Iterator[list[str]]) -> Iterator[dict[str, Person]]:
        """Each span's people, the next span read while this one is worked on. A person saved
        in one span and read ahead for the next (a record others were merged into) fails its
        save as stale, and is done afresh."""
        return read_ahead(self.loader, spans)

    @staticmethod
    def _check_can(batch: Batch, kind: str) -> None:
        status = batch.status
        if kind == "void" and status not in {"recorded", "partly recorded"}:
            raise InvalidValue("batch", f"batch {batch.batch_id} is {status}: nothing to void")
        if kind == "reinstate" and status != "voided":
            raise InvalidValue(
                "batch", f"batch {batch.batch_id} is {status}: only a voided batch is reinstated"
            )

    @staticmethod
    def _provenance(batch_id: str, reason: str, by: str) -> Provenance:
        if not reason or not reason.strip():
            raise InvalidValue("reason", "a reason is required")
        return Provenance(
            recorded_by=by,
            source=SOURCE,
            occurred_at=datetime.now(UTC),
            reason=reason,
            correlation_id=f"batch:{batch_id}",
        )


def _entries(person: Person, batch_id: str, *, voided: bool) -> int:
    """How many of the batch's entries are voided (or live) for this person now."""
    mine = [e.originator_version for e in person.entries if e.batch_id == batch_id]
    if not mine:
        return 0
    marked = len(person.voided().intersection(mine))
    return marked if voided else len(mine) - marked


def _anomalies(person: Person) -> tuple[str, ...]:
    state = person.state()
    return state.anomalies if state else ()


class Saver:
    """Writes each span's corrections in a thread of its own while the next span is read and
    corrected; one write at a time, each settled (counted, or done afresh) before the next."""

    def __init__(self, writer: BulkWriter, settled: Callable[[list[Person], bool], None]) -> None:
        self.writer, self.settled = writer, settled
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="void-save")
        self.writing: tuple[list[Person], Future[None]] | None = None

    def __enter__(self) -> Saver:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if exc[0] is None:
                self.settle()
        finally:
            self.pool.shutdown(wait=True)

    def start(self, people: list[Person], changed: list[Person]) -> None:
        """Write the changed people's new events: encoded here, written in the thread."""
        rows = self.writer.encode(self.writer.pending(changed))
        self.writing = people, self.pool.submit(self.writer.write, rows)

    def settle(self) -> None:
        """Wait for the write under way, then have its span counted (or done afresh)."""
        if self.writing is None:
            return
        people, write = self.writing
        self.writing = None
        try:
            write.result()
        except IntegrityError:
            self.settled(people, False)
        else:
            self.settled(people, True)
