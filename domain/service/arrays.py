"""Arrays sent to PostgreSQL in its binary array format, their element type known in advance.

psycopg works out an array's element type from its items on every call and, for bytea in text
form, escapes each item twice: a third of a one-event save's CPU. A save's arrays always hold
one type each, so each is written straight (`array_send`'s layout: dimensions, flags, element
type, length and lower bound, then each item's length and bytes).
"""

from __future__ import annotations

import struct
import weakref
from collections.abc import Callable
from typing import Any
from uuid import UUID

from psycopg import Connection
from psycopg.adapt import Dumper
from psycopg.pq import Format

_HEAD = struct.Struct("!iiiii")  # one dimension: ndim, has-nulls, element oid, length, lbound
_EMPTY = struct.Struct("!iii")  # no dimension: ndim 0, has-nulls, element oid
_LENGTH = struct.Struct("!i")
_INT8 = struct.Struct("!iq")  # an item's length (8) and a bigint


class Uuids(tuple[UUID | str, ...]):
    """uuid[]"""


class Int8s(tuple[int, ...]):
    """bigint[]"""


class Texts(tuple[str, ...]):
    """text[]"""


class Byteas(tuple[bytes, ...]):
    """bytea[]"""


def _items(element: int, encode: Callable[[Any], bytes]) -> Callable[[tuple[Any, ...]], bytes]:
    def dump(items: tuple[Any, ...]) -> bytes:
        if not items:
            return _EMPTY.pack(0, 0, element)
        parts = [_HEAD.pack(1, 0, element, len(items), 1)]
        for item in items:
            data = encode(item)
            parts.append(_LENGTH.pack(len(data)) + data)
        return b"".join(parts)

    return dump


def _int8s(items: tuple[int, ...]) -> bytes:
    if not items:
        return _EMPTY.pack(0, 0, 20)
    return _HEAD.pack(1, 0, 20, len(items), 1) + b"".join(_INT8.pack(8, i) for i in items)


# Python type -> (array oid, dump); element oids: uuid 2950, text 25, bytea 17.
_DUMPS: dict[type, tuple[int, Callable[[Any], bytes]]] = {
    Uuids: (2951, _items(2950, lambda u: (u if isinstance(u, UUID) else UUID(u)).bytes)),
    Int8s: (1016, _int8s),
    Texts: (1009, _items(25, lambda s: s.encode())),
    Byteas: (1001, _items(17, bytes)),
}


def _dumper(oid_: int, dump_: Callable[[Any], bytes]) -> type[Dumper]:
    class ArrayDumper(Dumper):
        format = Format.BINARY
        oid = oid_

        def dump(self, obj: Any) -> bytes:
            return dump_(obj)

    return ArrayDumper


_DUMPERS = {cls: _dumper(oid, dump) for cls, (oid, dump) in _DUMPS.items()}
_ready: weakref.WeakSet[Connection[Any]] = weakref.WeakSet()


def ready(conn: Connection[Any]) -> Connection[Any]:
    """The connection, able to send these arrays (its dumpers registered on first use)."""
    if conn not in _ready:
        for cls, dumper in _DUMPERS.items():
            conn.adapters.register_dumper(cls, dumper)
        _ready.add(conn)
    return conn
