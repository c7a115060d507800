"""Import file formats, read one line at a time into records of what to record for whom.

- `jsonl`: the project's own JSON Lines, one command per line (`jsonl.py`).
- `nomis`: NOMIS external movements, as a JSON array, JSON Lines or CSV (`nomis.py`), in the
  other shapes upstream services write them (`upstream.py`), and as `BookingMovement` answers
  keyed by booking id (`keyed.py`).
- `allocations`: probation allocation changes as CSV or as Delius's workforce allocations
  (`allocations.py`), and community-api's offender managers keyed by CRN (`community.py`).

Each line becomes a `Record` (steps for one person, each with its natural key) or a `Reject`
naming the field and the reason (`records.py`); `streams.py` reads the bytes. Nothing here
touches the store.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import IO

from replay.batch import Reject
from replay.formats import allocations, jsonl, nomis
from replay.formats.allocations import ALLOCATION_COLUMNS
from replay.formats.jsonl import IMPORTABLE, content_key, person_key
from replay.formats.nomis import NOMIS_FIELDS, NOMIS_REQUIRED, movement_command
from replay.formats.records import CommunityAllocation, Parsed, Record, Step
from replay.formats.streams import (
    BOM,
    LONDON,
    MAX_LINE,
    column_key,
    csv_header,
    file_hash,
    local_moment,
    past_bom,
)

FORMATS = ("jsonl", "nomis", "allocations")


def read(stream: IO[bytes], file_format: str) -> Iterator[Parsed]:
    """Every line of a file as a record or a reject, in file order; a file that cannot be read
    on ends with a reject saying where."""
    readers = {"jsonl": jsonl.read, "nomis": nomis.read, "allocations": allocations.read}
    last = 0
    try:
        for parsed in readers[file_format](past_bom(stream)):
            last = parsed.line
            yield parsed
    except (UnicodeDecodeError, csv.Error) as error:
        yield Reject(last + 1, "file", f"cannot be read on from here: {error}")


__all__ = [
    "ALLOCATION_COLUMNS",
    "BOM",
    "FORMATS",
    "IMPORTABLE",
    "LONDON",
    "MAX_LINE",
    "NOMIS_FIELDS",
    "NOMIS_REQUIRED",
    "CommunityAllocation",
    "Parsed",
    "Record",
    "Step",
    "column_key",
    "content_key",
    "csv_header",
    "file_hash",
    "local_moment",
    "movement_command",
    "person_key",
    "read",
]
