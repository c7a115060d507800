"""The recovery console's background corrections: progress as the void runs, and a refusal
reported on the job rather than lost in its thread."""

from __future__ import annotations

from pathlib import Path

import orjson

from api.pages.jobs import Jobs
from domain.service.application import JourneyApp
from domain.service.settings import Settings
from replay.importer import Importer, ImportOptions


def load(app: JourneyApp, folder: Path, people: int) -> str:
    lines = [
        {
            "offenderNo": f"A{n:04d}AA",
            "movementType": "ADM",
            "directionCode": "IN",
            "fromAgency": "OUT",
            "toAgency": "LEI",
            "movementDate": "2025-01-06",
            "movementTime": "10:00:00",
            "movementReasonCode": "N",
        }
        for n in range(people)
    ]
    path = folder / "moves.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(line) for line in lines) + b"\n")
    report = Importer(app).run(path, ImportOptions("NOMIS", "nomis", "loader"))
    assert report.outcome == "recorded", report.rejects
    return report.batch_id


def test_a_void_reports_progress_then_its_result(tmp_path: Path) -> None:
    app = JourneyApp(Settings(database_url="memory://"))
    try:
        batch_id = load(app, tmp_path, 450)
        jobs = Jobs()
        job = jobs.start(app, batch_id, "void", "older extract loaded in error", "recovery.lead")
        assert job.finished.wait(120), "the void did not finish"
        assert (job.phase, job.error) == ("done", None)
        # Check the progress counted every person, chunk by chunk, to the end.
        assert (job.done, job.total) == (450, 450)
        assert job.report is not None and (job.report.people, job.report.entries) == (450, 450)
        assert jobs.get(batch_id) is job
    finally:
        app.close()


def test_a_refused_correction_is_reported_on_the_job(tmp_path: Path) -> None:
    app = JourneyApp(Settings(database_url="memory://"))
    try:
        batch_id = load(app, tmp_path, 3)
        job = Jobs().start(app, batch_id, "reinstate", "not voided", "recovery.lead")
        assert job.finished.wait(60), "the job did not end"
        assert job.phase == "failed"
        assert job.error is not None and "only a voided batch is reinstated" in job.error
        assert job.report is None
    finally:
        app.close()
