"""A rebuild swaps every read model it built in one transaction: all of them go live, or
none."""

from __future__ import annotations

from typing import Any

import pytest

from domain.service.application import JourneyApp
from projections import tables
from projections.db import ReadDb
from projections.rebuild import rebuild
from projections.verify import verify
from tests.integration.test_projections import projected


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
