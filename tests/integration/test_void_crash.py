"""A void killed with SIGKILL half way through, then run again: finished, nothing voided twice."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from domain.service.application import JourneyApp
from domain.service.settings import Settings
from replay import registry
from replay.batch import Progress
from tests.helpers import loader_batch
from tests.integration.test_projection_worker import journey_process, kill, wait_until
from tests.support import noms, seed

pytestmark = pytest.mark.postgres
PEOPLE = 6000


def voids_written(app: JourneyApp) -> list[tuple[str, int]]:
    """(person, number of EntriesVoided events) for everyone voided so far."""
    url = app.settings.database
    table = f"{url.schema}.{app.recorder.events_table_name}"  # type: ignore[attr-defined]
    with psycopg.connect(url.conninfo()) as conn:
        rows = conn.execute(
            f"SELECT originator_id::text, count(*) FROM {table} "
            "WHERE topic LIKE %s GROUP BY originator_id",
            ("%EntriesVoided",),
        ).fetchall()
    return [(str(person), int(count)) for person, count in rows]


def test_a_killed_void_run_again_completes_with_no_double_voiding(
    pg_url: str, tmp_path: Path
) -> None:
    app = JourneyApp(Settings(database_url=pg_url))
    try:
        seed(app, 0, PEOPLE, per_save=200)
        people = {str(app.resolve(noms(n))) for n in range(PEOPLE)}
        # The seeded entries carry batch "seed": put that batch on the registry.
        batch = loader_batch("seed", "NOMIS", "0" * 64)
        batch.recorded(Progress(people=people, entries=PEOPLE * 5))
        batch.close("recorded", PEOPLE * 6)
        app.save(batch)

        log = tmp_path / "void.log"
        args = ("batches", "void", "seed", "--reason", "drill", "--chunk", "50")
        first = journey_process(pg_url, log, *args)
        wait_until(lambda: len(voids_written(app)) >= 600, 120, "the void to get going")
        kill(first)
        # Check it really stopped half way.
        part = len(voids_written(app))
        assert 600 <= part < PEOPLE, part
        assert registry.batch(app, "seed").status == "voiding"

        second = journey_process(pg_url, log, *args)
        assert second.wait(300) == 0, log.read_text()
        written = voids_written(app)
        assert len(written) == PEOPLE
        assert {count for _, count in written} == {1}, "someone was voided twice"
        done = registry.batch(app, "seed")
        assert done.status == "voided"
        assert done.corrections[-1].people == PEOPLE
        assert "resumed the void" in log.read_text()
        state = app.state(noms(7))
        assert state is not None
        assert state.location.status.value == "none"
    finally:
        app.close()
