"""Recording makes each entry's event without the frozen dataclass's per-field guard: the
event made must be the one the constructor makes, for every event type, and whatever the
constructor refuses is still refused."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest

from domain.person import events as ev


def every_event_type() -> list[type[ev.PersonEvent]]:
    found, todo = [], [ev.PersonEvent]
    while todo:
        kind = todo.pop()
        found.append(kind)
        todo.extend(kind.__subclasses__())
    return sorted(set(found), key=lambda k: k.__name__)


def values_of(kind: type[ev.PersonEvent]) -> dict[str, Any]:
    values: dict[str, Any] = {f.name: f"{f.name}-value" for f in fields(kind)}
    values["originator_id"] = uuid4()
    values["originator_version"] = 3
    values["timestamp"] = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
    return values


@pytest.mark.parametrize("kind", every_event_type(), ids=lambda k: k.__name__)
def test_the_event_made_is_the_constructors(kind: type[ev.PersonEvent]) -> None:
    values = values_of(kind)
    made, built = ev.made(kind, **values), kind(**values)
    assert type(made) is kind
    assert made == built
    assert vars(made) == vars(built)
    assert hash(made.originator_id) == hash(built.originator_id)
    with pytest.raises(AttributeError):
        made.source = "ELSEWHERE"


@pytest.mark.parametrize("kind", [ev.CellMoved, ev.MovementRecorded, ev.EntriesVoided])
def test_what_the_constructor_refuses_is_still_refused(kind: type[ev.PersonEvent]) -> None:
    values = values_of(kind)
    missing = {k: v for k, v in values.items() if k != "occurred_at"}
    extra = {**values, "unheard_of": 1}
    not_an_id = {**values, "originator_id": str(values["originator_id"])}
    for wrong in (missing, extra, not_an_id):
        with pytest.raises(TypeError):
            kind(**wrong)
        with pytest.raises(TypeError):
            ev.made(kind, **wrong)
