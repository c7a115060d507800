"""Start the replicated topology on this machine and keep it up until Ctrl-C:

    .venv/bin/python -m ops.cluster [--replicas N]

It prints the settings that point the API and the projection worker at it. Needs the Debian
packages postgresql-15-auto-failover and pg-auto-failover-cli (ops/bootstrap installs them)."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading

from ops.cluster.topology import Missing, topology


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.cluster", description=__doc__)
    parser.add_argument("--replicas", type=int, default=1, help="read replicas (default 1)")
    args = parser.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        with topology(args.replicas) as cluster:
            replicas = [n.url for n in cluster.nodes[2:]]
            print(f"monitor   {cluster.monitor_uri}")
            for node in cluster.nodes:
                print(f"{node.name:<9} {node.url}  ({cluster.states()[node.name][0]})")
            print(f"\nexport JOURNEY_DATABASE_URL='{cluster.primary_url()}'")
            print(f"export JOURNEY_REPLICA_URLS='{','.join(replicas)}'")
            print(f"\nlogs in {cluster.root}; Ctrl-C stops and removes everything", flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                stop.wait()
    except Missing as exc:
        print(f"ops.cluster: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
