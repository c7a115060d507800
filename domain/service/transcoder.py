"""An orjson transcoder for stored events.

Event attributes are JSON values (string-keyed objects, arrays, text, numbers, booleans, null),
dates and datetimes. Dates and datetimes are tagged so they decode to the same type. Anything
else is refused rather than stored in a form that would decode as something different (orjson
on its own would turn a UUID into text, an enum into its value, a dataclass into a dict).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import orjson
from eventsourcing.persistence import Transcoder

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME
_DATETIME = "_dt_"
_DATE = "_d_"
_TAGS = frozenset({_DATETIME, _DATE})
_PLAIN = (str, int, float, bool, type(None))


def _default(obj: Any) -> Any:
    if isinstance(obj, datetime):
        return {_DATETIME: obj.isoformat()}
    if isinstance(obj, date):
        return {_DATE: obj.isoformat()}
    msg = f"cannot store a value of type {type(obj).__name__} in an event"
    raise TypeError(msg)


def _check(value: Any) -> None:
    """Refuse what would not decode to the same value and type."""
    kind = type(value)
    if kind in _PLAIN or kind is datetime or kind is date:
        return
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or key in _TAGS:
                msg = f"cannot store the key {key!r} in an event"
                raise TypeError(msg)
            _check(item)
        return
    if kind is list:
        for item in value:
            _check(item)
        return
    msg = f"cannot store a value of type {kind.__name__} in an event"
    raise TypeError(msg)


def _revive(state: dict[str, Any]) -> dict[str, Any]:
    """Turn tagged dates back into dates, in place; only dicts and lists are visited."""
    for key, value in state.items():
        kind = type(value)
        if kind is dict:
            state[key] = _revived_dict(value)
        elif kind is list:
            _revive_list(value)
    return state


def _revived_dict(value: dict[str, Any]) -> Any:
    if len(value) == 1:
        if _DATETIME in value:
            return datetime.fromisoformat(value[_DATETIME])
        if _DATE in value:
            return date.fromisoformat(value[_DATE])
    return _revive(value)


def _revive_list(items: list[Any]) -> None:
    for i, value in enumerate(items):
        kind = type(value)
        if kind is dict:
            items[i] = _revived_dict(value)
        elif kind is list:
            _revive_list(value)


class OrjsonTranscoder(Transcoder):
    """Encodes event state with orjson; refuses types it could not decode faithfully."""

    def encode(self, obj: Any) -> bytes:
        _check(obj)
        return orjson.dumps(obj, default=_default, option=_OPTIONS)

    def decode(self, data: bytes) -> Any:
        decoded = orjson.loads(data)
        return _revive(decoded) if type(decoded) is dict else decoded
