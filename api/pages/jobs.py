"""Batch corrections and their dry runs running in the background, so the console can show
their progress."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from dataclasses import KW_ONLY, dataclass, field
from typing import Generic, TypeVar

from domain.person.aggregate import Person
from domain.service.application import JourneyApp
from replay.batch import Batch
from replay.voiding import CorrectionReport, Corrector


@dataclass
class Job:
    """One void or reinstatement, or a dry run of one: how far it has got, and how it ended."""

    batch_id: str
    kind: str
    _: KW_ONLY
    phase: str = "starting"
    done: int = 0
    total: int = 0
    report: CorrectionReport | None = None
    error: str | None = None
    finished: threading.Event = field(default_factory=threading.Event)

    def progress(self, phase: str, done: int, total: int) -> None:
        self.phase, self.done, self.total = phase, done, total

    def run(self, work: Callable[[Job], CorrectionReport]) -> None:
        try:
            self.report = work(self)
            self.phase = "done"
        except Exception as exc:  # shown on its page; a correction run again resumes
            self.error = str(exc) or type(exc).__name__
            self.phase = "failed"
        finally:
            self.finished.set()


@dataclass
class Preview(Job):
    """A dry run of voiding or reinstating a batch, for one user, with its reason."""

    reason: str
    user: str


K = TypeVar("K", bound=Hashable)
J = TypeVar("J", bound=Job)


class Latest(Generic[K, J]):
    """The latest job per key, run in the background, and never two at once for one key."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latest: dict[K, J] = {}

    def begin(self, key: K, job: J, work: Callable[[Job], CorrectionReport], name: str) -> J:
        """Start the job in a thread, unless the one for its key is still running."""
        with self.lock:
            running = self.latest.get(key)
            if running is not None and not running.finished.is_set():
                return running
            self.latest[key] = job
        threading.Thread(target=job.run, args=(work,), name=name, daemon=True).start()
        return job


class Jobs(Latest[str, Job]):
    """At most one running correction per batch, per process."""

    def get(self, batch_id: str) -> Job | None:
        return self.latest.get(batch_id)

    def start(self, app: JourneyApp, batch_id: str, kind: str, reason: str, by: str) -> Job:
        def correct(job: Job) -> CorrectionReport:
            corrector = Corrector(app, progress=job.progress)
            if kind == "void":
                return corrector.void(batch_id, reason=reason, by=by)
            return corrector.reinstate(batch_id, reason=reason, by=by)

        return self.begin(batch_id, Job(batch_id, kind), correct, f"correct-{batch_id}")


class PreviewCorrector(Corrector):
    """A dry run that says how far it has got: the people are read a chunk at a time, and
    each chunk read is counted before it is planned."""

    def _chunks(self, batch: Batch) -> Iterator[list[Person]]:
        done, total = 0, batch.counts.people
        self.progress("previewing", done, total)
        for people in super()._chunks(batch):
            yield people
            done = min(total, done + self.chunk)
            self.progress("previewing", done, total)


class Previews(Latest[tuple[str, str, str], Preview]):
    """The latest dry run per batch, kind and user; asking again once it ends starts afresh."""

    def get(self, batch_id: str, kind: str, user: str) -> Preview | None:
        return self.latest.get((batch_id, kind, user))

    def start(self, app: JourneyApp, preview: Preview) -> Preview:
        def plan(job: Job) -> CorrectionReport:
            return PreviewCorrector(app, progress=job.progress).plan(job.batch_id, job.kind)

        key = (preview.batch_id, preview.kind, preview.user)
        return self.begin(key, preview, plan, f"preview-{preview.batch_id}")
