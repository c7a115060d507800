"""The `journey` command line as scripts use it: JSON answers, whole ids in tables at any width,
one-line errors on stderr, and commands that load only what they use."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from api.access_log import Access, AccessLog
from domain.service.settings import Settings
from projections.db import open_read_db
from replay.sniff import CHOICES
from tests.e2e.test_cli import MOVES as CLI_MOVES

HEAVY = ("fastapi", "pydantic", "psycopg", "uvicorn")
# The command-line test's extract, and a transfer to a prison that does not exist.
MOVES = CLI_MOVES + "R1234RR,,MDI,NOWHERE,TRN,OUT,2025-04-01,09:00:00,NOTR,\n"


def journey(
    *args: str, env: dict[str, str] | None = None, columns: int = 200, python: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "COLUMNS": str(columns), **(env or {})}
    return subprocess.run(
        [sys.executable, *python, "-m", "ops.cli", *args],
        env=full,
        text=True,
        capture_output=True,
        timeout=300,
        check=False,
    )


def document(url: str, *args: str) -> Any:
    """The one JSON document a command prints with --json."""
    done = journey(*args, "--json", env={"JOURNEY_DATABASE_URL": url})
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A SQLite store holding one partly recorded batch (one line rejected): its URL and id."""
    folder = tmp_path_factory.mktemp("scripting")
    url = f"sqlite:///{folder / 'cli.sqlite'}"
    path = folder / "moves.csv"
    path.write_text(MOVES)
    done = journey(
        "import",
        str(path),
        "--source",
        "NOMIS",
        "--format",
        "nomis",
        "--accept-valid",
        env={"JOURNEY_DATABASE_URL": url},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (batch,) = document(url, "batches", "list")["batches"]
    return url, batch["batch_id"]


def imported(result: subprocess.CompletedProcess[str]) -> set[str]:
    """Top-level package names from `python -X importtime` output."""
    names = set()
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


def test_help_loads_no_web_or_database_stack() -> None:
    shown = journey("--help", python=("-X", "importtime"))
    assert shown.returncode == 0 and "whereis" in shown.stdout
    assert "typer" in imported(shown)  # Check the import log was read at all.
    assert not imported(shown) & set(HEAVY)


def test_whereis_on_sqlite_loads_no_web_stack_or_postgres_driver(loaded: tuple[str, str]) -> None:
    url, _ = loaded
    done = journey(
        "whereis", "R1234RR", env={"JOURNEY_DATABASE_URL": url}, python=("-X", "importtime")
    )
    assert done.returncode == 0, done.stderr[-2000:]
    # pydantic is left out of this list: typer itself converts every parameter with it.
    assert not imported(done) & {"fastapi", "starlette", "psycopg", "uvicorn", "jwt"}


def test_batches_list_and_show_as_json(loaded: tuple[str, str]) -> None:
    url, batch_id = loaded
    (listed,) = document(url, "batches", "list")["batches"]
    assert listed["batch_id"] == batch_id and batch_id.startswith("NOMIS-")
    assert listed["status"] == "partly recorded" and listed["source"] == "NOMIS"
    assert listed["counts"]["entries"] == 4 and listed["counts"]["rejected"] == 1
    assert datetime.fromisoformat(listed["loaded_at"]).tzinfo is not None
    assert len(listed["file_hash"]) == 64
    person_id = document(url, "whereis", "R1234RR")["person_id"]
    # Check a read of the person after the load shows in the consulted table.
    db = open_read_db(Settings(database_url=url).database)
    try:
        log = AccessLog(db)
        log.ensure()
        log.record([Access("amy.audit", "auditor", "read", "r1", person_id, at=datetime.now(UTC))])
    finally:
        db.close()
    shown = document(url, "batches", "show", batch_id)
    assert shown["batch_id"] == batch_id and shown["corrections"] == []
    assert "people" not in shown and "rejects" not in shown
    (reader,) = shown["consulted"]
    assert reader["user"] == "amy.audit" and reader["reads"] == 1
    assert reader["people"] == [person_id]
    full = document(url, "batches", "show", batch_id, "--people", "--rejects")
    assert full["people"] == [person_id]
    (reject,) = full["rejects"]
    assert reject["line"] == 5 and reject["field"] == "to_prison"
    # Check the line's text and reason, which may name the person, are withheld without a
    # purpose, and shown with one, logged first as a disclosure naming the batch and line.
    assert reject["text"] == "" and "withheld" in reject["reason"]
    assert (
        "NOWHERE"
        not in journey(
            "batches", "show", batch_id, "--rejects", env={"JOURNEY_DATABASE_URL": url}
        ).stdout
    )
    why = "incident 42: checking the refused transfer"
    revealed = document(url, "batches", "show", batch_id, "--rejects", "--purpose", why)
    (reject,) = revealed["rejects"]
    assert "R1234RR" in reject["text"] and "withheld" not in reject["reason"]
    db = open_read_db(Settings(database_url=url).database)
    try:
        logged = [a for a in AccessLog(db).query() if a.action == "batch.rejects"]
    finally:
        db.close()
    assert [(a.purpose, a.detail) for a in logged] == [(why, f"{batch_id} lines 5")]
    blank = journey(
        "batches",
        "show",
        batch_id,
        "--rejects",
        "--purpose",
        " ",
        env={"JOURNEY_DATABASE_URL": url},
    )
    assert blank.returncode == 2 and blank.stderr.startswith("--purpose")


def test_whereis_timeline_and_diff_as_json(loaded: tuple[str, str]) -> None:
    url, batch_id = loaded
    where = document(url, "whereis", "R1234RR")
    assert where["identifiers"] == {"NOMS": ["R1234RR"]}
    assert where["location"]["status"] == "in" and where["location"]["agency"] == "MDI"
    assert where["location"]["since"] == "2025-03-01T15:00:00+00:00"
    assert where["ownership"]["owner"] == "MDI" and where["as_of"] is None
    back_then = document(url, "whereis", "R1234RR", "--at", "2025-02-01T00:00:00+00:00")
    assert back_then["location"]["agency"] == "LEI"
    assert back_then["as_of"] == "2025-02-01T00:00:00+00:00"
    entries = document(url, "timeline", "R1234RR")["entries"]
    assert [e["entry"] for e in entries] == [1, 2, 3, 4]
    assert {e["batch_id"] for e in entries[1:]} == {batch_id}
    assert all(e["voided"] is None for e in entries)
    changed = document(url, "diff", "R1234RR", "2025-02-01", "2025-04-01")
    assert changed["axis"] == "as_of" and changed["ref"] == "R1234RR"
    fields = {c["field"]: c for c in changed["changes"]}
    assert "LEI" in fields["location"]["before"] and "MDI" in fields["location"]["after"]


def test_projections_status_and_roles_as_json(loaded: tuple[str, str]) -> None:
    url, _ = loaded
    status = document(url, "projections", "status")["projections"]
    assert {p["name"] for p in status} >= {"location", "people"}
    assert all(p["head"] >= p["position"] >= 0 for p in status)
    matrix = document(url, "roles")
    assert "auditor" in matrix["roles"]
    person = [
        r for r in matrix["routes"] if r["route"] == "/people/{ref:path}" and r["method"] == "GET"
    ]
    assert person and not person[0]["public"] and "prison" in person[0]["roles"]


def test_a_json_answer_pipes_into_python(loaded: tuple[str, str]) -> None:
    url, batch_id = loaded
    script = "import json, sys; print(json.load(sys.stdin)['batches'][0]['batch_id'])"
    env = {**os.environ, "JOURNEY_DATABASE_URL": url, "COLUMNS": "40"}
    piped = subprocess.run(
        f'{sys.executable} -m ops.cli batches list --json | {sys.executable} -c "{script}"',
        shell=True,
        env=env,
        text=True,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.strip() == batch_id


@pytest.mark.parametrize("columns", [40, 200])
def test_tables_keep_batch_ids_whole_at_any_width(loaded: tuple[str, str], columns: int) -> None:
    url, batch_id = loaded
    env = {"JOURNEY_DATABASE_URL": url}
    listed = journey("batches", "list", env=env, columns=columns)
    assert listed.returncode == 0, listed.stderr
    assert any(batch_id in line for line in listed.stdout.splitlines())
    shown = journey("batches", "show", batch_id, env=env, columns=columns)
    assert sum(batch_id in line for line in shown.stdout.splitlines()) >= 2  # title and row
    history = journey("timeline", "R1234RR", env=env, columns=columns)
    assert any(batch_id in line for line in history.stdout.splitlines())


def one_line_error(done: subprocess.CompletedProcess[str], names: str) -> None:
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "Traceback" not in output and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and names in lines[0], done.stderr


def test_an_unreachable_database_is_one_line_naming_the_setting() -> None:
    env = {"JOURNEY_DATABASE_URL": "postgresql://postgres:secret@127.0.0.1:1/none"}
    done = journey("whereis", "A0001AA", env=env)
    one_line_error(done, "JOURNEY_DATABASE_URL")
    assert "127.0.0.1:1/none" in done.stderr and "secret" not in done.stderr
    # Check --debug shows the traceback.
    debugged = journey("--debug", "whereis", "A0001AA", env=env)
    assert debugged.returncode != 0 and "Traceback" in debugged.stderr


@pytest.mark.parametrize(
    ("setting", "value"),
    [("JOURNEY_DATABASE_URL", "nonsense://x"), ("JOURNEY_MODE", "bogus")],
)
def test_a_bad_setting_is_one_line_naming_it(setting: str, value: str) -> None:
    one_line_error(journey("batches", "list", "--json", env={setting: value}), setting)


def test_serve_names_missing_front_end_packages_before_starting(tmp_path: Path) -> None:
    env = {
        "JOURNEY_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}",
        "JOURNEY_NODE_MODULES": str(tmp_path / "node_modules"),
    }
    done = journey("serve", "--port", "1", env=env)
    one_line_error(done, "node_modules")
    assert "govuk-frontend" in done.stderr and "npm ci" in done.stderr
    assert not (tmp_path / "cli.sqlite").exists()  # refused before touching the store


def test_an_unknown_role_is_refused_naming_the_option() -> None:
    one_line_error(journey("token", "--role", "warden", "--user", "amy"), "--role")
    made = journey("token", "--role", "prison", "--role", "auditor", "--user", "amy")
    assert made.returncode == 0 and made.stdout.count(".") == 2  # a JWT


def test_import_names_every_load_format_and_refuses_others(tmp_path: Path) -> None:
    path = tmp_path / "moves.csv"
    path.write_text(MOVES)
    helped = journey("import", "--help")
    assert all(name in helped.stdout for name in CHOICES)
    env = {"JOURNEY_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}"}
    refused = journey("import", str(path), "--source", "NOMIS", "--format", "xml", env=env)
    one_line_error(refused, "--format")


def test_import_reads_the_format_the_file_is_in_and_refuses_another_at_once(
    tmp_path: Path,
) -> None:
    """A file of NOMIS movements loads without --format; named as another, one line refuses
    it before any line is checked, and nothing is recorded."""
    url = f"sqlite:///{tmp_path / 'formats.sqlite'}"
    env = {"JOURNEY_DATABASE_URL": url}
    moves = tmp_path / "movements.jsonl"
    made = journey(
        "generate",
        "--people",
        "40",
        "--format",
        "nomis",
        "--end",
        "2026-06-01",
        "--out",
        str(moves),
    )
    assert made.returncode == 0, made.stderr
    wrong = journey("import", str(moves), "--source", "NOMIS", "--format", "jsonl", env=env)
    assert wrong.returncode != 0
    assert "Traceback" not in wrong.stderr and wrong.stdout == ""
    lines = wrong.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("format:") and "nomis" in lines[0], lines
    assert document(url, "batches", "list") == {"batches": []}
    # Check the same file without --format is read as the movements it is.
    right = journey("import", str(moves), "--source", "NOMIS", env=env)
    assert right.returncode == 0, right.stdout + right.stderr
    assert ": recorded (read as nomis)" in right.stdout
    [batch] = document(url, "batches", "list")["batches"]
    assert batch["file_format"] == "nomis" and batch["status"] == "recorded"
