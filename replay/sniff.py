"""Which load format a file is in, told from its first lines alone: a file loaded under the
wrong format is refused at once, naming the format it looks like, not line by line.

The readers in `replay.formats` own the shapes; this module only recognises them, from the
field names they read (the prison API's `Movement` names and the other upstream movement
shapes, the allocation columns, `command`).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from domain.errors import InvalidValue
from replay.formats import (
    ALLOCATION_COLUMNS,
    BOM,
    FORMATS,
    MAX_LINE,
    NOMIS_FIELDS,
    NOMIS_REQUIRED,
    column_key,
)
from replay.formats.allocations import DELIUS_FIELDS
from replay.formats.community import COMMUNITY_FIELDS
from replay.formats.upstream import BOOKING_FIELDS, BOOKING_SHAPE, EVENT_FIELDS

AUTO = "auto"
CHOICES = (AUTO, *FORMATS)
HEAD = MAX_LINE + (1 << 15)  # enough for the longest line a reader takes, and then some
RECORDS = 5  # JSON records looked at for one whose fields name its format
SHOWN = 3  # field names quoted as evidence

LABELS = {"jsonl": "jsonl commands", "nomis": "nomis movements", "allocations": "allocations"}
BY_BOOKING = "JSON object by booking id"
BY_CRN = "JSON object by CRN"
SHAPES = {
    "jsonl": ("JSON Lines",),
    "nomis": ("JSON array", "JSON Lines", "CSV", BY_BOOKING),
    "allocations": ("CSV",),
}
MAGIC = (
    (b"PK\x03\x04", "a ZIP archive, as an Excel .xlsx workbook is"),
    (b"\xd0\xcf\x11\xe0", "an old Office document, as an Excel .xls workbook is"),
    (b"\x1f\x8b", "gzip-compressed"),
    (b"%PDF", "a PDF"),
    (b"SQLite format 3\x00", "a SQLite database"),
)


@dataclass(frozen=True)
class Vocabulary:
    """The field names that tell a format, the defining one first, then by weight."""

    file_format: str
    names: tuple[str, ...]
    needed: int  # names present (the defining one among them) to tell the format
    exact: bool  # the reader takes the names only as spelled here
    shapes: tuple[str, ...] = ()  # the shapes these names load in, if not the format's


VOCABULARIES = (
    Vocabulary("jsonl", ("command",), 1, exact=True),
    Vocabulary("nomis", tuple(dict.fromkeys((*NOMIS_REQUIRED, *NOMIS_FIELDS))), 2, exact=True),
    # The prisoner-events movement message, bare or in its SNS notification (`upstream.py`).
    Vocabulary("nomis", ("offenderIdDisplay", *EVENT_FIELDS, "movementDateTime"), 2, exact=True),
    Vocabulary("nomis", ("Message", "Type", "MessageId", "Timestamp"), 3, exact=True),
    # The prison API's `BookingMovement`, which names its booking only by where it is listed.
    Vocabulary(
        "nomis",
        (*BOOKING_SHAPE, "bookingId", *BOOKING_FIELDS, "movementType", "directionCode"),
        3,
        exact=True,
    ),
    Vocabulary("allocations", tuple(ALLOCATION_COLUMNS.values()), 2, exact=False),
    Vocabulary("allocations", DELIUS_FIELDS, 3, exact=True, shapes=("JSON array", "JSON Lines")),
    # community-api's offender managers, answers kept by CRN (`replay/formats/community.py`).
    Vocabulary("allocations", COMMUNITY_FIELDS, 4, exact=True, shapes=(BY_CRN,)),
)


@dataclass(frozen=True)
class Sniffed:
    """What a file's first lines say it is."""

    file_format: str | None  # one of FORMATS, or None: none of them
    shape: str  # JSON array, JSON Lines or CSV; "" when not even that
    evidence: str  # what tells the format, or why it is none: "its CSV header has CRN, PDU"
    loadable: bool = True  # False: no format could read it (empty, binary, a shape none takes)


class WrongFormat(InvalidValue):
    """A file is not in the format it was loaded as, or in no load format at all."""

    code = "wrong-format"

    def __init__(self, reason: str, looks_like: str | None = None) -> None:
        super().__init__("format", reason)
        self.looks_like = looks_like


def format_of(path: str | Path, wanted: str) -> str:
    """The format to read the file as: the one it looks like when `wanted` is auto, else
    `wanted`, unless the file is plainly another format or none (WrongFormat)."""
    with open(path, "rb") as stream:
        return settle(sniff(stream), wanted)


def settle(found: Sniffed, wanted: str) -> str:
    if not found.loadable:
        raise WrongFormat(f"the file {found.evidence}", found.file_format)
    if found.file_format is None:
        if wanted != AUTO:
            return wanted  # unrecognised text: the reader says what is wrong, line by line
        raise WrongFormat(f"the file is in none of {', '.join(FORMATS)}: {found.evidence}")
    if wanted in (AUTO, found.file_format):
        return found.file_format
    raise WrongFormat(
        f"the file looks like {LABELS[found.file_format]} ({found.evidence}), not {wanted}; "
        f"load it as {found.file_format} or {AUTO}",
        found.file_format,
    )


def sniff(stream: IO[bytes]) -> Sniffed:
    """What the start of a file says it is; reads at most HEAD bytes."""
    head = stream.read(HEAD)
    whole = not stream.read(1)
    if problem := _not_text(head):
        return Sniffed(None, "", problem, loadable=False)
    text = head.decode("utf-8", errors="replace").removeprefix(BOM.decode())
    body = text.lstrip()
    if not body:
        return Sniffed(None, "", "has only blank lines", loadable=False)
    if body.startswith("["):
        return _array(body)
    for pattern, shape, key in KEYED:
        if (keyed := pattern.match(body)) is not None:
            return _by_key(body, keyed, shape, key)
    lines = list(_lines(text, whole))
    if not lines:
        return Sniffed(None, "", f"has a first line longer than {MAX_LINE} bytes", loadable=False)
    if body.startswith("{"):
        return _json_lines(body, lines)
    return _csv(lines)


def _not_text(head: bytes) -> str | None:
    if not head:
        return "is empty"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "is UTF-16 text; save it as UTF-8"
    for magic, what in MAGIC:
        if head.startswith(magic):
            return f"is not text: it is {what}"
    if b"\x00" in head:
        return "is not text: it holds NUL bytes"
    bad = head.decode("utf-8", errors="replace").count("\ufffd")
    if bad * 20 > len(head):
        return "is not UTF-8 text"
    return None


def _lines(text: str, whole: bool) -> Iterator[tuple[int, str]]:
    """Each complete, non-blank line of the head with its number."""
    parts = text.split("\n")
    if not whole:
        parts = parts[:-1]  # the last may be cut short
    for number, line in enumerate(parts, start=1):
        if line.strip():
            yield number, line.strip()


# ---- what names a format ----


def _recognise(names: Iterable[str], shape: str, where: str) -> Sniffed | None:
    """The format a record's or header's names tell, if any."""
    spelled = {column_key(n): n.strip() for n in reversed(list(names)) if isinstance(n, str)}
    best: tuple[Vocabulary, list[str]] | None = None
    for vocab in VOCABULARIES:
        seen = [spelled[column_key(n)] for n in vocab.names if column_key(n) in spelled]
        defined = column_key(vocab.names[0]) in spelled
        if defined and len(seen) >= vocab.needed and (best is None or len(seen) > len(best[1])):
            best = vocab, seen
    if best is None:
        return None
    vocab, seen = best
    listed = ", ".join(seen[:SHOWN])
    label = LABELS[vocab.file_format]
    exact = [n for n in vocab.names if n in spelled.values()]
    if vocab.exact and (vocab.names[0] not in exact or len(exact) < vocab.needed):
        wanted = ", ".join(vocab.names[:SHOWN])
        reason = f"names the fields of {label} as {listed}; they must be spelled {wanted}"
        return Sniffed(vocab.file_format, shape, reason, loadable=False)
    shapes = vocab.shapes or SHAPES[vocab.file_format]
    if shape not in shapes:
        takes = " or ".join(shapes)
        written = f"a {shape}" if shape == "JSON array" else shape
        reason = (
            f"is {label} written as {written} ({where} {listed}), but they load only as {takes}"
        )
        return Sniffed(vocab.file_format, shape, reason, loadable=False)
    return Sniffed(vocab.file_format, shape, f"{where} {listed}")


def _described(vocab: Vocabulary) -> str:
    return f"{LABELS[vocab.file_format]} ({', '.join(vocab.names[:SHOWN])})"


def _none_of(kind: str, shape: str) -> str:
    formats = [v for v in VOCABULARIES if shape in SHAPES[v.file_format]]
    return f"{kind} none of the fields of " + " or ".join(_described(v) for v in formats)


def _jsonl_evidence(found: Sniffed, record: dict[str, Any]) -> Sniffed:
    command = record.get("command")
    if found.file_format == "jsonl" and found.loadable and isinstance(command, str):
        shown = json.dumps(command[:40])
        return Sniffed(
            "jsonl", found.shape, found.evidence.replace("command", f'"command": {shown}')
        )
    return found


# ---- the three shapes ----


def _array(body: str) -> Sniffed:
    decoder = json.JSONDecoder()
    at = _skip_space(body, 1)
    if body.startswith("]", at):
        return Sniffed(None, "JSON array", "is a JSON array with no records", loadable=False)
    for number in range(1, RECORDS + 1):
        try:
            item, at = decoder.raw_decode(body, at)
        except json.JSONDecodeError as error:
            if number == 1:
                reason = f"starts with '[' but is not a JSON array ({error.msg})"
                return Sniffed(None, "JSON array", reason, loadable=False)
            break
        if not isinstance(item, dict):
            reason = f"is a JSON array whose record {number} is not an object"
            return Sniffed(None, "JSON array", reason, loadable=False)
        where = "its first record has" if number == 1 else f"its record {number} has"
        found = _recognise(item, "JSON array", f"it is a JSON array; {where}")
        if found is not None:
            return found
        at = _skip_space(body, at)
        if not body.startswith(",", at):
            break
        at = _skip_space(body, at + 1)
    return Sniffed(None, "JSON array", _none_of("its first records have", "JSON array"))


# The start of answers kept as one object keyed by what was asked (`replay/formats/keyed.py`):
# the shape, and the field the key stands for.
KEYED = (
    (re.compile(r'\{\s*"(\d+)"\s*:\s*\['), BY_BOOKING, "bookingId"),
    (re.compile(r'\{\s*"([A-Za-z]\d{6})"\s*:\s*\['), BY_CRN, "crn"),
)


def _by_key(body: str, keyed: re.Match[str], shape: str, key: str) -> Sniffed:
    """Answers keyed by booking id or CRN: told by the first answer's first record."""
    where = f"it is a {shape}; {keyed[1][:20]}'s first record has"
    try:
        item, _ = json.JSONDecoder().raw_decode(body, _skip_space(body, keyed.end()))
    except json.JSONDecodeError:
        item = None
    if not isinstance(item, dict):
        reason = f"is a {shape} whose first, {keyed[1][:20]}, has no record first"
        return Sniffed(None, shape, reason, loadable=False)
    found = _recognise({key: keyed[1], **item}, shape, where)
    if found is None:
        takes = [v for v in VOCABULARIES if shape in (v.shapes or SHAPES[v.file_format])]
        known = " or ".join(_described(v) for v in takes)
        return Sniffed(None, shape, f"{where} none of the fields of {known}")
    return found


def _skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at] in " \t\r\n":
        at += 1
    return at


def _json_lines(body: str, lines: list[tuple[int, str]]) -> Sniffed:
    objects = 0
    for number, line in lines[:RECORDS]:
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            if objects == 0 and number == lines[0][0]:
                spread = _spread(body)
                if spread is not None:
                    return spread
            continue
        if not isinstance(record, dict):
            continue
        objects += 1
        where = "its first line has" if number == lines[0][0] else f"its line {number} has"
        found = _recognise(record, "JSON Lines", where)
        if found is not None:
            return _jsonl_evidence(found, record)
    if objects == 0:
        return Sniffed(None, "JSON Lines", "it starts with '{' but its first lines are not JSON")
    return Sniffed(None, "JSON Lines", _none_of("its first records have", "JSON Lines"))


def _spread(body: str) -> Sniffed | None:
    """A first line that is not JSON by itself but starts one object written over several."""
    try:
        record, _ = json.JSONDecoder().raw_decode(body)
    except json.JSONDecodeError:
        return None
    if not isinstance(record, dict):
        return None
    reason = (
        "writes its first record over several lines; JSON Lines takes one record a line "
        "(NOMIS movements may also come as a JSON array)"
    )
    found = _recognise(record, "JSON Lines", "its first record has")
    if found is None or found.file_format is None:
        return Sniffed(None, "JSON Lines", reason, loadable=False)
    reason = f"looks like {LABELS[found.file_format]} ({found.evidence}) but {reason}"
    return Sniffed(found.file_format, "JSON Lines", reason, loadable=False)


def _csv(lines: list[tuple[int, str]]) -> Sniffed:
    number, first = lines[0]
    where = "its CSV header has" if number == 1 else f"its CSV header (line {number}) has"
    header = next(csv.reader([first]), [])
    found = _recognise(header, "CSV", where)
    if found is not None:
        return found
    for delimiter, name in ((";", "semicolons"), ("\t", "tabs")):
        split = next(csv.reader([first], delimiter=delimiter), [])
        other = _recognise(split, "CSV", where) if len(split) > 1 else None
        if other is not None and other.loadable:
            reason = f"separates its CSV header by {name}, not commas ({other.evidence})"
            return Sniffed(other.file_format, "CSV", reason, loadable=False)
    return Sniffed(
        None, "CSV", _none_of("its first line is not JSON and, read as a CSV header, has", "CSV")
    )
