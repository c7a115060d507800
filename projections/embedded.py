"""In-process projection for the embedded SQLite deployment, which has no separate worker:
a background thread follows the log and commands can wait for their position."""

from __future__ import annotations

import threading
from types import TracebackType

from domain.service.application import JourneyApp
from projections.db import ReadDb
from projections.runner import Runner


class EmbeddedProjections:
    """Runs the projection runner in a daemon thread for as long as it is open."""

    def __init__(self, app: JourneyApp, db: ReadDb, idle: float = 0.02) -> None:
        self.runner = Runner(app, db)
        self.idle = idle
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def start(self) -> EmbeddedProjections:
        self.runner.catch_up()
        self._thread = threading.Thread(target=self._run, name="projections", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self.runner.run(self._stop, self.idle)
        except BaseException as exc:  # kept for readiness checks; the thread must not vanish
            self.error = exc
            raise

    def wait_for(self, position: int | None, timeout: float = 5.0) -> bool:
        """Read-your-writes: wait, within a bound, for read models to include a position."""
        return position is None or self.runner.wait_for(position, timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> EmbeddedProjections:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
