"""The `journey` command line as an operator runs it: real processes on a SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from domain.service.application import JourneyApp
from domain.service.settings import Settings
from projections.db import open_read_db
from tests.conftest import at, prov
from tests.support import noms, seed


def journey(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JOURNEY_DATABASE_URL": url, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "ops.cli", *args],
        env=env,
        text=True,
        capture_output=True,
        timeout=300,
        check=False,
    )


def test_projection_commands_and_verify_exit_codes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    app = JourneyApp(Settings(database_url=url))
    seed(app, 0, 40)
    app.close()
    status = journey(url, "projections", "status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert "location" in status.stdout and "people" in status.stdout
    ran = journey(url, "projections", "run", "--once")
    assert ran.returncode == 0 and "caught up to position" in ran.stdout
    clean = journey(url, "projections", "verify")
    assert clean.returncode == 0 and "no drift" in clean.stdout
    # Check a row changed by hand is reported, with the command failing.
    db = open_read_db(Settings(database_url=url).database)
    with db.transaction() as cur:
        cur.execute(
            "UPDATE rm_location_g1 SET prison = 'BXI' WHERE person_id IN "
            "(SELECT person_id FROM rm_identifiers WHERE value = %s)",
            (noms(3),),
        )
    db.close()
    drifted = journey(url, "projections", "verify")
    assert drifted.returncode == 1
    assert "rm_location: 40 rows checked, 1 drifted" in drifted.stdout
    assert "prison: 'BXI' != expected" in drifted.stdout
    rebuilt = journey(url, "projections", "rebuild", "location")
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert journey(url, "projections", "verify").returncode == 0
    unknown = journey(url, "projections", "rebuild", "nonsense")
    assert unknown.returncode == 2 and "unknown projection(s) nonsense" in unknown.stdout


def test_whereis_and_timeline(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    app = JourneyApp(Settings(database_url=url))
    seed(app, 0, 3)
    # Entry 6 is the arrival that ended the transfer: voiding it leaves the person in transit.
    app.void_entries(noms(1), prov(at(60), reason="wrong load"), entries=(6,))
    app.close()
    where = journey(url, "whereis", noms(1))
    assert where.returncode == 0 and "transit" in where.stdout
    back_then = journey(url, "whereis", noms(1), "--at", "2024-02-05T12:00:00+00:00")
    assert back_then.returncode == 0
    assert "transit" not in back_then.stdout and "A-1-001" in back_then.stdout
    history = journey(url, "timeline", noms(1))
    assert history.returncode == 0 and "wrong load" in history.stdout
    missing = journey(url, "whereis", "B9999ZZ")
    assert missing.returncode == 1 and "no person holds NOMS B9999ZZ" in missing.stdout
    bad = journey(url, "whereis", "not-an-id")
    assert bad.returncode == 1 and "identifier" in bad.stdout
    bad_time = journey(url, "whereis", noms(1), "--at", "yesterday")
    assert bad_time.returncode == 2 and "--at" in bad_time.stdout
