"""Read models caught up from a large log keep the planner's statistics current."""

from __future__ import annotations

import pytest

from domain.service.application import JourneyApp
from domain.service.settings import Settings
from projections.db import open_read_db
from projections.runner import Runner
from projections.statistics import MIN_ROWS, autovacuum, estimated_rows
from tests.support import seed


@pytest.mark.postgres
def test_tables_are_analysed_as_the_runner_fills_them(pg_url: str) -> None:
    settings = Settings(database_url=pg_url)
    app, db = JourneyApp(settings), open_read_db(settings.database)
    try:
        seed(app, 0, 3000)
        runner = Runner(app, db, batch_size=1000)
        # Check the runner leaves statistics to a server that keeps its own.
        assert runner.statistics.enabled is not autovacuum(db)
        runner.statistics.enabled = True  # as on a server whose autovacuum is off
        assert estimated_rows(db, "rm_people_g1") == 0
        runner.catch_up()
        # Check the people table was analysed as it grew, and its estimate is now close.
        estimate = estimated_rows(db, "rm_people_g1")
        assert estimate >= 1500, estimate
        analysed = db.query(
            "SELECT analyze_count FROM pg_stat_user_tables WHERE relid = to_regclass(%s)",
            ("rm_people_g1",),
        )
        assert 1 <= analysed[0][0] <= 3000 // MIN_ROWS + 1
    finally:
        db.close()
        app.close()
