"""Plain values the service returns to its callers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from domain.person.aggregate import Person, Recorded


@dataclass(frozen=True)
class CommandResult:
    """What a command did: the person, the entry, and the log position to wait for."""

    person_id: str
    entry: int
    person_version: int
    position: int | None
    changed: bool


Action = Callable[[Person], Recorded | None]
