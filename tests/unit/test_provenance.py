"""Every provenance is checked as it is made: who, which source system, which load, the
upstream key and the effective time. The who/source/load part is the same for every line of a
load and is checked once per distinct value; a refusal must still be raised every time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidValue
from domain.provenance import Provenance

WHEN = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def made(**changed: Any) -> Provenance:
    values: dict[str, Any] = {
        "recorded_by": "loader",
        "source": "NOMIS",
        "occurred_at": WHEN,
        "batch_id": "NOMIS-abc",
        "source_ref": "movement|1",
    }
    return Provenance(**(values | changed))


@pytest.mark.parametrize(
    ("changed", "field"),
    [
        ({"recorded_by": ""}, "recorded_by"),
        ({"recorded_by": "  "}, "recorded_by"),
        ({"recorded_by": None}, "recorded_by"),
        ({"recorded_by": 7}, "recorded_by"),
        ({"source": "nomis"}, "source"),
        ({"source": "NOMIS\x00"}, "source"),
        ({"source": ["NOMIS"]}, "source"),
        ({"batch_id": "x" * 201}, "batch_id"),
        ({"batch_id": "bad\x01"}, "batch_id"),
        ({"source_ref": "r" * 201}, "source_ref"),
        ({"correlation_id": "c\x02"}, "correlation_id"),
        ({"reason": "x" * 2001}, "reason"),
        ({"occurred_at": datetime(2025, 3, 1, 9, 0)}, "occurred_at"),
    ],
)
def test_a_bad_value_is_refused_every_time_naming_its_field(
    changed: dict[str, Any], field: str
) -> None:
    made()  # the good values, checked (and remembered) first
    for _ in range(3):
        with pytest.raises(InvalidValue) as refused:
            made(**changed)
        assert refused.value.field == field


@given(
    by=st.text(max_size=30),
    source=st.sampled_from(["NOMIS", "DELIUS", "nomis", "", "PARTNER:CRC01", "A B"]),
    batch=st.one_of(st.none(), st.text(max_size=5)),
)
def test_a_remembered_check_answers_as_a_fresh_one(by: str, source: str, batch: str | None) -> None:
    outcomes: list[str | None] = []
    for _ in range(2):
        try:
            made(recorded_by=by, source=source, batch_id=batch)
            outcomes.append(None)
        except InvalidValue as error:
            outcomes.append(error.field)
    assert outcomes[0] == outcomes[1]
    fresh_ok = (
        by.strip() != ""
        and not any(ord(c) < 32 and c not in "\t\n" for c in by)
        and source in {"NOMIS", "DELIUS", "PARTNER:CRC01"}
        and (batch is None or not any(ord(c) < 32 and c not in "\t\n" for c in batch))
    )
    assert (outcomes[0] is None) == fresh_ok
