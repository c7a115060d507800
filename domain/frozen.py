"""Frozen dataclasses made from their field values in one step."""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")


def held(kind: type[T], values: dict[str, Any]) -> T:
    """An instance of the frozen dataclass `kind` holding `values` (every field, by name) as
    its constructor would hold them, without setting each through the frozen guard: for the
    paths that make one per entry, movement or line. `values` becomes the instance's own."""
    made = object.__new__(kind)
    object.__setattr__(made, "__dict__", values)
    return made
