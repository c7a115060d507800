"""The demo as a newcomer meets it: an empty folder, any day of the year, a working answer."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import free_port

NOW = datetime.now(UTC)
# Ends the demo's history is asked to stop at: today at midnight (entries past the end were
# then in the future, and the load refused the whole file), the default of a day ago, a month
# end, a leap day and the weekends the clocks change in Europe/London.
ENDS = [
    NOW.strftime("%Y-%m-%d"),
    (NOW - timedelta(days=1)).isoformat(timespec="minutes"),
    "2026-08-31T23:59:00+00:00",
    "2024-02-29T12:00:00+00:00",
    "2025-10-26T01:30:00+00:00",
    "2026-03-29T00:59:00+00:00",
]


def demo_env() -> dict[str, str]:
    env = {**os.environ, "COLUMNS": "100"}
    env.pop("JOURNEY_DATABASE_URL", None)  # the embedded default, under the working folder
    return env


def run_demo(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ops.cli", "demo", "--no-serve", *args],
        cwd=folder,
        env=demo_env(),
        text=True,
        capture_output=True,
        timeout=600,
        check=False,
    )


@pytest.mark.parametrize("end", ENDS)
def test_the_demo_loads_every_line_whatever_the_end(tmp_path: Path, end: str) -> None:
    done = run_demo(tmp_path, "--people", "2000", "--end", end)
    assert done.returncode == 0, done.stdout + done.stderr
    # Check nothing was refused: every generated line keeps the journey rules.
    assert "loaded 2000 people" in done.stdout, done.stdout
    assert "refused" not in done.stdout + done.stderr
    assert "in prison now" in done.stdout and "on licence" in done.stdout


def test_an_end_in_the_future_is_refused_naming_the_option(tmp_path: Path) -> None:
    later = (NOW + timedelta(days=2)).isoformat(timespec="minutes")
    done = run_demo(tmp_path, "--end", later)
    assert done.returncode == 2
    assert "--end" in done.stdout + done.stderr and "future" in done.stdout + done.stderr
    assert not (tmp_path / "var" / "journey.sqlite").exists()


def test_the_demo_serves_from_an_empty_folder(tmp_path: Path) -> None:
    """Take the printed address and token, ask where each shown person is, open the pages."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "ops.cli", "demo", "--people", "300", "--port", str(port)],
        cwd=tmp_path,
        env=demo_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    printed: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            printed.append(line)
            if line.startswith(("INFO", "Uvicorn")) or "Application startup" in line:
                break
        token = next(x.removeprefix("TOKEN=").strip() for x in printed if x.startswith("TOKEN="))
        urls = [x.split()[-1] for x in printed if x.startswith("try: curl")]
        headings = [x.strip() for x in printed if x.startswith("# ")]
        # Check the range is shown: someone in prison, someone on licence, someone in transit.
        assert headings == [
            "# in prison now",
            "# on licence in the community",
            "# in transit between prisons",
        ], "".join(printed)
        assert all(url.startswith(f"http://127.0.0.1:{port}/people/") for url in urls)
        # Check a person moving shows where from and to; one on licence no prison at all.
        wheres = [x for x in printed if "│ where" in x]
        assert ", to " in wheres[2] and ", from " in wheres[2], wheres
        assert "(community)" in wheres[1] and ", from " not in wheres[1], wheres
        headers = {"Authorization": f"Bearer {token}", "X-Purpose": "demo"}
        answers = [wait_for(url, headers) for url in urls]
        assert [a.status_code for a in answers] == [200, 200, 200], [a.text for a in answers]
        statuses = [a.json()["location"]["status"] for a in answers]
        assert statuses == ["in", "supervised", "transit"], statuses
        sign_in = httpx.get(f"http://127.0.0.1:{port}/ui/sign-in", timeout=10)
        assert sign_in.status_code == 200
    finally:
        process.terminate()
        process.wait(30)
        if process.stdout is not None:
            process.stdout.close()
    assert (tmp_path / "var" / "journey.sqlite").exists()
    # Check a second run reuses the data and shows the same people.
    again = run_demo(tmp_path)
    assert again.returncode == 0 and "already present" in again.stdout
    assert "in transit between prisons" in again.stdout


def wait_for(url: str, headers: dict[str, str]) -> httpx.Response:
    deadline = time.monotonic() + 60
    while True:
        try:
            return httpx.get(url, headers=headers, timeout=10)
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the demo's API did not start"
            time.sleep(0.2)
