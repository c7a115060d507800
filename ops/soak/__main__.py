"""`python -m ops.soak --minutes 30 [--url postgresql://...]`: see the package's docstring."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from domain.service.storage import DatabaseURL
from ops.scratch import scratch_database
from ops.soak.load import Load
from ops.soak.report import judge, sample_line, summary, text
from ops.soak.sampling import Sample, Sampler, Trend, connections
from ops.soak.stack import running

DEFAULT_SERVER = os.environ.get(
    "JOURNEY_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m ops.soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=30.0, help="how long the load runs")
    parser.add_argument("--url", default=DEFAULT_SERVER, help="the PostgreSQL server to use")
    parser.add_argument("--workers", type=int, default=2, help="API worker processes")
    parser.add_argument("--people", type=int, default=200, help="people read and moved")
    parser.add_argument("--readers", type=int, default=3, help="reading client threads")
    parser.add_argument("--writers", type=int, default=2, help="commanding client threads")
    parser.add_argument("--sample-every", type=float, default=10.0, help="seconds")
    parser.add_argument("--import-every", type=float, default=60.0, help="seconds")
    parser.add_argument("--import-people", type=int, default=40, help="people in each file")
    parser.add_argument("--max-slope", type=float, default=20.0, help="MiB/hour allowed")
    parser.add_argument("--summary", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    if args.minutes <= 0 or args.people < args.writers + 2 or args.sample_every <= 0:
        parser.error("--minutes and --sample-every must be positive, --people above --writers")
    return args


def client_threads(load: Load, args: argparse.Namespace) -> list[threading.Thread]:
    """Readers, writers, the racer and the loader, not yet started."""
    readers = [threading.Thread(target=load.reader, args=(k,)) for k in range(args.readers)]
    writers = [
        threading.Thread(target=load.writer, args=(k, args.writers)) for k in range(args.writers)
    ]
    return [
        *readers,
        *writers,
        threading.Thread(target=load.racer, args=(args.writers,)),
        threading.Thread(target=load.loader, args=(args.import_every, args.import_people)),
    ]


def soak(args: argparse.Namespace, url: str, workdir: Path) -> dict[str, object]:
    """Start the stack, seed it, load it for the duration while sampling; report."""
    database = DatabaseURL.parse(url)
    with running(url, workdir, args.workers, projections=True) as stack:
        load = Load(stack, args.people)
        load.seed()
        sampler = Sampler(
            stack.pids,
            lambda: connections(database.conninfo(), database.dbname),
            lambda: (load.tally.requests, load.tally.unexpected),
            every=args.sample_every,
        )
        echo(sampler.take())
        clients = client_threads(load, args)
        watcher = threading.Thread(target=sampler.run, args=(echo,), daemon=True)
        for thread in [*clients, watcher]:
            thread.start()
        time.sleep(args.minutes * 60)
        load.stop.set()
        for thread in clients:
            thread.join(timeout=120)
        sampler.stop.set()
        watcher.join(timeout=30)
        echo(sampler.take())
    trend = Trend.of(sampler.samples)
    verdict = judge(load.tally, trend, sampler.samples, args.max_slope)
    figures = summary(args.minutes, load.tally, trend, sampler.samples, verdict)
    print(text(figures, sampler.samples), flush=True)
    return figures


def echo(sample: Sample) -> None:
    print(sample_line(sample), flush=True)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    with (
        tempfile.TemporaryDirectory(prefix="journey-soak-") as tmp,
        scratch_database(args.url, "journey_soak") as url,
    ):
        figures = soak(args, url, Path(tmp))
        if figures["verdict"] != "pass":
            print((Path(tmp) / "stack.log").read_text()[-4000:], file=sys.stderr)
    if args.summary is not None:
        args.summary.write_text(json.dumps(figures, indent=2))
    return 0 if figures["verdict"] == "pass" else 1


if __name__ == "__main__":
    sys.exit(main())
