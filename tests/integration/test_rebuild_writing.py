"""A rebuild decodes a person's rows together, and swaps every read model it built in one
transaction."""

from __future__ import annotations

from typing import Any

import pytest

from domain.service.application import JourneyApp
from projections import tables
from projections.db import ReadDb
from projections.rebuild import rebuild
from projections.source import EventSource, _uuid
from projections.verify import verify
from tests.integration.test_projections import projected


def test_a_persons_rows_decode_together_as_each_decodes_alone(
    store: tuple[JourneyApp, ReadDb],
) -> None:
    app, _ = projected(store, 5)
    source = EventSource(app)
    people = {s.person_id for s in source.stream_states(source.head())}
    rows = source._person_rows(people, None)
    runs: dict[Any, list[tuple[Any, ...]]] = {}
    for row in rows:
        runs.setdefault(row[0], []).append(row)
    assert len(runs) == 5

    # Check every event, its type and every field, comes out as the row-by-row path makes it.
    decode = source.decoder
    for oid, run in runs.items():
        person = _uuid(oid)
        together = decode.run(person, run)
        alone = [decode(person, version, topic, state) for _, version, topic, state in run]
        assert [type(e) for e in together] == [type(e) for e in alone]
        assert [vars(e) for e in together] == [vars(e) for e in alone]


def test_a_swap_that_fails_for_one_read_model_swaps_none(
    store: tuple[JourneyApp, ReadDb], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, db = projected(store, 6)
    point = tables.point_views

    def failing(cur: Any, dialect: str, projection: Any, generation: int) -> None:
        if projection.name == "key_dates":
            raise RuntimeError("the disk is full")
        point(cur, dialect, projection, generation)

    monkeypatch.setattr(tables, "point_views", failing)
    with pytest.raises(RuntimeError, match="disk is full"):
        rebuild(app, db, ["location", "key_dates"], workers=1)

    # Check neither read model went live: both keep their first generation and serve as before.
    with db.transaction(write=False) as cur:
        live = tables.live(cur)
    assert (live["location"].generation, live["key_dates"].generation) == (1, 1)
    monkeypatch.undo()
    assert rebuild(app, db, ["location", "key_dates"]) == {"location": 2, "key_dates": 2}
    assert verify(app, db).total == 0
