"""Pages on PostgreSQL: the roll of a 1,500-person prison (first page, last page sorted, the
CSV of everyone) and a person with 300 entries (person page and timeline), each served over HTTP
by `journey serve`, beside the API's JSON answer for the same data.

Run alone: .venv/bin/python -m ops.bench.pages [--people 1500] [--entries 300]
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx

from api.auth import Role, issue_dev_token
from api.config import ApiSettings
from api.pages.session import PURPOSE, SESSION
from domain.provenance import Provenance
from domain.service.application import JourneyApp
from domain.service.catalogue import Admit, MoveCell
from domain.service.settings import Settings
from ops.bench.common import Option, run_alone, scratch_database
from ops.bench.http import free_port, server
from ops.bench.store import analyze
from ops.bench.travel import LONG_HISTORY, latencies, long_history, pct
from projections.db import open_read_db
from projections.runner import Runner

PRISON = "MDI"
ASKS = 20
OPTIONS = (
    Option("--people", int, 1500, "people on the prison's roll"),
    Option("--entries", int, 300, "entries in the long-history person's timeline"),
)
T0 = datetime(2024, 1, 8, 9, tzinfo=UTC)


def crowd(app: JourneyApp, people: int) -> None:
    """`people` people admitted to one prison, each in a cell on one of six wings."""
    for n in range(people):
        noms = f"P{n:04d}{chr(65 + n // 1000 % 26)}A"
        when = T0 + timedelta(minutes=n)
        app.register(
            Provenance("bench", "NOMIS", when, source_ref=f"person-{n}"),
            given_name=f"Given{n}",
            family_name=f"Roll{n % 700:03d}",
            date_of_birth=date(1960 + n % 40, 1 + n % 12, 1 + n % 28),
            identifiers={"NOMS": noms},
        )
        cell = f"{'ABCDEF'[n % 6]}-{n % 4 + 1}-{n % 97:03d}"
        moves = [Admit(prison=PRISON, movement_reason="N"), MoveCell(prison=PRISON, cell=cell)]
        app.handle(noms, moves, Provenance("bench", "NOMIS", when, source_ref=f"roll-{n}"))


def seeded(url: str, people: int, entries: int) -> None:
    settings = Settings(database_url=url + "?pool_size=2")
    app = JourneyApp(settings)
    db = open_read_db(settings.database)
    try:
        crowd(app, people)
        long_history(app, entries)
        Runner(app, db).catch_up()
        on_roll = db.query("SELECT count(*) FROM rm_location WHERE prison = %s", (PRISON,))
        if on_roll[0][0] != people:
            raise RuntimeError(f"seeded {on_roll[0][0]} people in {PRISON}, not {people}")
    finally:
        db.close()
        app.close()
    analyze(url)


PAGES = {
    "roll, first page of 50 (every person counted and sorted)": f"/ui/prisons/{PRISON}/roll",
    "roll, last page sorted by NOMS descending": (
        f"/ui/prisons/{PRISON}/roll?sort=noms&order=descending&page=1000"
    ),
    "roll as CSV, everyone with names and codes": f"/ui/prisons/{PRISON}/roll.csv",
    "roll as of a past day (every person's history replayed)": (
        f"/ui/prisons/{PRISON}/roll?as_of=2024-06-01"
    ),
    "person page (where now, owner, key dates, the journey drawn)": f"/ui/people/{LONG_HISTORY}",
    "timeline page (every entry read, counted and filtered; newest 25 shown)": (
        f"/ui/people/{LONG_HISTORY}/timeline"
    ),
    "timeline as CSV, every entry": f"/ui/people/{LONG_HISTORY}/timeline.csv",
    "search by a family name (counted, a page of 20)": "/ui/search?name=roll01",
    "search by a misspelt family name (names spelt alike)": "/ui/search?name=rolk010",
    "population, 12 months for the prison": f"/ui/population?prison={PRISON}",
}
BASELINES = {
    "API roll (JSON, everyone)": f"/prisons/{PRISON}/roll",
    "API timeline (JSON, 500 entries at most)": f"/people/{LONG_HISTORY}/timeline?limit=500",
}


def measure(url: str) -> dict[str, list[float]]:
    """Latencies of each page and baseline from `journey serve`, asked `ASKS` times in turn
    after one warm-up."""
    with tempfile.TemporaryDirectory() as tmp:
        key = str(Path(tmp) / "dev.pem")
        settings = ApiSettings(store=Settings(database_url=url), dev_key_path=key)
        token = issue_dev_token(settings, user="bench.pages", roles=[Role.PRISON])
        env = {**os.environ, "JOURNEY_DATABASE_URL": url, "JOURNEY_DEV_KEY": key}
        port = free_port()
        found: dict[str, list[float]] = {}
        args = [sys.executable, "-m", "ops.cli", "serve", "--port", str(port), "--workers", "1"]
        with server(args, env, port) as base:
            cookies = {SESSION: token, PURPOSE: "benchmark"}
            with httpx.Client(base_url=base, cookies=cookies, timeout=60) as client:
                api = {"Authorization": f"Bearer {token}", "X-Purpose": "benchmark"}
                for name, path in PAGES.items():
                    found[name] = timings(client, path, {})
                for name, path in BASELINES.items():
                    found[name] = timings(client, path, api)
    return found


def timings(client: httpx.Client, path: str, headers: dict[str, str]) -> list[float]:
    """`ASKS` latencies of one address, after a warm-up that must answer 200."""

    def ask() -> None:
        response = client.get(path, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}: {response.text[:200]}")

    ask()
    return latencies(ask, ASKS)


def section(people: int, entries: int) -> str:
    """The markdown section for the benchmark report."""
    with scratch_database() as url:
        seeded(url, people, entries)
        found = measure(url)
    rows = "\n".join(
        f"| {name} | {pct(times, 0.5):.0f} ms | {pct(times, 0.95):.0f} ms | "
        f"{max(times) * 1000:.0f} ms |"
        for name, times in found.items()
    )
    slowest = max(max(found[name]) for name in PAGES)
    return (
        "### Pages (PostgreSQL)\n\n"
        f"A prison of {people:,} people and one person with {entries} entries, in a database "
        f"seeded for this section; each page asked {ASKS} times in turn (after one warm-up) "
        "over HTTP from `journey serve` (one worker), signed in as prison staff, an access-log "
        "entry committed per person shown. Baselines: the API's JSON answers for the same data.\n\n"
        "| page | p50 | p95 | slowest |\n|---|---:|---:|---:|\n"
        f"{rows}\n\n"
        f"Slowest page of all: {slowest * 1000:.0f} ms "
        f"({'under' if slowest < 1 else 'over'} the 1 s aim).\n"
    )


if __name__ == "__main__":
    run_alone(__doc__, section, *OPTIONS)
