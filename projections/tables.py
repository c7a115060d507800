"""Generations of read-model tables: create, fill, point the views at the live one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from domain.person.state import PersonState
from projections.db import Cursor, ReadDb, psycopg
from projections.rows import Row
from projections.schema import META, PROJECTIONS, Projection, Table, meta_ddl

LIVE, BUILDING, RETIRED = "live", "building", "retired"


@dataclass(frozen=True)
class Generation:
    name: str
    generation: int
    state: str
    position: int
    snapshot: int | None
    cursor: str | None


def lock(cur: Cursor, dialect: str) -> None:
    """Serialise writers of the read models (SQLite's write transaction already does)."""
    if dialect == "postgres":
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (7_310_221,))


def ensure(db: ReadDb) -> None:
    """Create the metadata and a first live generation of every projection, once."""
    with db.transaction() as cur:
        lock(cur, db.dialect)
        if db.dialect == "postgres":
            cur.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
        cur.execute(meta_ddl(db.dialect))
        have = {g.name for g in generations(cur) if g.state == LIVE}
        for projection in PROJECTIONS:
            if projection.name not in have:
                create(cur, db.dialect, projection, 1)
                cur.execute(
                    f"INSERT INTO {META} (name, generation, state, position) "
                    "VALUES (%s, %s, %s, %s)",
                    (projection.name, 1, LIVE, 0),
                )
                point_views(cur, db.dialect, projection, 1)


def generations(cur: Cursor) -> list[Generation]:
    cur.execute(
        f"SELECT name, generation, state, position, snapshot, cursor FROM {META} "
        "ORDER BY name, generation"
    )
    return [
        Generation(str(n), int(g), str(s), int(p), None if sn is None else int(sn), c)
        for n, g, s, p, sn, c in cur.fetchall()
    ]


def live(cur: Cursor) -> dict[str, Generation]:
    return {g.name: g for g in generations(cur) if g.state == LIVE}


def create(
    cur: Cursor, dialect: str, projection: Projection, generation: int, *, indexes: bool = True
) -> None:
    """The generation's tables, with their secondary indexes unless a bulk fill comes first
    (then `index` makes them once it is done: one sort per index, not one insert per row)."""
    for table in projection.tables:
        for statement in table.ddl(dialect, generation):
            if indexes or not _is_index(statement):
                cur.execute(statement)


def index(cur: Cursor, dialect: str, projection: Projection, generation: int) -> None:
    """The generation's secondary indexes, where they are not made yet."""
    for table in projection.tables:
        for statement in table.ddl(dialect, generation):
            if _is_index(statement):
                cur.execute(statement)


def _is_index(statement: str) -> bool:
    return statement.startswith("CREATE INDEX")


def drop(cur: Cursor, projection: Projection, generation: int) -> None:
    for table in projection.tables:
        cur.execute(f"DROP TABLE IF EXISTS {table.physical(generation)}")


def analyze(cur: Cursor, projection: Projection, generation: int) -> None:
    """Planner statistics for a freshly filled generation, so its first queries after the swap
    use the indexes rather than waiting for autovacuum (which may be off, or minutes away)."""
    for table in projection.tables:
        cur.execute(f"ANALYZE {table.physical(generation)}")


def point_views(cur: Cursor, dialect: str, projection: Projection, generation: int) -> None:
    for table in projection.tables:
        cur.execute(f"DROP VIEW IF EXISTS {table.name}")
        cur.execute(f"CREATE VIEW {table.name} AS SELECT * FROM {table.physical(generation)}")


def write_states(
    cur: Cursor,
    dialect: str,
    projection: Projection,
    generation: int,
    states: Iterable[PersonState],
    *,
    replace: bool = True,
) -> dict[str, int]:
    """Rows for each person's state; with `replace`, their old rows go first. Returns the
    rows written per physical table."""
    batch = list(states)
    written: dict[str, int] = {}
    if not batch:
        return written
    ids = [s.person_id for s in batch]
    for table in projection.tables:
        physical = table.physical(generation)
        if replace:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ", ".join(["%s"] * len(chunk))
                cur.execute(f"DELETE FROM {physical} WHERE person_id IN ({marks})", chunk)
        rows = [row for state in batch if not state.merged_into for row in table.make(state)]
        if rows:
            insert(cur, dialect, table, generation, rows)
        written[physical] = len(rows)
    return written


def insert(cur: Cursor, dialect: str, table: Table, generation: int, rows: list[Row]) -> None:
    """Many rows at once: COPY on PostgreSQL, a prepared multi-row insert on SQLite."""
    if dialect != "postgres":
        cur.executemany(table.insert_sql(generation), rows)
    elif len(rows) < BINARY_FROM:
        _copy(cur, table, generation, rows, binary=False)
    else:
        cur.execute("SAVEPOINT rm_copy")
        try:
            _copy(cur, table, generation, rows, binary=True)
        except (TypeError, ValueError, OverflowError, psycopg.DataError):
            # A value the binary format does not take as text takes it (a naive datetime for
            # a timestamptz, say): written as text, read (or refused) by PostgreSQL as before.
            cur.execute("ROLLBACK TO SAVEPOINT rm_copy")
            _copy(cur, table, generation, rows, binary=False)
        else:
            cur.execute("RELEASE SAVEPOINT rm_copy")


# Bulk writes (a rebuild's chunks) COPY in binary: a sixth of the client's time per row of
# text. Small ones keep text, sparing a live batch the savepoint's two round trips.
BINARY_FROM = 200
COPY_TYPES = {"text": "text", "int": "int8", "date": "date", "ts": "timestamptz"}


def _copy(cur: Cursor, table: Table, generation: int, rows: list[Row], *, binary: bool) -> None:
    columns = ", ".join(table.column_names)
    sql = f"COPY {table.physical(generation)} ({columns}) FROM STDIN"
    with cur.copy(f"{sql} (FORMAT BINARY)" if binary else sql) as copy:
        if binary:
            copy.set_types([COPY_TYPES[kind] for _, kind in table.columns])
        for row in rows:
            copy.write_row(row)


def set_position(
    cur: Cursor, name: str, generation: int, position: int, cursor: str | None = None
) -> None:
    cur.execute(
        f"UPDATE {META} SET position = %s, cursor = %s WHERE name = %s AND generation = %s",
        (position, cursor, name, generation),
    )
