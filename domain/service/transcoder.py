"""An orjson transcoder for stored events.

Event attributes are JSON values, dates and datetimes. Dates and datetimes are tagged so they
decode to the same type; orjson's own date encoding is bypassed for that.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import orjson
from eventsourcing.persistence import Transcoder

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
_DATETIME = "_dt_"
_DATE = "_d_"


def _default(obj: Any) -> Any:
    if isinstance(obj, datetime):
        return {_DATETIME: obj.isoformat()}
    if isinstance(obj, date):
        return {_DATE: obj.isoformat()}
    if isinstance(obj, tuple | set | frozenset):
        return list(obj)
    msg = f"cannot store a value of type {type(obj).__name__} in an event"
    raise TypeError(msg)


def _revive(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1:
            if _DATETIME in value:
                return datetime.fromisoformat(value[_DATETIME])
            if _DATE in value:
                return date.fromisoformat(value[_DATE])
        return {k: _revive(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_revive(v) for v in value]
    return value


class OrjsonTranscoder(Transcoder):
    """Encodes event state with orjson; refuses types it could not decode faithfully."""

    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(obj, default=_default, option=_OPTIONS)

    def decode(self, data: bytes) -> Any:
        return _revive(orjson.loads(data))
