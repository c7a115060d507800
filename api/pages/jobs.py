"""Batch corrections and their dry runs running in the background, so the console can show
their progress."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from domain.person.aggregate import Person
from domain.service.application import JourneyApp
from replay.batch import Batch
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


class PreviewCorrector(Corrector):
    """A dry run that says how far it has got: the people are read a chunk at a time, and
    each chunk read is counted before it is planned."""

    def _chunks(self, batch: Batch) -> Iterator[list[Person]]:
        done, total = 0, len(batch.people)
        self.progress("previewing", done, total)
        for people in super()._chunks(batch):
            yield people
            done = min(total, done + self.chunk)
            self.progress("previewing", done, total)


@dataclass
class Preview:
    """A dry run of voiding or reinstating a batch, for one user, with its reason."""

    batch_id: str
    kind: str
    reason: str
    user: str
    phase: str = "starting"
    done: int = 0
    total: int = 0
    report: CorrectionReport | None = None
    error: str | None = None
    finished: threading.Event = field(default_factory=threading.Event)

    def progress(self, phase: str, done: int, total: int) -> None:
        self.phase, self.done, self.total = phase, done, total


class Previews:
    """The latest dry run per batch, kind and user, run in the background."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.previews: dict[tuple[str, str, str], Preview] = {}

    def get(self, batch_id: str, kind: str, user: str) -> Preview | None:
        return self.previews.get((batch_id, kind, user))

    def start(self, app: JourneyApp, preview: Preview) -> Preview:
        """Start the dry run, unless the same one is still running."""
        key = (preview.batch_id, preview.kind, preview.user)
        with self.lock:
            running = self.previews.get(key)
            if running is not None and not running.finished.is_set():
                return running
            self.previews[key] = preview
        thread = threading.Thread(
            target=plan, args=(app, preview), name=f"preview-{preview.batch_id}", daemon=True
        )
        thread.start()
        return preview


def plan(app: JourneyApp, preview: Preview) -> None:
    try:
        corrector = PreviewCorrector(app, progress=preview.progress)
        preview.report = corrector.plan(preview.batch_id, preview.kind)
        preview.phase = "done"
    except Exception as exc:  # shown on the preview page; asking again starts afresh
        preview.error = str(exc) or type(exc).__name__
        preview.phase = "failed"
    finally:
        preview.finished.set()
