"""An on-disk spool of a file's records, regrouped by person, and of every line refused: memory
stays bounded however large the load, and each person's lines are checked and saved together."""

from __future__ import annotations

import pickle
import sqlite3
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from replay.batch import Reject
from replay.formats import Record

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
        first = min((s.occurred_at for s in record.steps), default=None)
        moment = first or (record.registration or {}).get("occurred_at")
        blob = pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)
        self._records.append(
            (record.person, moment.isoformat() if moment else "", record.line, blob)
        )
        for kind, value in record.identifiers.items():
            key = f"{kind}:{value}"
            if key != record.person:
                self._aliases.append((key, record.person))
        if len(self._records) >= FLUSH:
            self._flush()

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
        if rejects:
            rows = [(r.line, r.field, r.reason, r.text, r.history) for r in rejects]
            self.db.executemany("INSERT INTO rejects VALUES (?, ?, ?, ?, ?)", rows)

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
        return int(self.db.execute("SELECT count(*) FROM rejects").fetchone()[0])

    def rejects(self) -> Iterator[Reject]:
        """Every reject so far in line order (those of one line in the order kept), read as
        walked."""
        rows = self.db.execute(
            "SELECT line, field, reason, text, history FROM rejects ORDER BY line, rowid"
        )
        for line, field, reason, text, history in rows:
            yield Reject(line, field, reason, text, bool(history))

    def stash(self, people: list[str], summary: Any, events: list[Any]) -> None:
        """A checked chunk: its people's keys, what it records, its new domain events."""
        self.db.execute(
            "INSERT INTO stash (people, summary, events) VALUES (?, ?, ?)",
            (pickle.dumps(people), pickle.dumps(summary), pickle.dumps(events, protocol=5)),
        )

    def stashed(self) -> Iterator[tuple[list[str], Any, list[Any]]]:
        """The checked chunks in the order kept, read one at a time."""
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
            yield pickle.loads(row[1]), pickle.loads(row[2]), pickle.loads(row[3])

    def groups(self, people: list[str] | None = None) -> Iterator[tuple[str, list[Record]]]:
        """Each person's records in effective order (registrations first), person by person;
        every person, or those named."""
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
        bucket: list[Record] = []
        for person, blob in rows:
            if person != current and bucket:
                assert current is not None
                yield current, order(bucket)
                bucket = []
            current = person
            bucket.append(pickle.loads(blob))
        if bucket and current is not None:
            yield current, order(bucket)


def sort_key(moment: datetime | None) -> str:
    """Effective times compared as text: all in UTC, so the order is the order in time."""
    return moment.astimezone(UTC).isoformat() if moment else ""


def order(records: list[Record]) -> list[Record]:
    """Full registrations first (they say who the person is), then by effective time; the sort
    is stable, so records at the same time keep their file order."""
    return sorted(records, key=lambda r: not (r.registration and r.identifiers))
