"""An on-disk spool of a file's records, regrouped by person, and of every line refused: memory
stays bounded however large the load, and each person's lines are checked and saved together."""

from __future__ import annotations

import pickle
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timezone, tzinfo
from pathlib import Path
from types import TracebackType
from typing import Any

from pydantic_core import TzInfo

from domain.frozen import held
from replay.batch import Reject
from replay.formats import Record, Step

SCHEMA = [
    "CREATE TABLE records (seq INTEGER PRIMARY KEY, person TEXT NOT NULL, at TEXT NOT NULL, "
    "line INTEGER NOT NULL, record BLOB NOT NULL)",
    "CREATE TABLE aliases (identifier TEXT PRIMARY KEY, person TEXT NOT NULL)",
    "CREATE TABLE rejects (line INTEGER NOT NULL, field TEXT NOT NULL, reason TEXT NOT NULL, "
    "text TEXT NOT NULL, history INTEGER NOT NULL)",
    "CREATE TABLE stash (chunk INTEGER PRIMARY KEY, people BLOB NOT NULL, summary BLOB NOT NULL, "
    "events BLOB NOT NULL)",
]
FLUSH = 2000
# A checked chunk as stashed: its people's keys, what it records for the batch (its progress
# and counts), and its new events (a pickled list, as `BulkWriter.prepare` makes them).
Stashed = tuple[list[str], Any, bytes]


class Spool:
    """Records keyed by person, and the file's rejects; deleted when closed."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="journey-import-")
        self.db = sqlite3.connect(Path(self._dir.name) / "spool.sqlite", isolation_level=None)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("BEGIN")
        for statement in SCHEMA:
            self.db.execute(statement)
        self.lines = 0
        # Records and aliases wait here and go in a few thousand at a time.
        self._records: list[tuple[str, str, int, bytes]] = []
        self._aliases: list[tuple[str, str]] = []
        # Rejects too: a refused file's every line is one, kept a person at a time.
        self._rejects: list[tuple[int, str, str, str, bool]] = []
        self._codec = Codec()

    def __enter__(self) -> Spool:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.db.close()
        self._dir.cleanup()

    def add(self, record: Record) -> None:
        self.lines = max(self.lines, record.line)
        packed = self._codec.packed(record)
        blob = pickle.dumps(packed, protocol=pickle.HIGHEST_PROTOCOL)
        self._records.append((record.person, _at(record, packed), record.line, blob))
        if record.identifiers:
            self._alias(record)
        if len(self._records) >= FLUSH:
            self._flush()

    def _alias(self, record: Record) -> None:
        for kind, value in record.identifiers.items():
            key = f"{kind}:{value}"
            if key != record.person:
                self._aliases.append((key, record.person))

    def _flush(self) -> None:
        self.db.executemany(
            "INSERT INTO records (person, at, line, record) VALUES (?, ?, ?, ?)", self._records
        )
        self.db.executemany("INSERT OR IGNORE INTO aliases VALUES (?, ?)", self._aliases)
        self._records, self._aliases = [], []

    def reject(self, reject: Reject) -> None:
        self.lines = max(self.lines, reject.line)
        self.reject_all([reject])

    def reject_all(self, rejects: list[Reject]) -> None:
        """Lines the checks refused, kept here rather than in memory, a column a field."""
        self._rejects.extend((r.line, r.field, r.reason, r.text, r.history) for r in rejects)
        if len(self._rejects) >= FLUSH:
            self._write_rejects()

    def _write_rejects(self) -> None:
        """The rejects waiting, written: before any read of them."""
        if self._rejects:
            with self._transaction():
                self.db.executemany("INSERT INTO rejects VALUES (?, ?, ?, ?, ?)", self._rejects)
            self._rejects = []

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """Many rows in one transaction: once the file is read the spool commits each
        statement by itself, and a statement's own commit cost nine times its rows' insert."""
        if self.db.in_transaction:
            yield
            return
        self.db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")  # nothing of a failed write stays, nor its transaction
            raise
        self.db.execute("COMMIT")

    def finish(self) -> None:
        """Lines naming a person by another identifier that a registration in this file
        gives join that registration's person."""
        self._flush()
        self.db.execute(
            "UPDATE records SET person = (SELECT a.person FROM aliases a "
            "WHERE a.identifier = records.person) "
            "WHERE person IN (SELECT identifier FROM aliases)"
        )
        self.db.execute("CREATE INDEX records_person ON records (person, at, line)")
        self.db.execute("COMMIT")

    def people(self) -> int:
        return int(self.db.execute("SELECT count(DISTINCT person) FROM records").fetchone()[0])

    @property
    def rejected(self) -> int:
        self._write_rejects()
        return int(self.db.execute("SELECT count(*) FROM rejects").fetchone()[0])

    def rejects(self) -> Iterator[Reject]:
        """Every reject so far in line order (those of one line in the order kept), read as
        walked."""
        self._write_rejects()
        rows = self.db.execute(
            "SELECT line, field, reason, text, history FROM rejects ORDER BY line, rowid"
        )
        for line, field, reason, text, history in rows:
            yield Reject(line, field, reason, text, bool(history))

    def stash(self, people: list[str], summary: Any, events: bytes) -> None:
        """A checked chunk: its people's keys, what it records, its new events (a
        pickled list)."""
        self.db.execute(
            "INSERT INTO stash (people, summary, events) VALUES (?, ?, ?)",
            (pickle.dumps(people, protocol=5), pickle.dumps(summary, protocol=5), events),
        )

    def stashed(self) -> Iterator[Stashed]:
        """The checked chunks in the order kept, read one at a time; their events as kept
        (a pickled list)."""
        last = 0
        while True:
            row = self.db.execute(
                "SELECT chunk, people, summary, events FROM stash WHERE chunk > ? "
                "ORDER BY chunk LIMIT 1",
                (last,),
            ).fetchone()
            if row is None:
                return
            last = row[0]
            yield pickle.loads(row[1]), pickle.loads(row[2]), row[3]

    def groups(self, people: list[str] | None = None) -> Iterator[tuple[str, list[Record]]]:
        """Each person's records in effective order (registrations first), person by person;
        every person, or those named."""
        for person, blobs in self.spooled(people):
            yield person, self._codec.records(blobs)

    def spooled(self, people: list[str] | None = None) -> Iterator[tuple[str, list[bytes]]]:
        """Each person's records as kept here, in the order of `groups`, for `Codec.records`
        with this spool's `kinds` to read."""
        if people is None:
            rows = self.db.execute("SELECT person, record FROM records ORDER BY person, at, line")
        else:
            marks = ", ".join("?" * len(people))
            rows = self.db.execute(
                f"SELECT person, record FROM records WHERE person IN ({marks}) "
                "ORDER BY person, at, line",
                people,
            )
        current: str | None = None
        bucket: list[bytes] = []
        for person, blob in rows:
            if person != current and bucket:
                assert current is not None
                yield current, bucket
                bucket = []
            current = person
            bucket.append(blob)
        if bucket and current is not None:
            yield current, bucket

    def records(self, blobs: list[bytes]) -> list[Record]:
        """One person's records as `spooled` gives them, in effective order."""
        return self._codec.records(blobs)

    @property
    def kinds(self) -> list[type[Any]]:
        """The kinds of command the spooled records hold, by their numbers here."""
        return self._codec.kinds


def _at(record: Record, packed: tuple[Any, ...]) -> str:
    """The record's sort key: its first step's moment, else its registration's. A single
    step's moment packed as text in UTC already is that key (no second text made)."""
    steps = record.steps
    if len(steps) == 1:
        text = packed[2][0][2]
        if isinstance(text, str) and text.endswith("+00:00"):
            return text
    if steps:
        return sort_key(min(s.occurred_at for s in steps))
    return sort_key((record.registration or {}).get("occurred_at"))


def sort_key(moment: datetime | None) -> str:
    """Effective times compared as text: all in UTC, so the order is the order in time."""
    return moment.astimezone(UTC).isoformat() if moment else ""


def order(records: list[Record]) -> list[Record]:
    """Full registrations first (they say who the person is), then by effective time; the sort
    is stable, so records at the same time keep their file order."""
    return sorted(records, key=lambda r: not (r.registration and r.identifiers))


# Offsets that an ISO text keeps whole: a moment with one of these time zones is spooled as its
# text (pickling the time zone object cost more than the rest of a line), any other (a named
# zone such as Europe/London) as itself.
FIXED_ZONES: tuple[type[tzinfo], ...] = (timezone, type(TzInfo(0)))


class Codec:
    """Records as plain values for the spool, and back: a command by its kind's number in
    this spool, moments as text. Rebuilt without running the frozen classes' `__init__`,
    which sets each field through `object.__setattr__` and was most of reading a line back."""

    def __init__(self, kinds: list[type[Any]] | None = None) -> None:
        self.kinds: list[type[Any]] = list(kinds or [])
        self.numbers = {kind: number for number, kind in enumerate(self.kinds)}

    def records(self, blobs: list[bytes]) -> list[Record]:
        """One person's records as spooled, in effective order."""
        return order([self.unpacked(pickle.loads(blob)) for blob in blobs])

    def packed(self, record: Record) -> tuple[Any, ...]:
        steps = [
            (
                self._number(type(s.command)),
                vars(s.command),
                _moment(s.occurred_at),
                s.source_ref,
                s.reason,
                s.correlation_id,
                _moment(s.created_at),
            )
            for s in record.steps
        ]
        return (
            record.line,
            record.person,
            steps,
            record.registration,
            record.identifiers,
            record.text,
            record.unheld,
        )

    def unpacked(self, packed: tuple[Any, ...]) -> Record:
        line, person, steps, registration, identifiers, text, unheld = packed
        state = {
            "line": line,
            "person": person,
            "steps": tuple(self._step(*step) for step in steps),
            "registration": registration,
            "identifiers": identifiers,
            "text": text,
            "unheld": unheld,
        }
        return held(Record, state)

    def _step(self, number: int, command: dict[str, Any], *rest: Any) -> Step:
        at, ref, reason, correlation, created = rest
        state = {
            "command": held(self.kinds[number], command),
            "occurred_at": _instant(at),
            "source_ref": ref,
            "reason": reason,
            "correlation_id": correlation,
            "created_at": _instant(created),
        }
        return held(Step, state)

    def _number(self, kind: type[Any]) -> int:
        number = self.numbers.get(kind)
        if number is None:
            number = self.numbers[kind] = len(self.kinds)
            self.kinds.append(kind)
        return number


def _moment(moment: datetime | None) -> datetime | str | None:
    if moment is not None and type(moment.tzinfo) in FIXED_ZONES:
        return moment.isoformat()
    return moment


def _instant(moment: datetime | str | None) -> datetime | None:
    return datetime.fromisoformat(moment) if isinstance(moment, str) else moment
