"""Import file formats, read one line at a time into records of what to record for whom.

- `jsonl`: the project's own JSON Lines, one command per line with the HTTP commands' fields,
  plus `command` (the route name, or `register`) and `person` (any identifier).
- `nomis`: NOMIS external movements as the prison API's `Movement` record names its fields, in a
  JSON array, JSON Lines or CSV.
- `allocations`: probation allocation changes as CSV (CRN, region, PDU, team, officer code,
  effective date).

Each line becomes a `Record` (steps for one person, each with its natural key) or a `Reject`
naming the field and the reason. Nothing here touches the store.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import IO, Any
from zoneinfo import ZoneInfo

import orjson
from pydantic import ValidationError

from domain.errors import DomainError
from domain.identifiers import claim_key, detect, normalise
from domain.person.vocabulary import MovementType
from domain.service.application import normalised_identifiers
from domain.service.catalogue import BY_ROUTE, Movement, NomisRecord, Register, movement_for
from domain.service.command import Command
from replay.batch import MAX_REJECT_TEXT, Reject
from replay.commands import REGISTER, body_of

LONDON = ZoneInfo("Europe/London")
FORMATS = ("jsonl", "nomis", "allocations")
MAX_LINE = 100_000
IMPORTABLE = sorted(route for route, command in BY_ROUTE.items() if command.importable)
# Spreadsheet exports often begin with a UTF-8 byte order mark; it is no part of the first line.
BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class CommunityAllocation:
    """A probation allocation line: which commands it stands for depends on the person's
    history (the importer's `Allocation` expands it)."""

    region: str
    pdu: str
    team: str | None
    officer: str


@dataclass(frozen=True)
class Step:
    """One command for a person, with its effective time and natural key."""

    command: Command | CommunityAllocation
    occurred_at: datetime
    source_ref: str
    reason: str | None = None
    correlation_id: str | None = None

    @property
    def method(self) -> str:
        """The aggregate's method the command calls (allocations: "allocate_community")."""
        if isinstance(self.command, CommunityAllocation):
            return "allocate_community"
        return self.command.operation()

    @property
    def fields(self) -> dict[str, Any]:
        """The command's fields as that method's keywords (a movement's reason is `reason`)."""
        values = dict(vars(self.command))
        if "movement_reason" in values:
            values["reason"] = values.pop("movement_reason")
        return values


@dataclass(frozen=True)
class Record:
    """What one line asks to record, for the person holding an identifier."""

    line: int
    person: str  # "KIND:VALUE", canonical
    steps: tuple[Step, ...]
    registration: dict[str, Any] | None = None  # register the person if no one holds it
    identifiers: dict[str, str] = field(default_factory=dict)  # a registration's own
    text: str = ""  # the line as read, kept with a reject

    def refused(self, field_name: str, reason: str, *, history: bool = False) -> Reject:
        return Reject(self.line, field_name, reason, self.text, history=history)


Parsed = Record | Reject


def read(stream: IO[bytes], file_format: str) -> Iterator[Parsed]:
    """Every line of a file as a record or a reject, in file order; a file that cannot be read
    on ends with a reject saying where."""
    readers = {"jsonl": _jsonl, "nomis": _nomis, "allocations": _allocations}
    last = 0
    try:
        for parsed in readers[file_format](_past_bom(stream)):
            last = parsed.line
            yield parsed
    except (UnicodeDecodeError, csv.Error) as error:
        yield Reject(last + 1, "file", f"cannot be read on from here: {error}")


def _past_bom(stream: IO[bytes]) -> IO[bytes]:
    head = stream.read(len(BOM))
    if head == BOM:
        return stream
    if stream.seekable():
        stream.seek(-len(head), io.SEEK_CUR)
        return stream
    return io.BufferedReader(_Rewound(head, stream))


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


def file_hash(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def person_key(ref: object, field_name: str) -> str:
    """ "KIND:VALUE" for any identifier, canonical."""
    if not isinstance(ref, str):
        raise _Bad(field_name, "must be a NOMS number, CRN, PNC or CRO number")
    try:
        kind, value = detect(ref)
    except DomainError as error:
        raise _Bad(field_name, error.reason) from None
    return claim_key(kind, value)


class _Bad(Exception):
    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field_name, reason


def _reject(line: int, field_name: str, reason: str, raw: str) -> Reject:
    return Reject(line, field_name, reason, raw[:MAX_REJECT_TEXT])


def _lines(stream: IO[bytes]) -> Iterator[tuple[int, str]]:
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


def _guarded(line: int, raw: str, build: Callable[..., Parsed], *args: Any) -> Parsed:
    """The record `build(*args)` makes, or the reject naming the field at fault."""
    try:
        result = build(*args)
    except _Bad as bad:
        return _reject(line, bad.field, bad.reason, raw)
    except DomainError as error:
        return _reject(line, error.field, error.reason, raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "line"
        return _reject(line, where, first["msg"], raw)
    if isinstance(result, Record):
        return replace(result, text=raw[:MAX_REJECT_TEXT])
    return result


def _unreadable(number: int, text: str) -> Reject | None:
    if text == "\x00too long":
        return _reject(number, "line", f"longer than {MAX_LINE} bytes", "")
    if text == "\x00not utf-8":
        return _reject(number, "line", "is not UTF-8 text", "")
    return None


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise _Bad("line", f"is not valid JSON ({error.msg})") from None
    if not isinstance(value, dict):
        raise _Bad("line", "must be a JSON object")
    return value


# ---- the project's own JSON Lines ----


def _jsonl(stream: IO[bytes]) -> Iterator[Parsed]:
    for number, text in _lines(stream):
        yield _unreadable(number, text) or _guarded(number, text, _command, number, text)


def _command(number: int, text: str) -> Record:
    data = _json_object(text)
    name = data.pop("command", None)
    if name == "register":
        return _registration(number, data)
    kind = BY_ROUTE.get(name) if isinstance(name, str) else None
    if kind is None or not kind.importable:
        known = ", ".join(["register", *IMPORTABLE])
        raise _Bad("command", f"unknown or not importable; expected one of {known}")
    person = person_key(data.pop("person", None), "person")
    body = body_of(kind).model_validate(data)
    step = Step(
        body.command(kind),
        body.occurred_at,
        body.source_ref or content_key(str(name), person, data),
        body.reason,
        body.correlation_id,
    )
    return Record(number, person, (step,))


def _registration(number: int, data: dict[str, Any]) -> Record:
    data.pop("person", None)
    body = REGISTER.model_validate(data)
    values = body.own(Register)
    identifiers = normalised_identifiers(values["identifiers"])
    first = next(iter(sorted(identifiers.items(), key=lambda kv: _rank(kv[0]))))
    registration = {
        "given_name": values["given_name"],
        "family_name": values["family_name"],
        "date_of_birth": values["date_of_birth"],
        "sex": values["sex"],
        "occurred_at": body.occurred_at,
        "source_ref": body.source_ref or content_key("register", "", data),
        "reason": body.reason,
        "correlation_id": body.correlation_id,
    }
    return Record(number, claim_key(*first), (), registration, identifiers)


def _rank(kind: str) -> int:
    order = ["NOMS", "CRN", "PNC", "CRO"]
    return order.index(kind) if kind in order else len(order)


def content_key(command: str, person: str, data: dict[str, Any]) -> str:
    """A natural key for a line without `source_ref`: the same command, person and fields."""
    canonical = orjson.dumps(
        {"command": command, "person": person, **data}, option=orjson.OPT_SORT_KEYS
    )
    return "sha256:" + hashlib.sha256(canonical).hexdigest()[:32]


# ---- NOMIS external movements ----

NOMIS_FIELDS = (
    "offenderNo",
    "createDateTime",
    "fromAgency",
    "toAgency",
    "movementType",
    "directionCode",
    "movementDate",
    "movementTime",
    "movementReasonCode",
    "commentText",
)
NOMIS_REQUIRED = ("offenderNo", "movementType", "directionCode", "movementDate", "movementTime")


def _nomis(stream: IO[bytes]) -> Iterator[Parsed]:
    head = stream.read(4096)
    rest = head.lstrip()
    if rest.startswith(b"["):
        yield from _nomis_array(head + stream.read())
    elif rest.startswith(b"{"):
        yield from _nomis_jsonl(io.BufferedReader(_Rewound(head, stream)))
    else:
        yield from _nomis_csv(io.BufferedReader(_Rewound(head, stream)))


def _nomis_array(data: bytes) -> Iterator[Parsed]:
    # A JSON array is one document: it is read whole. Large loads should come as JSON Lines
    # or CSV, which stream.
    try:
        items = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        yield _reject(1, "file", f"is not a valid JSON array ({error.msg})", "")
        return
    for number, item in enumerate(items, start=1):
        raw = orjson.dumps(item).decode()
        if not isinstance(item, dict):
            yield _reject(number, "record", "must be a JSON object", raw)
            continue
        yield _guarded(number, raw, _movement, number, item)


def _nomis_jsonl(stream: IO[bytes]) -> Iterator[Parsed]:
    for number, text in _lines(stream):
        yield _unreadable(number, text) or _guarded(number, text, _movement_line, number, text)


def _nomis_csv(stream: IO[bytes]) -> Iterator[Parsed]:
    yield from _nomis_rows(_decoded(stream))


def _nomis_rows(text: Iterator[str]) -> Iterator[Parsed]:
    reader = csv.reader(text)
    header = csv_header(reader) or []
    missing = [f for f in NOMIS_REQUIRED if f not in header]
    if missing:
        yield _reject(max(reader.line_num, 1), missing[0], "the CSV header lacks this column", "")
        return
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        number = reader.line_num
        raw = ",".join(row)
        if "\ufffd" in raw:
            yield _reject(number, "line", "is not UTF-8 text", raw)
            continue
        yield _guarded(number, raw, _movement, number, dict(zip(header, row, strict=False)))


def _decoded(stream: IO[bytes]) -> Iterator[str]:
    """The stream's lines as text, decoded one by one so a bad byte spoils only its own line
    (it shows as U+FFFD, and the line is refused)."""
    for raw in stream:
        yield raw.decode("utf-8", errors="replace")


class _Rewound(io.RawIOBase):
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


def _movement_line(number: int, text: str) -> Record:
    return _movement(number, _json_object(text))


def _text(item: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = item.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _Bad(name, "is required")
        return None
    if not isinstance(value, str | int):
        raise _Bad(name, "must be text")
    return str(value).strip()


def local_moment(day: str, clock: str | None, field_name: str) -> datetime:
    """A NOMIS date and time (UK local time) as an aware instant."""
    try:
        when = date.fromisoformat(day)
    except ValueError:
        raise _Bad(field_name, f"must be a date as YYYY-MM-DD, got {day!r}") from None
    at = time(0, 0)
    if clock:
        try:
            at = time.fromisoformat(clock)
        except ValueError:
            raise _Bad("movementTime", f"must be a time as HH:MM:SS, got {clock!r}") from None
    return datetime.combine(when, at, tzinfo=LONDON)


def _movement(number: int, item: dict[str, Any]) -> Record:
    noms = _text(item, "offenderNo", required=True)
    assert noms is not None
    noms = normalise("NOMS", noms, "offenderNo")
    kind = (_text(item, "movementType", required=True) or "").upper()
    direction = (_text(item, "directionCode", required=True) or "").upper()
    day = _text(item, "movementDate", required=True)
    assert day is not None
    clock = _text(item, "movementTime")
    if "T" in day:  # some exports give the date and time together
        day, clock = day.split("T", 1)[0], clock or day.split("T", 1)[1]
    occurred = local_moment(day, clock, "movementDate")
    source = _text(item, "fromAgency")
    to = _text(item, "toAgency")
    reason_code = _text(item, "movementReasonCode")
    command = movement_command(kind, direction, source, to, reason_code)
    key = "|".join(
        [noms, occurred.isoformat(), kind, direction, source or "", to or "", reason_code or ""]
    )
    step = Step(command, occurred, key, _text(item, "commentText"))
    return Record(number, f"NOMS:{noms}", (step,), {"occurred_at": occurred})


def movement_command(
    kind: str, direction: str, source: str | None, to: str | None, reason: str | None
) -> Movement:
    """The command a NOMIS movement record stands for."""
    command = movement_for(kind, direction, (reason or "").upper())
    if command is not None:
        return command.from_nomis(NomisRecord(source, to, reason))
    if kind in MovementType.__members__:
        raise _Bad("directionCode", f"{kind} movements cannot be {direction!r}")
    raise _Bad("movementType", "must be ADM, TRN, CRT, TAP or REL")


# ---- probation allocation changes ----

ALLOCATION_COLUMNS = {
    "crn": "CRN",
    "region": "region",
    "pdu": "PDU",
    "team": "team",
    "officercode": "officer code",
    "effectivedate": "effective date",
}


def _allocations(stream: IO[bytes]) -> Iterator[Parsed]:
    yield from _allocation_rows(_decoded(stream))


def _allocation_rows(text: Iterator[str]) -> Iterator[Parsed]:
    reader = csv.reader(text)
    header = csv_header(reader)
    if header is None:
        return
    names = [column_key(h) for h in header]
    missing = [label for key, label in ALLOCATION_COLUMNS.items() if key not in names]
    if missing:
        yield _reject(
            reader.line_num, missing[0], "the CSV header lacks this column", ",".join(header)
        )
        return
    for row in reader:
        number = reader.line_num
        raw = ",".join(row)
        if not any(cell.strip() for cell in row):
            continue
        if "\ufffd" in raw:
            yield _reject(number, "line", "is not UTF-8 text", raw)
            continue
        values = dict(zip(names, row, strict=False))
        yield _guarded(number, raw, _allocation, number, values)


def _allocation(number: int, values: dict[str, str]) -> Record:
    def cell(key: str, *, required: bool = True) -> str | None:
        value = (values.get(key) or "").strip()
        if not value and required:
            raise _Bad(ALLOCATION_COLUMNS[key], "is required")
        return value or None

    crn = normalise("CRN", cell("crn") or "", "CRN")
    effective = local_moment(cell("effectivedate") or "", None, "effective date")
    region, pdu = (cell("region") or "").upper(), (cell("pdu") or "").upper()
    team, officer = cell("team", required=False), cell("officercode") or ""
    key = "|".join([crn, effective.date().isoformat(), region, pdu, team or "", officer])
    allocation = CommunityAllocation(region, pdu, team.upper() if team else None, officer)
    step = Step(allocation, effective, key)
    return Record(number, f"CRN:{crn}", (step,), {"occurred_at": effective})
