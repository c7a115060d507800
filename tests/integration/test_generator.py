"""The journey generator: deterministic, and every journey keeps the domain's own rules."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from dataclasses import is_dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

from domain.person.aggregate import Person
from domain.person.events import IdentifierAdded
from domain.provenance import Provenance
from domain.service.application import JourneyApp
from domain.service.command import Claiming, Command
from domain.service.settings import Settings
from ops.generator import Generator, noting_duplicates, write
from ops.noise import BACKDATED_BY, BACKDATED_KINDS, DUPLICATE_SPACE
from ops.replay_cli import generate_problem
from projections.db import open_read_db
from projections.runner import Runner
from projections.verify import verify
from replay.batch import Reject
from replay.formats import read
from replay.importer import Importer, ImportOptions
from tests.conftest import prov

END = datetime(2026, 11, 1, tzinfo=UTC)


def generated(
    people: int, *, seed: int = 1, file_format: str = "jsonl", noise: bool = False
) -> bytes:
    out = io.BytesIO()
    journeys = Generator(seed=seed, years=10, end=END, noise=noise).people(people)
    write(out, journeys, file_format)
    return out.getvalue()


def test_the_same_seed_gives_the_same_bytes() -> None:
    first = generated(300, seed=42)
    assert first == generated(300, seed=42)
    assert first != generated(300, seed=43)
    assert generated(300, seed=42, file_format="nomis") == generated(
        300, seed=42, file_format="nomis"
    )
    # Check people come out the same whatever the count asked for (person n is person n).
    assert generated(300, seed=42).startswith(generated(100, seed=42))
    noisy = generated(300, seed=42, noise=True)
    assert noisy == generated(300, seed=42, noise=True)
    assert noisy != first
    assert generated(300, seed=42, file_format="nomis", noise=True) == generated(
        300, seed=42, file_format="nomis", noise=True
    )


def test_ten_thousand_journeys_pass_the_domain_rules_with_no_refusal() -> None:
    """Each person's lines, through the import format and the person aggregate, checked
    together as a load does: not one refusal."""
    generator = Generator(seed=7, years=10, end=END)
    entries = people = 0
    kinds: set[str] = set()
    for journey in generator.people(10_000):
        out = io.BytesIO()
        write(out, iter([journey]), "jsonl")
        records = list(read(io.BytesIO(out.getvalue()), "jsonl"))
        assert not [r for r in records if isinstance(r, Reject)]
        registration = records[0]
        assert not isinstance(registration, Reject) and registration.registration
        reg = registration.registration
        person = Person.register(
            person_id=uuid4(),
            given_name=reg["given_name"],
            family_name=reg["family_name"],
            date_of_birth=reg["date_of_birth"],
            sex=reg["sex"],
            identifiers=registration.identifiers,
            provenance=Provenance("gen", "NOMIS", reg["occurred_at"]),
        )
        claims = Claiming(lambda kind, value: None)
        with person.together():
            for record in records[1:]:
                assert not isinstance(record, Reject)
                for step in record.steps:
                    prov = Provenance("gen", "NOMIS", step.occurred_at, source_ref=step.source_ref)
                    assert isinstance(step.command, Command)
                    step.command.apply(person, prov, claims)
                    kinds.add(step.command.operation())
        state = person.state()
        assert state is not None and state.anomalies == ()
        entries += len(person.entries)
        people += 1
    assert people == 10_000
    assert entries > 150_000  # about twenty entries a person
    assert {"admit", "transfer_out", "arrive", "court_out", "tap_out", "release"} <= kinds
    assert {"request_handover", "accept_area_transfer", "allocate_com", "move_cell"} <= kinds


def test_both_formats_load_with_no_rejects(tmp_path: Path) -> None:
    for file_format, noise in (("jsonl", True), ("nomis", False)):
        # Each file describes the same numbered people, so each goes to a store of its own.
        app = JourneyApp(Settings(database_url=f"sqlite:///{tmp_path / file_format}.sqlite"))
        try:
            path = tmp_path / f"people.{file_format}"
            path.write_bytes(generated(150, seed=3, file_format=file_format, noise=noise))
            source = "NOMIS" if file_format == "nomis" else "GENERATOR"
            report = Importer(app).run(path, ImportOptions(source, file_format, "loader"))
            assert report.outcome == "recorded", report.rejects[:3]
            # Check people booked twice (noise only) are records of their own until merged.
            assert report.people == 150 + (len(duplicate_pairs(150, seed=3)) if noise else 0)
        finally:
            app.close()


def load(path: Path, content: bytes, file_format: str = "jsonl") -> JourneyApp:
    """A SQLite store beside `path` holding the generated file, loaded with no reject."""
    app = JourneyApp(Settings(database_url=f"sqlite:///{path}.sqlite"))
    path.write_bytes(content)
    source = "NOMIS" if file_format == "nomis" else "GENERATOR"
    report = Importer(app).run(path, ImportOptions(source, file_format, "loader"))
    assert report.outcome == "recorded", report.rejects[:3]
    return app


def duplicate_pairs(people: int, seed: int) -> list[tuple[str, str]]:
    pairs = io.StringIO()
    journeys = Generator(seed=seed, years=10, end=END, noise=True).people(people)
    for _ in noting_duplicates(journeys, pairs):
        pass
    header, *rows = pairs.getvalue().splitlines()
    assert header == "kept,duplicate"
    return [(kept, dup) for kept, dup in (row.split(",") for row in rows)]


def journal(app: JourneyApp, noms: str) -> list[tuple[str, str, str | None]]:
    """A record's live entries (not identifiers) as kind, effective time and source reference."""
    entries = app.person(noms).active_entries()
    return sorted(
        (type(e).__name__, e.occurred_at.isoformat(), e.source_ref)
        for e in entries
        if not isinstance(e, IdentifierAdded)
    )


def plain(state_part: Any) -> Any:
    """A part of a state without entry numbers (a merge adds entries to the kept record)."""
    if is_dataclass(state_part) and not isinstance(state_part, type):
        return {k: plain(v) for k, v in vars(state_part).items() if k != "entry"}
    return state_part


def test_noise_backdates_cell_moves_and_key_dates_within_each_journey() -> None:
    """A backdated line happened well before a line above it in the file (same person)."""
    backdated: list[str] = []
    for journey in Generator(seed=5, years=10, end=END, noise=True).people(300):
        latest = datetime.min.replace(tzinfo=UTC)
        for line in journey.lines:
            when = datetime.fromisoformat(line["occurred_at"])
            if when + BACKDATED_BY <= latest:
                backdated.append(line["command"])
            latest = max(latest, when)
    assert {"cell-moves", "key-dates"} <= set(backdated)
    assert sum(kind in BACKDATED_KINDS for kind in backdated) > 100


def test_duplicated_people_load_merge_and_match_the_clean_journeys(tmp_path: Path) -> None:
    """Each pair listed merges without refusal into the person generated without noise."""
    pairs = duplicate_pairs(300, seed=1)
    assert len(pairs) >= 3
    kept = {k for k, _ in pairs}
    dups = {d for _, d in pairs}
    # Check no duplicate NOMS number is one a generated person has.
    assert not dups & {j.noms for j in Generator(seed=1, years=10, end=END).people(300)}
    clean = load(tmp_path / "clean", generated(300, seed=1))
    noisy = load(tmp_path / "noisy", generated(300, seed=1, noise=True))
    db = open_read_db(noisy.settings.database)
    try:
        for original, dup in pairs:
            alone = noisy.state(dup)
            assert alone is not None and alone.identifiers == {"NOMS": (dup,)}
            noisy.merge(original, dup, prov(END, reason="duplicate booking", by="dq.team"))
            assert noisy.resolve(dup) == noisy.resolve(original)
        for noms in kept:
            merged, expected = noisy.state(noms), clean.state(noms)
            assert merged is not None and expected is not None
            assert merged.anomalies == expected.anomalies == ()
            assert merged.identifiers["NOMS"][0] == noms and len(merged.identifiers["NOMS"]) == 2
            assert plain(merged.location) == plain(expected.location)
            assert merged.stays == expected.stays
            assert merged.key_dates == expected.key_dates
            assert journal(noisy, noms) == journal(clean, noms) != []
            assert plain(merged.ownership) == plain(expected.ownership)
        Runner(noisy, db).catch_up()
        assert verify(noisy, db).total == 0
    finally:
        db.close()
        noisy.close()
        clean.close()


def test_the_nomis_file_carries_duplicates_under_their_own_number(tmp_path: Path) -> None:
    pairs = duplicate_pairs(300, seed=1)
    app = load(tmp_path / "noisy", generated(300, seed=1, file_format="nomis", noise=True), "nomis")
    try:
        for original, dup in pairs:
            assert app.resolve(dup) != app.resolve(original)
            app.merge(original, dup, prov(END, reason="duplicate booking", by="dq.team"))
            assert app.resolve(dup) == app.resolve(original)
    finally:
        app.close()


def journey(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JOURNEY_DATABASE_URL": url, "COLUMNS": "200"}
    run = [sys.executable, "-m", "ops.cli", *args]
    return subprocess.run(run, env=env, text=True, capture_output=True, timeout=300, check=False)


def test_the_listed_duplicates_merge_with_the_merge_command(tmp_path: Path) -> None:
    """As a recovery team would: generate with --duplicates-out, load, merge each pair."""
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    people, pairs = tmp_path / "people.jsonl", tmp_path / "pairs.csv"
    options = ["--people", "200", "--seed", "3", "--end", "2026-11-01", "--noise"]
    made = journey(url, "generate", *options, "--out", str(people), "--duplicates-out", str(pairs))
    assert made.returncode == 0, made.stdout + made.stderr
    rows = list(csv.DictReader(pairs.read_text(encoding="utf-8").splitlines()))
    assert [(r["kept"], r["duplicate"]) for r in rows] == duplicate_pairs(200, seed=3) != []
    loaded = journey(url, "import", str(people), "--source", "GENERATOR")
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    for row in rows:
        merged = journey(url, "merge", row["kept"], row["duplicate"], "--reason", "booked twice")
        assert merged.returncode == 0, merged.stdout + merged.stderr
    assert journey(url, "projections", "run", "--once").returncode == 0
    verified = journey(url, "projections", "verify")
    assert verified.returncode == 0 and "no drift" in verified.stdout
    app = JourneyApp(Settings(database_url=url))
    try:
        for row in rows:
            assert app.resolve(row["duplicate"]) == app.resolve(row["kept"])
    finally:
        app.close()


def test_duplicates_out_needs_noise(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.csv"
    refused = journey("memory://", "generate", "--people", "5", "--duplicates-out", str(pairs))
    assert refused.returncode == 2 and "--duplicates-out" in refused.stderr
    assert not pairs.exists()
    # Check more people than there are duplicate NOMS numbers is refused, naming the option.
    too_many = generate_problem("jsonl", DUPLICATE_SPACE + 1, noise=True, duplicates=None)
    assert too_many is not None and "--people" in too_many
    assert generate_problem("jsonl", DUPLICATE_SPACE, noise=True, duplicates=pairs) is None
