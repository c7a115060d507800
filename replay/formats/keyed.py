"""Answers of an upstream API kept as one JSON object keyed by what the API was asked for,
when neither the answer nor its records carry it: the prison API's `BookingMovement`s by booking
id (`GET /api/movements/booking/{bookingId}`), community-api's offender managers by CRN
(`GET /secure/offenders/crn/{crn}/allOffenderManagers`). The key gives each record its owner.
Like a JSON array, the object is one document and is read whole."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from replay.batch import Reject
from replay.formats.records import Parsed, Record, guarded, reject
from replay.formats.streams import json_document

# The start of an object whose first key is a booking id, or a CRN, and whose value is an array.
BY_BOOKING = re.compile(rb'\A\s*\{\s*"\d+"\s*:\s*\[')
BY_CRN = re.compile(rb'\A\s*\{\s*"[A-Za-z]\d{6}"\s*:\s*\[')


def read(
    data: bytes, key_field: str, build: Callable[[int, dict[str, Any]], Record]
) -> Iterator[Parsed]:
    """Each answer's records, numbered through the file, built with their key as `key_field`."""
    answers = json_document(data, dict, "JSON object", f"a JSON object of records by {key_field}")
    if isinstance(answers, Reject):
        yield answers
        return
    number = 0
    for key, items in answers.items():
        if not isinstance(items, list):
            number += 1
            yield reject(number, key_field, "its records must be a JSON array", key[:40])
            continue
        for item in items:
            number += 1
            if not isinstance(item, dict):
                yield reject(number, "record", "must be a JSON object", orjson.dumps(item).decode())
                continue
            named = {key_field: key, **item}
            yield guarded(number, orjson.dumps(named).decode(), build, number, named)
