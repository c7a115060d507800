"""Planner statistics for read-model tables that grow while a server keeps no statistics of its
own (PostgreSQL with autovacuum off).

A table that was empty when a statement was first planned keeps that plan, a full scan, for as
long as the connection lives, unless the table is analysed: catching a large log up into fresh
read models then slows down as the tables grow, every batch scanning them whole. So the runner
analyses a table each time it has written as many rows again as the table held when last
analysed (and at least `MIN_ROWS`). A server whose autovacuum is on does this itself.
"""

from __future__ import annotations

from projections.db import ReadDb

MIN_ROWS = 1000


class Statistics:
    """Counts rows written per table and analyses those that have grown enough."""

    def __init__(self, db: ReadDb) -> None:
        self.db = db
        self.enabled = db.dialect == "postgres" and not autovacuum(db)
        self.analysed: dict[str, int] = {}  # table: rows it held when last analysed
        self.written: dict[str, int] = {}  # table: rows written since

    def wrote(self, counts: dict[str, int]) -> None:
        if not self.enabled:
            return
        for table, rows in counts.items():
            self.written[table] = self.written.get(table, 0) + rows

    def refresh(self) -> list[str]:
        """Analyse each table that has grown enough; return their names. Call outside any
        transaction, after the rows counted were committed."""
        done = []
        for table, rows in list(self.written.items()):
            if table not in self.analysed:
                self.analysed[table] = estimated_rows(self.db, table)
            if rows < max(MIN_ROWS, self.analysed[table]):
                continue
            self.db.execute(f"ANALYZE {table}")
            self.analysed[table] = estimated_rows(self.db, table)
            self.written[table] = 0
            done.append(table)
        return done


def autovacuum(db: ReadDb) -> bool:
    return str(db.query("SHOW autovacuum")[0][0]).lower() == "on"


def estimated_rows(db: ReadDb, table: str) -> int:
    """The planner's row count for a table (0 if never analysed)."""
    rows = db.query("SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", (table,))
    return max(int(rows[0][0]), 0) if rows and rows[0][0] is not None else 0
