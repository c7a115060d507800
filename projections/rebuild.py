"""Rebuild without downtime: fill a new generation of tables from the start of the log while
the live one keeps serving, catch it up, then swap the views in one transaction.

Several projections rebuilt together share one pass over the log. Progress is committed with
the rows, so an interrupted rebuild resumes where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby

from domain.person.state import PersonState
from domain.service.application import JourneyApp
from projections import tables
from projections.db import ReadDb
from projections.schema import BY_NAME, META, Projection
from projections.source import EventSource

Progress = Callable[[int, int], None]  # (events done, events in all)


@dataclass(frozen=True)
class Build:
    projection: Projection
    generation: int
    snapshot: int
    cursor: str | None


def rebuild(
    app: JourneyApp,
    db: ReadDb,
    names: list[str],
    progress: Progress | None = None,
    chunk: int = 1000,
) -> dict[str, int]:
    """Rebuild the named projections; return each one's new live generation."""
    tables.ensure(db)
    source = EventSource(app)
    head = source.head()
    builds = [_start(db, BY_NAME[name], head) for name in names]

    def same_pass(b: Build) -> tuple[int, str]:
        return b.snapshot, b.cursor or ""

    for _, group in groupby(sorted(builds, key=same_pass), key=same_pass):
        _fill(db, source, list(group), progress, chunk)
    for build in builds:
        _catch_up(db, source, build)
        _swap(db, build)
    return {b.projection.name: b.generation for b in builds}


def _start(db: ReadDb, projection: Projection, head: int) -> Build:
    """Resume the generation being built, or begin a new one at the log's head."""
    with db.transaction() as cur:
        tables.lock(cur, db.dialect)
        gens = [g for g in tables.generations(cur) if g.name == projection.name]
        building = [g for g in gens if g.state == tables.BUILDING]
        if building:
            g = building[-1]
            assert g.snapshot is not None
            return Build(projection, g.generation, g.snapshot, g.cursor)
        gen = max(g.generation for g in gens) + 1
        tables.drop(cur, projection, gen)
        tables.create(cur, db.dialect, projection, gen)
        cur.execute(
            f"INSERT INTO {META} (name, generation, state, position, snapshot) "
            "VALUES (%s, %s, %s, %s, %s)",
            (projection.name, gen, tables.BUILDING, 0, head),
        )
        return Build(projection, gen, head, None)


def _fill(
    db: ReadDb, source: EventSource, group: list[Build], progress: Progress | None, chunk: int
) -> None:
    """Stream every person's state at the snapshot into the new tables, committing progress."""
    snapshot, cursor = group[0].snapshot, group[0].cursor
    pending: list[PersonState] = []
    events = 0

    def flush() -> None:
        with db.transaction() as cur:
            for build in group:
                tables.write_states(
                    cur, db.dialect, build.projection, build.generation, pending, replace=False
                )
                tables.set_position(
                    cur, build.projection.name, build.generation, 0, pending[-1].person_id
                )
        pending.clear()

    for state in source.stream_states(snapshot, after_person=cursor):
        pending.append(state)
        events += state.version
        if len(pending) >= chunk:
            flush()
            if progress:
                progress(events, snapshot)
    if pending:
        flush()
    with db.transaction() as cur:
        for build in group:
            tables.set_position(cur, build.projection.name, build.generation, snapshot, None)
    if progress:
        progress(snapshot, snapshot)


def _catch_up(db: ReadDb, source: EventSource, build: Build, batch: int = 2000) -> None:
    """Bring the new generation from its snapshot to the head, batch by batch."""
    name, gen = build.projection.name, build.generation
    while True:
        with db.transaction() as cur:
            tables.lock(cur, db.dialect)
            position = next(
                g.position
                for g in tables.generations(cur)
                if g.name == name and g.generation == gen
            )
            changes = source.changes(position, batch)
            if not changes:
                return
            end = changes[-1][0]
            people = {pid for _, pid, topic in changes if topic.startswith("domain.person.")}
            tables.write_states(
                cur, db.dialect, build.projection, gen, source.states(people, end).values()
            )
            tables.set_position(cur, name, gen, end)


def _swap(db: ReadDb, build: Build) -> None:
    """Make the new generation live and retire the old one, in one transaction."""
    name = build.projection.name
    with db.transaction() as cur:
        tables.lock(cur, db.dialect)
        old = [g for g in tables.generations(cur) if g.name == name and g.state == tables.LIVE]
        cur.execute(
            f"UPDATE {META} SET state = %s WHERE name = %s AND state = %s",
            (tables.RETIRED, name, tables.LIVE),
        )
        cur.execute(
            f"UPDATE {META} SET state = %s WHERE name = %s AND generation = %s",
            (tables.LIVE, name, build.generation),
        )
        tables.point_views(cur, db.dialect, build.projection, build.generation)
        for g in old:
            tables.drop(cur, build.projection, g.generation)
        cur.execute(f"DELETE FROM {META} WHERE name = %s AND state = %s", (name, tables.RETIRED))
