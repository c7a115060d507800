"""A private PostgreSQL cluster for one test: made with initdb in a temporary directory, on its
own loopback port, so a test can stop and start it without touching the shared server."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.e2e.conftest import free_port

BINARIES = Path("/usr/lib/postgresql")
OWNER = "postgres"  # initdb refuses to run as root


def bin_dir() -> Path:
    """The newest installed server's binaries; fails the test (never skips) without them."""
    found = sorted(
        (
            p
            for p in BINARIES.glob("*/bin")
            if (p / "initdb").is_file() and (p / "pg_ctl").is_file()
        ),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not found:
        pytest.fail(
            f"this test needs the PostgreSQL server binaries (initdb, pg_ctl) under {BINARIES}; "
            "install the Debian package postgresql",
            pytrace=False,
        )
    return found[-1]


class Cluster:
    """initdb'd data in a temporary directory; `start`, `stop` (immediate: a crash) and `url`."""

    def __init__(self, root: Path) -> None:
        self.root, self.bin = root, bin_dir()
        self.data, self.log = root / "data", root / "server.log"
        self.port = free_port()

    def run(self, *args: str) -> None:
        # As the postgres user when we are root (initdb and the server refuse root).
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", OWNER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise AssertionError(f"{' '.join(args[:2])} failed: {done.stderr}{done.stdout}{log}")

    def init(self) -> None:
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off"
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self, mode: str = "immediate") -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"


@contextmanager
def private_cluster() -> Iterator[Cluster]:
    """A started private cluster, stopped and deleted on the way out whatever happens."""
    root = Path(tempfile.mkdtemp(prefix="journey-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, OWNER, OWNER)
    cluster = Cluster(root)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        if cluster.running():
            cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
