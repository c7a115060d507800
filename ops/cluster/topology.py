"""pg_auto_failover on local ports: the monitor decides failovers; each data node is a keeper
(`pg_autoctl`) that runs its PostgreSQL server as a child, so killing a node's process group
kills that "machine". Nothing here decides a failover: the monitor does."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

PG_AUTOCTL = "pg_autoctl"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
OWNER = "postgres"  # initdb and the server refuse to run as root
DBNAME = "journey"
# The monitor's failure detection, in milliseconds: quick enough for a test to see a failover
# within seconds. docs/deployment.md gives the production values.
FAST_DETECTION = {
    "pgautofailover.health_check_period": 1000,
    "pgautofailover.health_check_timeout": 1000,
    "pgautofailover.health_check_max_retries": 1,
    "pgautofailover.health_check_retry_delay": 500,
    "pgautofailover.node_considered_unhealthy_timeout": 3000,
    "pgautofailover.primary_demote_timeout": 3000,
}


class Missing(RuntimeError):
    """An engine this topology needs is not installed."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def check_installed() -> None:
    """Refuse at once, naming the Debian packages, when pg_auto_failover is absent."""
    if shutil.which(PG_AUTOCTL) is None or not (PG_BIN / "pg_ctl").is_file():
        raise Missing(
            "pg_auto_failover is not installed: install the Debian packages "
            "postgresql-15-auto-failover and pg-auto-failover-cli (ops/bootstrap does)"
        )


@dataclass
class Node:
    """One keeper and the PostgreSQL server it runs."""

    name: str
    port: int
    pgdata: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DBNAME}"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class Topology:
    """A monitor and data nodes under one temporary directory."""

    root: Path
    monitor_port: int = field(default_factory=free_port)
    nodes: list[Node] = field(default_factory=list)
    monitor: subprocess.Popen[bytes] | None = None

    # ---- processes ----

    def env(self) -> dict[str, str]:
        # pg_autoctl keeps its configuration and state under the XDG folders: here, so
        # nothing is left behind in the postgres user's home.
        home = self.root / "home"
        return {
            "PATH": f"{PG_BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_RUNTIME_DIR": str(home / "run"),
            "PG_CONFIG": str(PG_BIN / "pg_config"),
            "LANG": "C.UTF-8",
        }

    def spawn(self, args: list[str], log: Path) -> subprocess.Popen[bytes]:
        """A pg_autoctl process as the postgres user, leading its own process group."""
        owner = OWNER if os.geteuid() == 0 else None
        with log.open("ab") as out:
            return subprocess.Popen(
                [PG_AUTOCTL, *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self.env(),
                cwd=self.root,
                start_new_session=True,
                user=owner,
                group=owner,
            )

    @property
    def monitor_uri(self) -> str:
        return f"postgres://autoctl_node@127.0.0.1:{self.monitor_port}/pg_auto_failover?sslmode=disable"

    def start_monitor(self) -> None:
        pgdata = self.root / "monitor"
        given = {"pgdata": str(pgdata), "pgport": str(self.monitor_port)}
        self.monitor = self.spawn(["create", "monitor", *flags(given)], self.root / "monitor.log")
        self.wait(self.monitor_ready, 60, "the monitor did not start")
        with psycopg.connect(self.monitor_admin, autocommit=True) as conn:
            for name, value in FAST_DETECTION.items():
                conn.execute(f"ALTER SYSTEM SET {name} = {value}")
            conn.execute("SELECT pg_reload_conf()")

    @property
    def monitor_admin(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.monitor_port}/pg_auto_failover"

    def monitor_ready(self) -> bool:
        try:
            with psycopg.connect(self.monitor_admin, connect_timeout=1) as conn:
                conn.execute("SELECT 1 FROM pgautofailover.node LIMIT 0")
        except psycopg.Error:
            return False
        return True

    def add_node(self, name: str, *, priority: int = 50, quorum: bool = True) -> Node:
        """A data node: the first becomes the primary, later ones standbys cloned from it.
        `quorum` makes it a synchronous standby; priority 0 a read replica never promoted."""
        node = Node(name, free_port(), self.root / name)
        given = {
            "pgdata": str(node.pgdata),
            "pgport": str(node.port),
            "listen": "127.0.0.1",
            "name": name,
            "dbname": DBNAME,
            "username": "postgres",
            "monitor": self.monitor_uri,
            "candidate-priority": str(priority),
            "replication-quorum": "true" if quorum else "false",
        }
        node.process = self.spawn(["create", "postgres", *flags(given)], self.root / f"{name}.log")
        self.nodes.append(node)
        return node

    def quick_checkpoints(self, node: Node) -> None:
        """A standby is cloned after a checkpoint, by default spread over minutes: made at
        once here (the setting travels to the clones with the data)."""
        with psycopg.connect(node.url, autocommit=True) as conn:
            conn.execute("ALTER SYSTEM SET checkpoint_completion_target = 0")
            conn.execute("SELECT pg_reload_conf()")
            conn.execute("CHECKPOINT")

    def kill(self, node: Node) -> None:
        """The machine dies: SIGKILL to the keeper and its PostgreSQL processes at once."""
        assert node.process is not None
        os.killpg(node.process.pid, signal.SIGKILL)
        node.process.wait(timeout=10)
        # Backends left orphaned still hold the port's shared memory until they notice.
        for pid in pids_in(node.pgdata):
            os.kill(pid, signal.SIGKILL)

    def close(self) -> None:
        for node in self.nodes:
            if node.alive():
                self.kill(node)
        if self.monitor is not None and self.monitor.poll() is None:
            os.killpg(self.monitor.pid, signal.SIGKILL)
            self.monitor.wait(timeout=10)
        for pid in pids_in(self.root):
            os.kill(pid, signal.SIGKILL)

    # ---- state ----

    def states(self) -> dict[str, tuple[str, str]]:
        """Each node's reported and goal state, as the monitor holds them."""
        with psycopg.connect(self.monitor_admin, connect_timeout=2) as conn:
            rows = conn.execute(
                "SELECT nodename, reportedstate::text, goalstate::text FROM pgautofailover.node"
            ).fetchall()
        return {name: (reported, goal) for name, reported, goal in rows}

    def primary(self) -> Node | None:
        states = self.states()
        for node in self.nodes:
            reported, goal = states.get(node.name, ("", ""))
            # A dead primary's last report stays "primary"; the monitor's goal for it changes.
            if reported == goal and goal in {"primary", "wait_primary", "single"}:
                return node
        return None

    def synchronous(self, primary: Node) -> list[str]:
        """The standbys a commit on `primary` waits for (their replication slot names)."""
        with psycopg.connect(primary.url, connect_timeout=2) as conn:
            rows = conn.execute(
                "SELECT application_name FROM pg_stat_replication "
                "WHERE sync_state IN ('sync', 'quorum') AND current_setting('synchronous_commit') "
                "IN ('on', 'remote_apply', 'remote_write')"
            ).fetchall()
        return [name for (name,) in rows]

    def settled(self) -> bool:
        """Every live node has reached its goal, with one primary and its standbys streaming."""
        try:
            states = self.states()
        except psycopg.Error:
            return False
        live = [n for n in self.nodes if n.alive()]
        if any(n.name not in states for n in live):
            return False
        reported = [states[n.name] for n in live]
        steady = {"primary", "secondary"} if len(live) > 1 else {"single"}
        return all(r == g and r in steady for r, g in reported)

    def wait(self, ready: object, seconds: float, failure: str) -> None:
        deadline = time.monotonic() + seconds
        while not ready():  # type: ignore[operator]
            if time.monotonic() > deadline:
                raise TimeoutError(f"{failure}; logs in {self.root}: {self.tail()}")
            time.sleep(0.25)

    def tail(self) -> str:
        logs = sorted(self.root.glob("*.log"))
        return "".join(f"\n--- {p.name}\n" + p.read_text()[-3000:] for p in logs)

    # ---- what the application is given ----

    def primary_url(self, query: str = "") -> str:
        """Every candidate node in one URL: libpq connects to whichever accepts writes."""
        hosts = ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)
        suffix = "target_session_attrs=read-write" + (f"&{query}" if query else "")
        return f"postgresql://postgres@{hosts}/{DBNAME}?{suffix}"


def flags(given: dict[str, str]) -> list[str]:
    """pg_autoctl's options for a node on this machine: loopback, trust, no TLS, and run the
    keeper in the foreground once made."""
    named = [part for name, value in given.items() for part in (f"--{name}", value)]
    common = ["--hostname", "127.0.0.1", "--pgctl", str(PG_BIN / "pg_ctl")]
    return [*named, *common, "--auth", "trust", "--no-ssl", "--run"]


def pids_in(folder: Path) -> list[int]:
    """Processes whose command line names a path under `folder` (left-over servers)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if str(folder) in cmdline and int(proc.name) != os.getpid():
            found.append(int(proc.name))
    return found


@contextmanager
def topology(replicas: int = 1, *, root: Path | None = None) -> Iterator[Topology]:
    """A monitor, a primary, a synchronous standby and `replicas` asynchronous read replicas
    (never promoted), settled and streaming; everything killed and deleted on the way out."""
    check_installed()
    made = root is None
    root = root or Path(tempfile.mkdtemp(prefix="journey-ha-"))
    if os.geteuid() == 0:
        shutil.chown(root, OWNER, OWNER)
    cluster = Topology(root)
    try:
        cluster.start_monitor()
        cluster.add_node("node1")
        cluster.wait(lambda: cluster.primary() is not None, 90, "the primary did not start")
        cluster.quick_checkpoints(cluster.nodes[0])
        cluster.add_node("node2")
        for i in range(replicas):
            cluster.add_node(f"replica{i + 1}", priority=0, quorum=False)
        cluster.wait(cluster.settled, 180, "the standbys did not reach the primary")
        yield cluster
    finally:
        cluster.close()
        if made:
            shutil.rmtree(root, ignore_errors=True)
