"""The read side's quick paths give exactly what the slow ones give: rows decoded with dates
revived by name, locations and stays made without their frozen `__init__`, search names."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from domain.person.state import Location, Status, Stay, located, stay
from domain.service.decoding import _orjson_decode
from domain.service.transcoder import OrjsonTranscoder
from projections.rows import search_name

TRANSCODER = OrjsonTranscoder()
MOMENTS = st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=1))]))
# Keys near the transcoder's tags, and strings that look like tagged values, as well as any.
KEYS = st.sampled_from(["timestamp", "occurred_at", "_d", "_dx", "_dt", '{"_d', "dates"])
TEXT = st.sampled_from(['{"_dt_":"2024-01-01T00:00:00+00:00"}', '{"_d', "x"]) | st.text()
NAMES = (KEYS | st.text()).filter(lambda key: key not in {"_dt_", "_d_"})  # refused tags
LEAVES = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | TEXT | st.dates() | MOMENTS
VALUES = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(NAMES, inner),
    max_leaves=8,
)
DATED = st.none() | st.dates() | MOMENTS | TEXT


def same(left: Any, right: Any) -> bool:
    """Equal, and of the same types all the way down (a datetime is not a date)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(same(left[k], right[k]) for k in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(map(same, left, right))
    return bool(left == right)


@given(
    st.fixed_dictionaries(
        {"timestamp": MOMENTS, "occurred_at": DATED},
        optional={"source_created_at": DATED, "date_of_birth": DATED, "other": VALUES},
    ),
    st.dictionaries(NAMES, VALUES, max_size=4),
)
def test_rows_decode_as_the_transcoder_decodes_them(fields: dict[str, Any], rest: Any) -> None:
    # Check dated fields revived by name, and every other tagged value, come out as before.
    state = {**rest, **fields}
    text = TRANSCODER.encode(state)
    assert same(_orjson_decode(text), TRANSCODER.decode(text))


def test_a_tagged_value_not_written_by_the_transcoder_is_decoded_in_full() -> None:
    # Check a tag in a field not revived by name (a key date) is revived all the same.
    text = (
        b'{"timestamp":{"_dt_":"2024-01-02T03:04:05+00:00"},"dates":{"SED":{"_d_":"2030-01-01"}}}'
    )
    decoded = _orjson_decode(text)
    assert decoded["dates"] == {"SED": date(2030, 1, 1)}
    assert decoded["timestamp"] == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_a_location_made_quickly_equals_one_made_by_its_class() -> None:
    fields: dict[str, Any] = {
        "status": Status.IN,
        "agency": "LEI",
        "agency_kind": None,
        "prison": "LEI",
        "destination": None,
        "cell": "A-1-001",
        "since": datetime(2024, 1, 1, tzinfo=UTC),
        "movement_type": "ADM",
        "direction": "IN",
        "reason_code": "N",
        "entry": 3,
    }
    made = located(**fields)
    assert made == Location(**fields)
    assert type(made) is Location
    assert hash(made) == hash(Location(**fields))
    at = datetime(2024, 1, 1, tzinfo=UTC)
    assert stay("LEI", at, None) == Stay("LEI", at)
    assert stay("LEI", at, at) == Stay("LEI", at, at)


@given(st.none() | st.text(), st.none() | st.text())
def test_search_names_are_as_before(family: str | None, given_name: str | None) -> None:
    # Check the ASCII shortcut gives what normalising every name gave.
    text = unicodedata.normalize("NFKD", f"{family or ''} {given_name or ''}")
    stripped = "".join(ch for ch in text if not unicodedata.combining(ch))
    assert search_name(family, given_name) == " ".join(stripped.lower().split())
