"""The journey generator: deterministic, and every journey keeps the domain's own rules."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

from domain.person.aggregate import Person
from domain.provenance import Provenance
from domain.service.application import JourneyApp
from domain.service.settings import Settings
from ops.generator import Generator, write
from replay.batch import Reject
from replay.formats import read
from replay.importer import Importer, ImportOptions

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
        with person.together():
            for record in records[1:]:
                assert not isinstance(record, Reject)
                for step in record.steps:
                    prov = Provenance("gen", "NOMIS", step.occurred_at, source_ref=step.source_ref)
                    getattr(person, step.method)(prov, **step.fields)
                    kinds.add(step.method)
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
            assert report.people == 150
        finally:
            app.close()
