"""Rebuild without downtime: fill a new generation of tables from the start of the log while
the live one keeps serving, catch it up, then swap the views in one transaction.

Projections rebuilt together share one pass over the log. On PostgreSQL the pass is split into
ranges of person ids, one per core: the rebuilding process fills the first and a worker process
each other; its own done, it takes the upper half of what a worker has left, so no core idles
while a worker that started late catches up. Each range commits its progress with its
rows, so an interrupted rebuild resumes where every range stopped.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import queue
import signal
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import groupby, pairwise
from typing import Any
from uuid import UUID

from domain.person.state import PersonState
from domain.service.application import JourneyApp
from domain.service.settings import Settings
from projections import tables
from projections.db import Cursor, ReadDb, open_read_db
from projections.schema import BY_NAME, META, Projection
from projections.source import EventSource, bulk_reading

Progress = Callable[[int, int], None]  # (events done, events in all)
RANGES = "rm_rebuild_ranges"
PR_SET_PDEATHSIG = 1
TAIL = 2  # connections indexing and analysing the filled tables at once
CHECK = 200  # people streamed between looks at where the range now ends
INDEX_MEMORY = "256MB"  # for each of the TAIL connections' index builds
WORTH = 1 << 122  # the least id space (1/64 of all) worth taking from another's range


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
    with db.transaction() as cur:  # one commit for them all: each waits on the disk
        tables.lock(cur, db.dialect)
        cur.execute(
            f"CREATE TABLE IF NOT EXISTS {RANGES} (name TEXT NOT NULL, generation "
            "BIGINT NOT NULL, idx BIGINT NOT NULL, low TEXT NOT NULL, high TEXT NOT "
            "NULL, cursor TEXT, done BIGINT NOT NULL, PRIMARY KEY (name, generation, idx))"
        )
        builds = [_start(cur, db.dialect, BY_NAME[name], head, parallel) for name in names]
    for _, group in groupby(sorted(builds, key=_pass_key), key=_pass_key):
        _fill(app, db, list(group), progress, chunk)
    for build in builds:
        _catch_up(db, source, build)
    _swap(db, builds)
    return {b.projection.name: b.generation for b in builds}


def _pass_key(build: Build) -> tuple[int, int]:
    return build.snapshot, build.generation


def _start(cur: Cursor, dialect: str, projection: Projection, head: int, parallel: int) -> Build:
    """Resume the generation being built, or begin a new one at the log's head."""
    gens = [g for g in tables.generations(cur) if g.name == projection.name]
    building = [g for g in gens if g.state == tables.BUILDING]
    if building:
        g = building[-1]
        assert g.snapshot is not None
        return Build(projection, g.generation, g.snapshot)
    gen = max(g.generation for g in gens) + 1
    tables.drop(cur, projection, gen)
    tables.create(cur, dialect, projection, gen, indexes=False)
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
    """Fill every unfinished range: this process takes the first, a worker process each other."""
    todo = [r for r in ranges(db, group[0]) if not r.done]
    snapshot = group[0].snapshot
    names = [b.projection.name for b in group]
    if len(todo) <= 1:
        for span in todo:
            fill_range(app, db, names, span, chunk=chunk, progress=progress)
    else:
        url = app.settings.database_url
        with Workers(
            url, names, todo[1:], chunk=chunk, snapshot=snapshot, progress=progress
        ) as workers:
            mine: Range | None = todo[0]
            while mine is not None:  # then the upper half of whichever range has most left
                fill_range(app, db, names, mine, chunk=chunk, progress=workers.own)
                mine = steal(db, group, workers.at) if db.dialect == "postgres" else None
            workers.wait()
    _finish(db, group)
    if progress:
        progress(snapshot, snapshot)


def _finish(db: ReadDb, group: list[Build]) -> None:
    """Index and analyse the filled tables, one table per connection at once (the server's
    work, on every core), then record that the generations stand at their snapshot."""
    parts = [
        (Projection(b.projection.name, (t,)), b.generation)
        for b in group
        for t in b.projection.tables
    ]
    if db.dialect == "postgres":
        with ThreadPoolExecutor(max_workers=TAIL, thread_name_prefix="rebuild-index") as pool:
            for done in [pool.submit(_index, db, *part) for part in _largest_first(db, parts)]:
                done.result()
    else:
        for part in parts:
            _index(db, *part)
    with db.transaction() as cur:
        for build in group:
            tables.set_position(cur, build.projection.name, build.generation, build.snapshot, None)


def _largest_first(db: ReadDb, parts: list[tuple[Projection, int]]) -> list[tuple[Projection, int]]:
    """The tables by size, largest first: started first, the longest indexing does not run on
    alone at the end."""
    names = [p.tables[0].physical(gen) for p, gen in parts]
    sizes = dict(db.query("SELECT t, pg_relation_size(t) FROM unnest(%s::text[]) AS t", (names,)))
    return sorted(parts, key=lambda part: -sizes[part[0].tables[0].physical(part[1])])


def _index(db: ReadDb, projection: Projection, generation: int) -> None:
    # Planner statistics now, not at the swap: its first queries after the swap use the
    # indexes, and the swap's lock is held for less.
    with db.transaction() as cur:
        if db.dialect == "postgres":
            # A national table's index sorts in memory rather than through temporary files.
            cur.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_MEMORY}'")
        tables.index(cur, db.dialect, projection, generation)
        tables.analyze(cur, projection, generation)


class Workers:
    """Worker processes filling ranges beside this one's own, and their reports."""

    def __init__(
        self,
        url: str,
        names: list[str],
        todo: list[Range],
        *,
        chunk: int,
        snapshot: int,
        progress: Progress | None,
    ) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.queue: Any = ctx.Queue()
        self.children = [
            ctx.Process(target=_child, args=(url, names, span, chunk, self.queue)) for span in todo
        ]
        self.snapshot, self.progress = snapshot, progress
        self.done, self.finished = 0, 0
        self.at: dict[int, str] = {}  # range: the last person its worker said it streamed

    def __enter__(self) -> Workers:
        for child in self.children:
            child.start()
        return self

    def __exit__(self, *exc: object) -> None:
        # A worker must not outlive a failed rebuild: it would race the resumed one.
        for child in self.children:
            if child.is_alive():
                child.kill()
            child.join()

    def own(self, events: int, _: int) -> None:
        """Progress of this process's own range, with whatever the workers reported since."""
        self.done += events
        while not self.queue.empty():
            self._take(self.queue.get())
        self._report()

    def wait(self) -> None:
        """Wait for every worker to finish its range; raise if one failed or died."""
        while self.finished < len(self.children):
            try:
                self._take(self.queue.get(timeout=1.0))
            except queue.Empty:
                dead = [c.exitcode for c in self.children if c.exitcode not in (None, 0)]
                if dead:
                    raise RuntimeError(f"a rebuild worker exited with {dead[0]}") from None
                continue
            self._report()
        for child in self.children:
            child.join()
            if child.exitcode != 0:
                raise RuntimeError(f"a rebuild worker exited with {child.exitcode}")

    def _take(self, message: int | str | tuple[int, str] | None) -> None:
        if message is None:
            self.finished += 1
        elif isinstance(message, str):
            raise RuntimeError(f"a rebuild worker failed: {message}")
        elif isinstance(message, tuple):
            index, person = message
            self.at[index] = person
        else:
            self.done += message

    def _report(self) -> None:
        if self.progress:
            self.progress(min(self.done, self.snapshot), self.snapshot)


def _die_with_parent() -> None:
    """A worker must not outlive a killed rebuild: it would race the resumed one."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() == 1:  # the parent died before the request took effect
            os._exit(1)


def _child(url: str, names: list[str], span: Range, chunk: int, reports: Any) -> None:
    _die_with_parent()
    settings = Settings(database_url=url)
    app = JourneyApp(settings)
    db = open_read_db(settings.database, pool_size=1)
    try:
        fill_range(
            app,
            db,
            names,
            span,
            chunk=chunk,
            progress=lambda events, _: reports.put(events),
            at=lambda person: reports.put((span.index, person)),
        )
        reports.put(None)
    except BaseException as exc:
        reports.put(f"{type(exc).__name__}: {exc}")
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
    at: Callable[[str], None] | None = None,
) -> None:
    """Stream one range of people at the snapshot into the new tables, committing progress,
    until the range's end (which another process may bring nearer by taking its upper part).
    `at`, given to a worker, hears now and then the last person streamed."""
    with db.transaction(write=False) as cur:
        gens = {g.name: g for g in tables.generations(cur) if g.state == tables.BUILDING}
    builds = [(BY_NAME[n], gens[n].generation) for n in names]
    snapshot = gens[names[0]].snapshot
    assert snapshot is not None
    fill = RangeFill(db, builds, span, snapshot, progress)
    source = EventSource(app)
    with bulk_reading():
        for state in source.stream_states(
            snapshot,
            after_person=span.cursor or span.low or None,
            include_start=span.cursor is None,
            before=span.high,
        ):
            if not fill.add(state):
                break
            if at and len(fill.pending) % CHECK == 0:  # a worker's range may be taken from
                fill.look()
                at(state.person_id)
            if len(fill.pending) >= chunk and fill.flush(done=False):
                return
        fill.flush(done=True)


class RangeFill:
    """A range's states waiting to be committed. Its end is read again before each commit,
    and now and then between: another process may have taken the upper part, and states past
    the new end are its to write."""

    def __init__(
        self,
        db: ReadDb,
        builds: list[tuple[Projection, int]],
        span: Range,
        snapshot: int,
        progress: Progress | None,
    ) -> None:
        self.db, self.builds, self.span = db, builds, span
        self.snapshot, self.progress = snapshot, progress
        self.high, self.cursor = span.high, span.cursor
        self.pending: list[PersonState] = []

    def add(self, state: PersonState) -> bool:
        """Keep a state to commit; False once past the range's end."""
        if self.high and state.person_id >= self.high:
            return False
        self.pending.append(state)
        return True

    def look(self) -> None:
        """Read the range's end again, without waiting on anyone."""
        self.high = _high(self.db.query(self._high_sql(), self._key()))

    def flush(self, *, done: bool) -> bool:
        """Commit the states before the range's end, with the cursor; True if the range is
        done (as asked, or because it ends before some of the states)."""
        postgres = self.db.dialect == "postgres"
        with self.db.transaction() as cur:
            if postgres:
                # Not waiting for the disk: a commit lost to a crash loses its cursor with its
                # rows, and the resumed rebuild writes them again. The swap's commit waits.
                cur.execute("SET LOCAL synchronous_commit = off")
            cur.execute(self._high_sql() + (" FOR UPDATE" if postgres else ""), self._key())
            self.high = _high(cur.fetchall())
            keep = [s for s in self.pending if not self.high or s.person_id < self.high]
            done = done or len(keep) < len(self.pending)
            cursor = keep[-1].person_id if keep else self.cursor
            for projection, gen in self.builds:
                tables.write_states(cur, self.db.dialect, projection, gen, keep, replace=False)
                cur.execute(
                    f"UPDATE {RANGES} SET cursor = %s, done = %s WHERE name = %s AND "
                    "generation = %s AND idx = %s",
                    (cursor, int(done), projection.name, gen, self.span.index),
                )
        self.cursor = cursor
        if self.progress:
            self.progress(sum(s.version for s in keep), self.snapshot)
        self.pending.clear()
        return done

    def _high_sql(self) -> str:
        return f"SELECT high FROM {RANGES} WHERE name = %s AND generation = %s AND idx = %s"

    def _key(self) -> tuple[str, int, int]:
        projection, gen = self.builds[0]
        return projection.name, gen, self.span.index


def _high(rows: list[tuple[Any, ...]]) -> str:
    return str(rows[0][0])


def steal(db: ReadDb, group: list[Build], at: dict[int, str]) -> Range | None:
    """Take the upper half of what is left of the unfinished range with most left, as a new
    range for this process to fill; None if none has enough left to be worth it. `at` holds
    the last person each range's filler said it streamed, ahead of its committed cursor."""
    first = group[0]
    key = (first.projection.name, first.generation)
    with db.transaction() as cur:
        cur.execute(
            f"SELECT idx, low, high, cursor FROM {RANGES} WHERE name = %s AND generation = %s "
            "AND done = 0 ORDER BY idx FOR UPDATE",
            key,
        )
        left = [
            (_left(str(lo), str(hi), c, at.get(int(i))), int(i), str(hi))
            for i, lo, hi, c in cur.fetchall()
        ]
        if not left or max(left)[0][0] < WORTH:
            return None
        (width, start), index, high = max(left)
        mid = str(UUID(int=start + width // 2))
        cur.execute(f"SELECT max(idx) FROM {RANGES} WHERE name = %s AND generation = %s", key)
        taken = int(cur.fetchall()[0][0]) + 1
        for build in group:
            name, gen = build.projection.name, build.generation
            cur.execute(
                f"UPDATE {RANGES} SET high = %s WHERE name = %s AND generation = %s AND idx = %s",
                (mid, name, gen, index),
            )
            cur.execute(
                f"INSERT INTO {RANGES} VALUES (%s, %s, %s, %s, %s, NULL, 0)",
                (name, gen, taken, mid, high),
            )
    return Range(taken, mid, high, None, False)


def _left(low: str, high: str, cursor: str | None, streamed: str | None) -> tuple[int, int]:
    """How much of the id space a range has left, and where that starts."""
    start = max(p for p in (low, cursor or "", streamed or ""))
    first = UUID(start).int + 1 if start else 0
    end = UUID(high).int if high else 1 << 128
    return max(end - first, 0), first


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


def _swap(db: ReadDb, builds: list[Build]) -> None:
    """Make the new generations live and retire the old ones, in one transaction."""
    with db.transaction() as cur:
        tables.lock(cur, db.dialect)
        for build in builds:
            _swap_one(cur, db.dialect, build)


def _swap_one(cur: Cursor, dialect: str, build: Build) -> None:
    name = build.projection.name
    old = [g for g in tables.generations(cur) if g.name == name and g.state == tables.LIVE]
    cur.execute(
        f"UPDATE {META} SET state = %s WHERE name = %s AND state = %s",
        (tables.RETIRED, name, tables.LIVE),
    )
    cur.execute(
        f"UPDATE {META} SET state = %s WHERE name = %s AND generation = %s",
        (tables.LIVE, name, build.generation),
    )
    tables.point_views(cur, dialect, build.projection, build.generation)
    for g in old:
        tables.drop(cur, build.projection, g.generation)
    cur.execute(f"DELETE FROM {META} WHERE name = %s AND state = %s", (name, tables.RETIRED))
    cur.execute(f"DELETE FROM {RANGES} WHERE name = %s", (name,))
