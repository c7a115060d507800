"""What a soak runs against: a fresh database, `journey serve` and the projection worker, each
as its own process, as an operator would start them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from api.auth import Role, issue_dev_token
from api.config import ApiSettings
from domain.service.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def journey(url: str, log: Path, *args: str, dev_key: Path) -> subprocess.Popen[bytes]:
    """`journey ...` as its own process on the given database, its output appended to `log`."""
    env = {**os.environ, "JOURNEY_DATABASE_URL": url, "JOURNEY_DEV_KEY": str(dev_key)}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ops.cli", *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_healthy(base: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    """Until `/health` answers; fails at once if the process exits."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server did not answer on {base} within {seconds:.0f} s")
        time.sleep(0.1)


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@dataclass
class Stack:
    """An API server (and, for PostgreSQL, a projection worker) on one database."""

    url: str
    workdir: Path
    workers: int = 1
    port: int = field(default_factory=free_port)
    server: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def dev_key(self) -> Path:
        return self.workdir / "dev-key.pem"

    @property
    def log(self) -> Path:
        return self.workdir / "stack.log"

    def start_server(self) -> None:
        # The development key is made here, before the server's workers would each race
        # to make their own.
        self.token(Role.PRISON)
        args = ("serve", "--port", str(self.port), "--workers", str(self.workers))
        self.server = journey(self.url, self.log, *args, dev_key=self.dev_key)
        wait_healthy(self.base, self.server)

    def start_worker(self) -> None:
        self.worker = journey(self.url, self.log, "projections", "run", dev_key=self.dev_key)

    def token(self, *roles: Role, user: str = "soak.user") -> str:
        settings = ApiSettings(
            store=Settings(database_url=self.url), dev_key_path=str(self.dev_key)
        )
        return issue_dev_token(settings, user=user, roles=list(roles))

    def headers(self, *roles: Role, user: str = "soak.user") -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token(*roles, user=user)}",
            "X-Purpose": "soak run",
        }

    def pids(self) -> dict[str, int]:
        """Each running process by role: the server, its worker processes, the worker."""
        found: dict[str, int] = {}
        if self.server is not None and self.server.poll() is None:
            found["server"] = self.server.pid
            workers = [c for c in children(self.server.pid) if not resource_tracker(c)]
            for n, child in enumerate(workers, 1):
                found[f"server.{n}"] = child
        if self.worker is not None and self.worker.poll() is None:
            found["projections"] = self.worker.pid
        return found

    def close(self) -> None:
        for process in (self.server, self.worker):
            if process is not None:
                stop(process)


def children(pid: int) -> list[int]:
    """Direct children of a process (uvicorn's worker processes), from /proc."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(p) for p in task.read_text().split()]
        except OSError:
            continue
    return sorted(found)


def resource_tracker(pid: int) -> bool:
    """Whether a child is multiprocessing's resource tracker rather than a worker."""
    try:
        return b"resource_tracker" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True


@contextmanager
def running(url: str, workdir: Path, workers: int, projections: bool) -> Iterator[Stack]:
    """A started stack, stopped on the way out whatever happens."""
    stack = Stack(url, workdir, workers)
    try:
        stack.start_server()
        if projections:
            stack.start_worker()
        yield stack
    finally:
        stack.close()
