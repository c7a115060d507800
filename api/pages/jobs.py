"""Batch corrections running in the background, so the console can show their progress."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from domain.service.application import JourneyApp
from replay.voiding import CorrectionReport, Corrector


@dataclass
class Job:
    """One void or reinstatement: how far it has got, and how it ended."""

    batch_id: str
    kind: str
    phase: str = "starting"
    done: int = 0
    total: int = 0
    report: CorrectionReport | None = None
    error: str | None = None
    finished: threading.Event = field(default_factory=threading.Event)

    def progress(self, phase: str, done: int, total: int) -> None:
        self.phase, self.done, self.total = phase, done, total


class Jobs:
    """At most one running correction per batch, per process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.jobs: dict[str, Job] = {}

    def get(self, batch_id: str) -> Job | None:
        return self.jobs.get(batch_id)

    def start(self, app: JourneyApp, batch_id: str, kind: str, reason: str, by: str) -> Job:
        """Start the correction in a thread, unless one for the batch is still running."""
        with self.lock:
            running = self.jobs.get(batch_id)
            if running is not None and not running.finished.is_set():
                return running
            job = Job(batch_id, kind)
            self.jobs[batch_id] = job
        thread = threading.Thread(
            target=run, args=(app, job, reason, by), name=f"correct-{batch_id}", daemon=True
        )
        thread.start()
        return job


def run(app: JourneyApp, job: Job, reason: str, by: str) -> None:
    corrector = Corrector(app, progress=job.progress)
    try:
        if job.kind == "void":
            job.report = corrector.void(job.batch_id, reason=reason, by=by)
        else:
            job.report = corrector.reinstate(job.batch_id, reason=reason, by=by)
        job.phase = "done"
    except Exception as exc:  # shown on the status page; running it again resumes
        job.error = str(exc) or type(exc).__name__
        job.phase = "failed"
    finally:
        job.finished.set()
