"""Verify: recompute every read model from the event log and report any drift."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from domain.service.application import JourneyApp
from projections import tables
from projections.db import ReadDb
from projections.schema import BY_NAME, Table
from projections.source import EventSource

Key = tuple[Any, ...]


@dataclass
class Drift:
    """What differs between the read models and the log, by table."""

    checked: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)
    positions: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def add(self, table: str, message: str, limit: int) -> None:
        self.counts[table] = self.counts.get(table, 0) + 1
        if len(self.examples) < limit:
            self.examples.append(f"{table}: {message}")


def normal(value: Any, kind: str) -> Any:
    """One comparable form for values from either database or from the domain."""
    if value is None:
        return None
    if kind == "ts":
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
        return moment.astimezone(UTC).isoformat()
    if kind == "date":
        return value.isoformat() if isinstance(value, date) else str(value)
    if kind == "int":
        return int(value)
    return str(value)


def normal_row(table: Table, row: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(normal(v, kind) for v, (_, kind) in zip(row, table.columns, strict=True))


def verify(app: JourneyApp, db: ReadDb, examples: int = 10) -> Drift:
    """Compare each live read model with the log at that model's own position."""
    drift = Drift()
    source = EventSource(app)
    with db.transaction(write=False) as cur:
        if db.dialect == "postgres":
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        current = tables.live(cur)
        actual: dict[str, dict[Key, tuple[Any, ...]]] = {}
        for name, gen in current.items():
            drift.positions[name] = gen.position
            for table in BY_NAME[name].tables:
                cur.execute(
                    f"SELECT {', '.join(table.column_names)} FROM {table.physical(gen.generation)}"
                )
                actual[table.name] = {
                    _key(table, r): r for r in (normal_row(table, row) for row in cur.fetchall())
                }
    by_position: dict[int, list[Table]] = {}
    for name, gen in current.items():
        by_position.setdefault(gen.position, []).extend(BY_NAME[name].tables)
    for position, group in by_position.items():
        expected = _expected(source, group, position)
        for table in group:
            _compare(table, expected[table.name], actual[table.name], drift, examples)
    return drift


def _key(table: Table, row: tuple[Any, ...]) -> Key:
    names = table.column_names
    return tuple(row[names.index(k)] for k in table.key)


def _expected(
    source: EventSource, group: list[Table], position: int
) -> dict[str, dict[Key, tuple[Any, ...]]]:
    """Every table's rows recomputed from one pass over the log up to a position."""
    expected: dict[str, dict[Key, tuple[Any, ...]]] = {t.name: {} for t in group}
    for state in source.stream_states(position):
        if state.merged_into:
            continue  # a record merged into another has no rows of its own
        for table in group:
            for row in table.make(state):
                normalised = normal_row(table, row)
                expected[table.name][_key(table, normalised)] = normalised
    return expected


def _compare(
    table: Table,
    expected: dict[Key, tuple[Any, ...]],
    actual: dict[Key, tuple[Any, ...]],
    drift: Drift,
    limit: int,
) -> None:
    drift.checked[table.name] = len(expected)
    for key, row in expected.items():
        found = actual.get(key)
        if found is None:
            drift.add(table.name, f"missing row {key}", limit)
        elif found != row:
            diffs = [
                f"{col}: {a!r} != expected {e!r}"
                for col, a, e in zip(table.column_names, found, row, strict=True)
                if a != e
            ]
            drift.add(table.name, f"row {key} differs: {'; '.join(diffs)}", limit)
    for key in actual.keys() - expected.keys():
        drift.add(table.name, f"unexpected row {key}", limit)
