"""The `journey` command line as an operator runs it: real processes on a SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from domain.service.application import JourneyApp
from domain.service.catalogue import VoidEntries
from domain.service.settings import Settings
from projections.db import open_read_db
from replay.formats import NOMIS_FIELDS
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
    assert unknown.returncode == 2 and "unknown projection(s) nonsense" in unknown.stderr


def test_whereis_and_timeline(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    app = JourneyApp(Settings(database_url=url))
    seed(app, 0, 3)
    # Entry 6 is the arrival that ended the transfer: voiding it leaves the person in transit.
    app.handle(noms(1), [VoidEntries(entries=(6,))], prov(at(60), reason="wrong load"))
    app.close()
    where = journey(url, "whereis", noms(1))
    assert where.returncode == 0 and "transit" in where.stdout
    back_then = journey(url, "whereis", noms(1), "--at", "2024-02-05T12:00:00+00:00")
    assert back_then.returncode == 0
    assert "transit" not in back_then.stdout and "A-1-001" in back_then.stdout
    history = journey(url, "timeline", noms(1))
    assert history.returncode == 0 and "wrong load" in history.stdout
    missing = journey(url, "whereis", "B9999ZZ")
    assert missing.returncode == 1 and "no person holds NOMS B9999ZZ" in missing.stderr
    bad = journey(url, "whereis", "not-an-id")
    assert bad.returncode == 1 and "identifier" in bad.stderr
    bad_time = journey(url, "whereis", noms(1), "--at", "yesterday")
    assert bad_time.returncode == 2 and "--at" in bad_time.stderr


HEADER = ",".join(NOMIS_FIELDS) + "\n"
# R1234RR admitted to Leeds, then transferred to Moorland, as a NOMIS extract in CSV.
MOVES = (
    HEADER + "R1234RR,,OUT,LEI,ADM,IN,2025-01-06,10:00:00,N,\n"
    "R1234RR,,LEI,MDI,TRN,OUT,2025-03-01,09:00:00,NOTR,\n"
    "R1234RR,,LEI,MDI,ADM,IN,2025-03-01,15:00:00,INT,\n"
)


def test_load_show_void_diff_and_merge_from_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    path = tmp_path / "moves.csv"
    path.write_text(MOVES)
    loaded = journey(url, "import", str(path), "--source", "NOMIS", "--format", "nomis")
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    assert "recorded" in loaded.stdout and "entries recorded 4" in loaded.stdout
    batch_id = loaded.stdout.split("batch ", 1)[1].split(":", 1)[0].strip()
    again = journey(url, "import", str(path), "--source", "NOMIS", "--format", "nomis")
    assert "already imported" in again.stdout
    # Check a bad file exits 1, naming the line, the field and the reason.
    bad = tmp_path / "bad.csv"
    bad.write_text(MOVES.replace("LEI,MDI,TRN", "LEI,NOWHERE,TRN"))
    refused = journey(url, "import", str(bad), "--source", "NOMIS", "--format", "nomis")
    assert refused.returncode == 1
    assert "refused" in refused.stdout and "to_prison" in refused.stdout
    listed = journey(url, "batches", "list")
    assert batch_id in listed.stdout and "refused" in listed.stdout
    shown = journey(url, "batches", "show", batch_id)
    assert "people touched" in shown.stdout and "1 (registered 1)" in shown.stdout
    plan = journey(url, "batches", "void", batch_id, "--dry-run")
    assert plan.returncode == 0 and "in MDI" in plan.stdout and "R1234RR" in plan.stdout
    voided = journey(url, "batches", "void", batch_id, "--reason", "drill", "--by", "rec.lead")
    assert voided.returncode == 0, voided.stdout + voided.stderr
    assert "1 people, 3 entries" in voided.stdout
    # Check time travel: where the person was, as known before and after the void.
    diff = journey(url, "diff", "R1234RR", "2025-02-01", "2025-04-01")
    assert diff.returncode == 0 and "0 differences" in diff.stdout  # all voided now
    whereis = journey(url, "whereis", "R1234RR", "--at", "2025-04-01")
    assert whereis.returncode == 0 and "none" in whereis.stdout
    no_reason = journey(url, "batches", "reinstate", batch_id)
    assert no_reason.returncode == 2 and "--reason" in no_reason.stderr
    back = journey(url, "batches", "reinstate", batch_id, "--reason", "drill over")
    assert back.returncode == 0
    diff = journey(url, "diff", "R1234RR", "2025-02-01", "2025-04-01")
    assert "in LEI" in diff.stdout and "in MDI" in diff.stdout
    # Check a merge and its reversal: the other number then leads to this person, and back.
    other = tmp_path / "other.csv"
    other.write_text(
        HEADER + "S2222SS,,OUT,WYI,ADM,IN,2024-01-06,10:00:00,N,\n"
        "S2222SS,,WYI,OUT,REL,OUT,2024-06-01,10:00:00,CR,\n"
    )
    assert (
        journey(url, "import", str(other), "--source", "NOMIS", "--format", "nomis").returncode == 0
    )
    merged = journey(url, "merge", "R1234RR", "S2222SS", "--reason", "NOMIS merge")
    assert merged.returncode == 0, merged.stdout + merged.stderr
    after = journey(url, "whereis", "S2222SS")
    assert "NOMS R1234RR, NOMS S2222SS" in after.stdout and "MDI" in after.stdout
    apart = journey(url, "unmerge", "R1234RR", "S2222SS", "--reason", "wrong person")
    assert apart.returncode == 0, apart.stdout + apart.stderr
    alone = journey(url, "whereis", "S2222SS")
    assert "R1234RR" not in alone.stdout and "released" in alone.stdout
