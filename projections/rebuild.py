"""Rebuild without downtime: fill a new generation of tables from the start of the log while
the live one keeps serving, catch it up, then swap the views in one transaction.

Projections rebuilt together share one pass over the log. On PostgreSQL the pass is split into
ranges of person ids filled by parallel worker processes. Each range commits its progress with
its rows, so an interrupted rebuild resumes where every range stopped.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby, pairwise
from typing import Any
from uuid import UUID

from domain.person.state import PersonState
from domain.service.application import JourneyApp
from domain.service.settings import Settings
from projections import tables
from projections.db import ReadDb, open_read_db
from projections.schema import BY_NAME, META, Projection
from projections.source import EventSource, bulk_reading

Progress = Callable[[int, int], None]  # (events done, events in all)
RANGES = "rm_rebuild_ranges"
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Build:
    """A rebuild in progress: which read model, into which generation, from which snapshot."""

    projection: Projection
    generation: int
    snapshot: int


@dataclass(frozen=True)
class Range:
    """One slice of the people a rebuild walks, and how far it has gone."""

    index: int
    low: str  # person ids >= low (canonical UUID text), "" for the start
    high: str  # person ids < high, "" for the end
    cursor: str | None  # the last person id committed, if any
    done: bool


def rebuild(
    app: JourneyApp,
    db: ReadDb,
    names: list[str],
    *,
    progress: Progress | None = None,
    chunk: int = 1000,
    workers: int | None = None,
) -> dict[str, int]:
    """Rebuild the named projections; return each one's new live generation."""
    tables.ensure(db)
    source = EventSource(app)
    head = source.head()
    parallel = workers or (os.cpu_count() or 1) if db.dialect == "postgres" else 1
    builds = [_start(db, BY_NAME[name], head, parallel) for name in names]
    for _, group in groupby(sorted(builds, key=_pass_key), key=_pass_key):
        _fill(app, db, list(group), progress, chunk)
    for build in builds:
        _catch_up(db, source, build)
        _swap(db, build)
    return {b.projection.name: b.generation for b in builds}


def _pass_key(build: Build) -> tuple[int, int]:
    return build.snapshot, build.generation


def _start(db: ReadDb, projection: Projection, head: int, parallel: int) -> Build:
    """Resume the generation being built, or begin a new one at the log's head."""
    with db.transaction() as cur:
        tables.lock(cur, db.dialect)
        cur.execute(
            f"CREATE TABLE IF NOT EXISTS {RANGES} (name TEXT NOT NULL, generation "
            "BIGINT NOT NULL, idx BIGINT NOT NULL, low TEXT NOT NULL, high TEXT NOT "
            "NULL, cursor TEXT, done BIGINT NOT NULL, PRIMARY KEY (name, generation, idx))"
        )
        gens = [g for g in tables.generations(cur) if g.name == projection.name]
        building = [g for g in gens if g.state == tables.BUILDING]
        if building:
            g = building[-1]
            assert g.snapshot is not None
            return Build(projection, g.generation, g.snapshot)
        gen = max(g.generation for g in gens) + 1
        tables.drop(cur, projection, gen)
        tables.create(cur, db.dialect, projection, gen, indexes=False)
        cur.execute(
            f"INSERT INTO {META} (name, generation, state, position, snapshot) "
            "VALUES (%s, %s, %s, %s, %s)",
            (projection.name, gen, tables.BUILDING, 0, head),
        )
        cur.execute(f"DELETE FROM {RANGES} WHERE name = %s", (projection.name,))
        for index, (low, high) in enumerate(split(parallel)):
            cur.execute(
                f"INSERT INTO {RANGES} VALUES (%s, %s, %s, %s, %s, NULL, 0)",
                (projection.name, gen, index, low, high),
            )
        return Build(projection, gen, head)


def split(parts: int) -> list[tuple[str, str]]:
    """Person-id ranges of equal width over the UUID space."""
    bounds = [str(UUID(int=(i << 128) // parts)) for i in range(parts)] + [""]
    bounds[0] = ""
    return list(pairwise(bounds))


def ranges(db: ReadDb, build: Build) -> list[Range]:
    rows = db.query(
        f"SELECT idx, low, high, cursor, done FROM {RANGES} WHERE name = %s AND "
        "generation = %s ORDER BY idx",
        (build.projection.name, build.generation),
    )
    return [Range(int(i), str(lo), str(hi), c, bool(d)) for i, lo, hi, c, d in rows]


def _fill(
    app: JourneyApp, db: ReadDb, group: list[Build], progress: Progress | None, chunk: int
) -> None:
    """Fill every unfinished range, in worker processes when there are several."""
    todo = [r for r in ranges(db, group[0]) if not r.done]
    snapshot = group[0].snapshot
    names = [b.projection.name for b in group]
    if len(todo) <= 1:
        for span in todo:
            fill_range(app, db, names, span, chunk=chunk, progress=progress)
    else:
        _fill_in_processes(
            app.settings.database_url,
            names,
            todo,
            chunk=chunk,
            snapshot=snapshot,
            progress=progress,
        )
    with db.transaction() as cur:
        for build in group:
            tables.index(cur, db.dialect, build.projection, build.generation)
            tables.set_position(cur, build.projection.name, build.generation, snapshot, None)
    if progress:
        progress(snapshot, snapshot)


def _fill_in_processes(
    url: str,
    names: list[str],
    todo: list[Range],
    *,
    chunk: int,
    snapshot: int,
    progress: Progress | None,
) -> None:
    ctx = multiprocessing.get_context("spawn")
    queue: Any = ctx.Queue()
    children = [ctx.Process(target=_child, args=(url, names, span, chunk, queue)) for span in todo]
    for child in children:
        child.start()
    done, finished = 0, 0
    while finished < len(children):
        message = queue.get()
        if message is None:
            finished += 1
        elif isinstance(message, str):
            for child in children:
                child.kill()
            raise RuntimeError(f"a rebuild worker failed: {message}")
        else:
            done += message
            if progress:
                progress(min(done, snapshot), snapshot)
    for child in children:
        child.join()
        if child.exitcode != 0:
            raise RuntimeError(f"a rebuild worker exited with {child.exitcode}")


def _die_with_parent() -> None:
    """A worker must not outlive a killed rebuild: it would race the resumed one."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() == 1:  # the parent died before the request took effect
            os._exit(1)


def _child(url: str, names: list[str], span: Range, chunk: int, queue: Any) -> None:
    _die_with_parent()
    settings = Settings(database_url=url)
    app = JourneyApp(settings)
    db = open_read_db(settings.database, pool_size=1)
    try:
        fill_range(app, db, names, span, chunk=chunk, progress=lambda events, _: queue.put(events))
        queue.put(None)
    except BaseException as exc:
        queue.put(f"{type(exc).__name__}: {exc}")
        raise
    finally:
        db.close()
        app.close()


def fill_range(
    app: JourneyApp,
    db: ReadDb,
    names: list[str],
    span: Range,
    *,
    chunk: int,
    progress: Progress | None,
) -> None:
    """Stream one range of people at the snapshot into the new tables, committing progress."""
    with db.transaction(write=False) as cur:
        gens = {g.name: g for g in tables.generations(cur) if g.state == tables.BUILDING}
    builds = [(BY_NAME[n], gens[n].generation) for n in names]
    snapshot = gens[names[0]].snapshot
    assert snapshot is not None
    pending: list[PersonState] = []

    def flush(done: bool) -> None:
        with db.transaction() as cur:
            for projection, gen in builds:
                tables.write_states(cur, db.dialect, projection, gen, pending, replace=False)
                cursor = pending[-1].person_id if pending else span.cursor
                cur.execute(
                    f"UPDATE {RANGES} SET cursor = %s, done = %s WHERE name = %s AND "
                    "generation = %s AND idx = %s",
                    (cursor, int(done), projection.name, gen, span.index),
                )
        if progress:
            progress(sum(s.version for s in pending), snapshot)
        pending.clear()

    source = EventSource(app)
    with bulk_reading():
        for state in source.stream_states(
            snapshot,
            after_person=span.cursor or span.low or None,
            include_start=span.cursor is None,
            before=span.high,
        ):
            pending.append(state)
            if len(pending) >= chunk:
                flush(False)
        flush(True)


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
            states = source.states(people, end).values()
            tables.write_states(cur, db.dialect, build.projection, gen, states)
            tables.set_position(cur, name, gen, end)


def _swap(db: ReadDb, build: Build) -> None:
    """Make the new generation live and retire the old one, in one transaction."""
    name = build.projection.name
    with db.transaction() as cur:
        tables.lock(cur, db.dialect)
        tables.analyze(cur, build.projection, build.generation)
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
        cur.execute(f"DELETE FROM {RANGES} WHERE name = %s", (name,))
