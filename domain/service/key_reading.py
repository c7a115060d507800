"""How the data keys beside the log are read along with the rows that need them: a PostgreSQL
recorder's read brings them in the same statement (see `FailFastRecorder.with_keys`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class KeyReading:
    """How the data keys beside the log are read along with rows (see `with_keys`)."""

    table: str  # the key table, in the store's schema
    prefix: bytes  # a row under a data key begins with this, then the key's id
    id_length: int
    known: Callable[[UUID], bool]  # whether an aggregate's key is cached
    # Key rows found (key_id, person_id, material, erased_at, rule) into the cache.
    found: Callable[[Sequence[tuple[Any, ...]]], None]
