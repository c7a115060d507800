"""Reading an import file's bytes: lines bounded in length, text decoded line by line, a
byte order mark passed over, CSV headers, and UK local times."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from typing import IO, Any
from zoneinfo import ZoneInfo

import orjson

from replay.batch import Reject
from replay.formats.records import Bad, Parsed, Record, guarded, reject

LONDON = ZoneInfo("Europe/London")
MAX_LINE = 100_000
# Spreadsheet exports often begin with a UTF-8 byte order mark; it is no part of the first line.
BOM = b"\xef\xbb\xbf"


def past_bom(stream: IO[bytes]) -> IO[bytes]:
    head = stream.read(len(BOM))
    if head == BOM:
        return stream
    if stream.seekable():
        stream.seek(-len(head), io.SEEK_CUR)
        return stream
    return io.BufferedReader(Rewound(head, stream))


class Rewound(io.RawIOBase):
    """A stream with its first bytes put back."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self.head, self.rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.head:
            n = min(len(buffer), len(self.head))
            buffer[:n], self.head = self.head[:n], self.head[n:]
            return n
        data = self.rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def lines(stream: IO[bytes]) -> Iterator[tuple[int, str]]:
    for number, raw in enumerate(stream, start=1):
        if len(raw) > MAX_LINE:
            yield number, "\x00too long"
            continue
        try:
            text = raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            yield number, "\x00not utf-8"
            continue
        if text:
            yield number, text


def unreadable(number: int, text: str) -> Reject | None:
    if text == "\x00too long":
        return reject(number, "line", f"longer than {MAX_LINE} bytes", "")
    if text == "\x00not utf-8":
        return reject(number, "line", "is not UTF-8 text", "")
    return None


def decoded(stream: IO[bytes]) -> Iterator[str]:
    """The stream's lines as text, decoded one by one so a bad byte spoils only its own line
    (it shows as U+FFFD, and the line is refused)."""
    for raw in stream:
        yield raw.decode("utf-8", errors="replace")


def json_items(data: bytes, build: Callable[[int, dict[str, Any]], Record]) -> Iterator[Parsed]:
    """Each object of a JSON array, built into a record or a reject naming its field. A JSON
    array is one document: it is read whole; large loads should come as JSON Lines or CSV."""
    items = json_document(data, list, "JSON array", "a JSON array of records")
    if isinstance(items, Reject):
        yield items
        return
    for number, item in enumerate(items, start=1):
        raw = orjson.dumps(item).decode()
        if not isinstance(item, dict):
            yield reject(number, "record", "must be a JSON object", raw)
            continue
        yield guarded(number, raw, build, number, item)


def json_document(data: bytes, kind: type, what: str, wanted: str) -> Any:
    """A whole file's JSON value, or a reject saying it is not valid `what` or not `wanted`."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        return reject(1, "file", f"is not a valid {what} ({error.msg})", "")
    if not isinstance(value, kind):
        return reject(1, "file", f"must be {wanted}", "")
    return value


def json_object(text: str, field: str = "line") -> dict[str, Any]:
    """The JSON object a line (or a field holding JSON text) is; Bad naming the field if not."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise Bad(field, f"is not valid JSON ({error.msg})") from None
    if not isinstance(value, dict):
        raise Bad(field, "must be a JSON object")
    return value


def column_key(name: str) -> str:
    """A column name as compared: "Officer code", "officer_code" and "OfficerCode" are one."""
    return "".join(ch for ch in name.lower() if ch.isalnum())


def csv_header(reader: Iterator[list[str]]) -> list[str] | None:
    """The first row with any text, its names trimmed: blank lines before a header are passed
    over."""
    for row in reader:
        if any(cell.strip() for cell in row):
            return [cell.strip() for cell in row]
    return None


def local_moment(day: str, clock: str | None, field_name: str) -> datetime:
    """A NOMIS date and time (UK local time) as an aware instant."""
    try:
        when = date.fromisoformat(day)
    except ValueError:
        raise Bad(field_name, f"must be a date as YYYY-MM-DD, got {day!r}") from None
    at = time(0, 0)
    if clock:
        try:
            at = time.fromisoformat(clock)
        except ValueError:
            raise Bad("movementTime", f"must be a time as HH:MM:SS, got {clock!r}") from None
    return datetime.combine(when, at, tzinfo=LONDON)


def created_moment(text: str | None, field_name: str) -> datetime | None:
    """A NOMIS creation time (UK local, no zone; up to nine fraction digits) as an instant."""
    if not text:
        return None
    whole, _, fraction = text.partition(".")
    try:
        moment = datetime.fromisoformat(whole)
    except ValueError:
        raise Bad(field_name, f"must be a date and time, got {text[:40]!r}") from None
    if not fraction.isdigit() and fraction:
        raise Bad(field_name, f"must be a date and time, got {text[:40]!r}")
    micros = int((fraction + "000000")[:6]) if fraction else 0
    moment = moment.replace(microsecond=micros)
    return moment if moment.tzinfo else moment.replace(tzinfo=LONDON)


def file_hash(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
