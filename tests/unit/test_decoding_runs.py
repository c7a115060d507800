"""A person's rows decoded in one parse give what decoding each row alone gives, and a run
that one parse cannot take is left to be decoded row by row."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from domain.service.transcoder import OrjsonTranscoder
from projections.decoding import _orjson_decode, _orjson_run
from tests.unit.test_rebuild_decoding import DATED, MOMENTS, NAMES, VALUES, same

TRANSCODER = OrjsonTranscoder()
STATES = st.fixed_dictionaries(
    {"timestamp": MOMENTS, "occurred_at": DATED},
    optional={"source_created_at": DATED, "date_of_birth": DATED, "dates": VALUES},
).flatmap(lambda fields: st.dictionaries(NAMES, VALUES, max_size=3).map(lambda r: {**r, **fields}))


@given(st.lists(STATES, min_size=1, max_size=6))
def test_a_run_decodes_as_each_of_its_rows_decodes(states: list[dict[str, Any]]) -> None:
    # Check one parse of the run, dates revived text by text, equals decoding each text.
    texts = [TRANSCODER.encode(state) for state in states]
    run = _orjson_run(texts)
    assert run is not None
    assert same(run, [_orjson_decode(text) for text in texts])


def test_a_run_holding_a_text_that_is_not_an_object_is_left_to_the_rows() -> None:
    good = TRANSCODER.encode({"a": 1})
    assert _orjson_run([good, b"[1]"]) is None
    assert _orjson_run([good, b'{"a":']) is None
    assert _orjson_run([good, b'{"a":1},{"b":2}']) is None  # two objects in one text
