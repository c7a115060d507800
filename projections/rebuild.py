"""Rebuild without downtime: fill a new generation of tables from the start of the log while
the live one keeps serving, catch it up, then swap the views in one transaction.

Progress is committed with the rows, so an interrupted rebuild resumes where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable

from domain.person.state import PersonState
from domain.service.application import JourneyApp
from projections import tables
from projections.db import ReadDb
from projections.schema import BY_NAME, META, Projection
from projections.source import EventSource

Progress = Callable[[int, int], None]  # (events done, events in all)


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
    done = {}
    for name in names:
        projection = BY_NAME[name]
        gen, snapshot, cursor = _start(db, projection, source.head())
        _fill(
            db,
            source,
            projection,
            gen=gen,
            snapshot=snapshot,
            cursor=cursor,
            progress=progress,
            chunk=chunk,
        )
        _catch_up(db, source, projection, gen)
        _swap(db, projection, gen)
        done[name] = gen
    return done


def _start(db: ReadDb, projection: Projection, head: int) -> tuple[int, int, str | None]:
    """Resume the generation being built, or begin a new one at the log's head."""
    with db.transaction() as cur:
        tables.lock(cur, db.dialect)
        gens = [g for g in tables.generations(cur) if g.name == projection.name]
        building = [g for g in gens if g.state == tables.BUILDING]
        if building:
            g = building[-1]
            assert g.snapshot is not None
            return g.generation, g.snapshot, g.cursor
        gen = max(g.generation for g in gens) + 1
        tables.drop(cur, projection, gen)
        tables.create(cur, db.dialect, projection, gen)
        cur.execute(
            f"INSERT INTO {META} (name, generation, state, position, snapshot) "
            "VALUES (%s, %s, %s, %s, %s)",
            (projection.name, gen, tables.BUILDING, 0, head),
        )
        return gen, head, None


def _fill(
    db: ReadDb,
    source: EventSource,
    projection: Projection,
    *,
    gen: int,
    snapshot: int,
    cursor: str | None,
    progress: Progress | None,
    chunk: int,
) -> None:
    """Stream every person's state at the snapshot into the new tables, committing progress."""
    pending: list[PersonState] = []
    events = 0

    def flush() -> None:
        with db.transaction() as cur:
            tables.write_states(cur, projection, gen, pending, replace=False)
            tables.set_position(cur, projection.name, gen, 0, pending[-1].person_id)
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
        tables.set_position(cur, projection.name, gen, snapshot, None)
    if progress:
        progress(snapshot, snapshot)


def _catch_up(
    db: ReadDb, source: EventSource, projection: Projection, gen: int, batch: int = 2000
) -> None:
    """Bring the new generation from its snapshot to the head, batch by batch."""
    while True:
        with db.transaction() as cur:
            tables.lock(cur, db.dialect)
            position = next(
                g.position
                for g in tables.generations(cur)
                if g.name == projection.name and g.generation == gen
            )
            changes = source.changes(position, batch)
            if not changes:
                return
            end = changes[-1][0]
            people = {pid for _, pid, topic in changes if topic.startswith("domain.person.")}
            tables.write_states(cur, projection, gen, source.states(people, end).values())
            tables.set_position(cur, projection.name, gen, end)


def _swap(db: ReadDb, projection: Projection, gen: int) -> None:
    """Make the new generation live and retire the old one, in one transaction."""
    with db.transaction() as cur:
        tables.lock(cur, db.dialect)
        old = [
            g
            for g in tables.generations(cur)
            if g.name == projection.name and g.state == tables.LIVE
        ]
        cur.execute(
            f"UPDATE {META} SET state = %s WHERE name = %s AND state = %s",
            (tables.RETIRED, projection.name, tables.LIVE),
        )
        cur.execute(
            f"UPDATE {META} SET state = %s WHERE name = %s AND generation = %s",
            (tables.LIVE, projection.name, gen),
        )
        tables.point_views(cur, db.dialect, projection, gen)
        for g in old:
            tables.drop(cur, projection, g.generation)
        cur.execute(
            f"DELETE FROM {META} WHERE name = %s AND state = %s", (projection.name, tables.RETIRED)
        )
