"""Frozen values made in one step hold what their constructors would: defaults given, a
default factory called afresh for each, a class that checks its values refused."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.frozen import made
from replay import formats
from replay.formats import Record, Step


@dataclass(frozen=True)
class Sample:
    name: str
    count: int = 3
    tags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Checked:
    name: str

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("name")


@given(st.text(), st.one_of(st.none(), st.integers()))
def test_made_equals_the_constructors_value(name: str, count: int | None) -> None:
    values = {"name": name} if count is None else {"name": name, "count": count}
    assert made(Sample, dict(values)) == Sample(**values)


def test_each_default_factory_gives_a_new_value() -> None:
    first, second = made(Sample, {"name": "a"}), made(Sample, {"name": "b"})
    # Check a list default is not shared between instances.
    assert first.tags == [] and first.tags is not second.tags
    # Check a value given is kept over the factory.
    given_tags = ["x"]
    assert made(Sample, {"name": "c", "tags": given_tags}).tags is given_tags


def test_the_instance_stays_frozen() -> None:
    sample = made(Sample, {"name": "a"})
    with pytest.raises(AttributeError):
        sample.name = "b"  # type: ignore[misc]


def test_a_class_that_checks_its_values_is_refused() -> None:
    with pytest.raises(TypeError, match="__post_init__"):
        made(Checked, {"name": ""})


def test_a_read_line_equals_one_made_by_the_constructors() -> None:
    line = (
        b'{"command": "cell-moves", "person": "A1234BC", "prison": "LEI", "cell": "A-1-001",'
        b' "occurred_at": "2025-03-01T09:30:00+00:00", "source_ref": "m1"}\n'
    )
    [record] = list(formats.read(io.BytesIO(line), "jsonl"))
    assert isinstance(record, Record)
    [step] = record.steps
    expected_step = Step(
        type(step.command)(prison="LEI", cell="A-1-001"),  # type: ignore[call-arg]
        step.occurred_at,
        "m1",
    )
    assert record == Record(1, "NOMS:A1234BC", (expected_step,), text=line.decode().strip())
    assert step.occurred_at.isoformat() == "2025-03-01T09:30:00+00:00"
