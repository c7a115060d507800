"""The import spool's own writes are all or nothing: a write that fails leaves none of its rows
and no transaction open, and the spool takes the next write as before."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from replay.rejects import Reject
from replay.spool import FLUSH, Spool


def reject(line: int, field: Any = "occurred_at") -> Reject:
    return Reject(line=line, field=field, reason="not a date", text="{}")


def test_a_failed_write_of_rejects_leaves_nothing_and_no_transaction() -> None:
    with Spool() as spool:
        spool.finish()  # the file read: from here each write is its own transaction
        spool.reject_all([reject(1), reject(2)])
        assert spool.rejected == 2
        # Check a batch of rejects with one the table refuses (no field) is written not at all.
        refused = [reject(n) for n in range(3, FLUSH + 2)] + [reject(FLUSH + 2, None)]
        with pytest.raises(sqlite3.IntegrityError):
            spool.reject_all(refused)
        assert not spool.db.in_transaction
        assert spool.db.execute("SELECT count(*) FROM rejects").fetchone()[0] == 2
        # Check the spool goes on taking rejects after the failure.
        spool._rejects = []  # what the failed write held, given up as the load would
        spool.reject_all([reject(FLUSH + 3)])
        assert [r.line for r in spool.rejects()] == [1, 2, FLUSH + 3]
