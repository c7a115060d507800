"""What a command on a person returns: the entry it recorded, or the earlier one it repeats."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Recorded:
    """The outcome of a command on a person: the entry it made, or the earlier one it repeats."""

    version: int
    duplicate: bool = False
