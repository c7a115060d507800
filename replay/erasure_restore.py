"""Erasures made again in a store restored from a backup taken before them: the live store's
destruction log is carried over, and each entry the restored store lacks destroys its keys,
shreds its rows (found by their key id prefix, so identifier claims too) and deletes and
pseudonymises as the erasure did."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson

from domain.erasure import SHREDDED_TOPIC
from domain.service.datakeys import PREFIX
from projections.db import Cursor
from replay.erasure import Destruction, Erasure


def logged(erasure: Erasure) -> list[Destruction]:
    """The destruction log, oldest first."""
    rows = erasure.db.query(
        f"SELECT id, at, user_name, rule, reason, base_record, person_ids, key_ids, "
        f"destroyed FROM {erasure.log} ORDER BY id"
    )
    return [destruction(row) for row in rows]


def reapply(erasure: Erasure, carried: Sequence[Destruction]) -> list[Destruction]:
    """Erasures made in the live store since a backup was taken, made again in the store
    restored from it: their keys destroyed, rows shredded and deleted, log entries copied.
    Returns the entries re-applied (those this store's log did not hold)."""
    held = {e.id for e in logged(erasure)}
    todo = [e for e in carried if e.id not in held]
    if not todo:
        return []
    with erasure.db.transaction() as cur:
        erasure.lock(cur)
        for entry in todo:
            erasure.append(cur, entry, keep_id=True)
            shred_keys(erasure, cur, entry)
            erasure.destroy(cur, entry)
        if erasure.postgres:
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{erasure.log}', 'id'), "
                f"(SELECT max(id) FROM {erasure.log}))"
            )
    for entry in todo:
        erasure.after(entry)
    return todo


def shred_keys(erasure: Erasure, cur: Cursor, entry: Destruction) -> None:
    """Rows under the entry's keys (found by their prefix: claims too), and any row of its
    people written before per-person keys, shredded."""
    end = len(PREFIX) + 16
    for key in entry.key_ids:
        prefix = PREFIX + bytes.fromhex(key)
        cur.execute(
            f"UPDATE {erasure.events} SET topic = %s, state = %s "
            f"WHERE substr(state, 1, {end}) = %s",
            [SHREDDED_TOPIC, prefix, prefix],
        )
    first = PREFIX + (bytes.fromhex(entry.key_ids[0]) if entry.key_ids else b"\0" * 16)
    ids = [erasure.stored(UUID(p)) for p in entry.person_ids]
    where, params = erasure.in_clause("originator_id", ids)
    cur.execute(
        f"UPDATE {erasure.events} SET topic = %s, state = %s WHERE {where} AND topic <> %s",
        [SHREDDED_TOPIC, first, *params, SHREDDED_TOPIC],
    )


def destruction(row: Sequence[Any]) -> Destruction:
    id_, at, user, rule, reason, base, people, keys, destroyed = row
    moment = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
    return Destruction(
        int(id_),
        moment,
        str(user),
        str(rule),
        str(reason),
        bool(base),
        tuple(p for p in str(people).split(",") if p),
        tuple(k for k in str(keys).split(",") if k),
        orjson.loads(destroyed),
    )
