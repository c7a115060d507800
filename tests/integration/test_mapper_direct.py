"""The mapper reads rows under a live data key without the library's general path: every row
of a generated load, its void and its reinstatement comes out exactly as that path makes it."""

from __future__ import annotations

import io
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import Mapper

from domain.service.application import JourneyApp
from domain.service.keyed_mapper import PersonKeyMapper
from domain.service.settings import Settings
from ops.generator import Generator, write
from replay.importer import Importer, ImportOptions
from replay.voiding import Corrector

END = datetime(2026, 11, 1, tzinfo=UTC)


def loaded(settings: Settings, tmp_path: Path) -> None:
    out = io.BytesIO()
    write(out, Generator(seed=3, years=10, end=END, noise=True).people(60), "jsonl")
    path = tmp_path / "people.jsonl"
    path.write_bytes(out.getvalue())
    with closing(JourneyApp(settings)) as app:
        report = Importer(app).run(path, ImportOptions("GENERATOR", "jsonl", "test"))
        assert report.outcome == "recorded", report
        Corrector(app).void(report.batch_id, reason="wrong file", by="test")
        Corrector(app).reinstate(report.batch_id, reason="right after all", by="test")


def fields(event: Any) -> tuple[type[Any], dict[str, Any]]:
    return type(event), dict(vars(event))


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_every_row_reads_as_the_library_reads_it(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{tmp_path / 'j.sqlite'}" if kind == "sqlite" else None
    settings = Settings(database_url=url or request.getfixturevalue("pg_url"))
    loaded(settings, tmp_path)
    with closing(JourneyApp(settings)) as app:  # a fresh process's view: no key cached
        mapper = app.mapper
        assert isinstance(mapper, PersonKeyMapper)
        rows = app.recorder.select_notifications(start=1, limit=1_000_000)
        direct = 0
        for row in rows:
            quick = mapper.quick.direct(
                row.originator_id, row.originator_version, row.topic, bytes(row.state)
            )
            slow = Mapper.to_domain_event(mapper, row)
            # Check the mapper's answer is the library's, field for field and type for type.
            assert fields(mapper.to_domain_event(row)) == fields(slow)
            if quick is not None:
                direct += 1
                assert fields(quick) == fields(slow)
                assert all(type(v) is type(vars(slow)[k]) for k, v in vars(quick).items())
        # Check the direct path is the one person rows take (batch records take the other).
        assert len(rows) > 1000
        assert direct > 0.9 * len(rows)
