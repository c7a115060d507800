"""Frozen dataclasses made from their field values in one step."""

from __future__ import annotations

from dataclasses import MISSING, fields
from typing import Any, TypeVar

T = TypeVar("T")
_DEFAULTS: dict[type[Any], tuple[dict[str, Any], tuple[tuple[str, Any], ...]]] = {}


def held(kind: type[T], values: dict[str, Any]) -> T:
    """An instance of the frozen dataclass `kind` holding `values` (every field, by name) as
    its constructor would hold them, without setting each through the frozen guard: for the
    paths that make one per entry, movement or line. `values` becomes the instance's own."""
    made = object.__new__(kind)
    object.__setattr__(made, "__dict__", values)
    return made


def made(kind: type[T], values: dict[str, Any]) -> T:
    """As `held`, with every field `values` leaves out given its declared default, as the
    constructor would. For classes without `__post_init__`, whose constructor only assigns."""
    defaults, factories = _DEFAULTS.get(kind) or _defaults(kind)
    state = {**defaults, **values}
    for name, factory in factories:
        if name not in values:
            state[name] = factory()
    return held(kind, state)


def _defaults(kind: type[Any]) -> tuple[dict[str, Any], tuple[tuple[str, Any], ...]]:
    if hasattr(kind, "__post_init__"):
        raise TypeError(f"{kind.__name__} checks its values in __post_init__; construct it")
    plain = {f.name: f.default for f in fields(kind) if f.default is not MISSING}
    factories = tuple(
        (f.name, f.default_factory) for f in fields(kind) if f.default_factory is not MISSING
    )
    _DEFAULTS[kind] = plain, factories
    return plain, factories
