"""The recovery console's dry run as a job: it reports how many people it has read as it
goes, ends with the same plan as the corrector's own, and the same dry run is not started
twice while it runs."""

from __future__ import annotations

from pathlib import Path

import orjson

from api.pages.jobs import Preview, PreviewCorrector, Previews
from domain.service.application import JourneyApp
from replay.importer import Importer, ImportOptions
from replay.voiding import Corrector
from tests.support import noms

PEOPLE = 7


def loaded(app: JourneyApp, tmp_path: Path) -> str:
    lines = []
    for n in range(PEOPLE):
        number = noms(n)
        lines.append(
            {
                "command": "register",
                "given_name": "Pre",
                "family_name": f"View{n}",
                "date_of_birth": "1985-04-02",
                "identifiers": {"NOMS": number},
                "occurred_at": "2025-03-03T09:00:00+00:00",
                "source_ref": f"reg-{number}",
            }
        )
        lines.append(
            {
                "command": "admissions",
                "person": number,
                "prison": "LEI",
                "movement_reason": "N",
                "occurred_at": "2025-03-04T09:00:00+00:00",
                "source_ref": f"adm-{number}",
            }
        )
    path = tmp_path / "load.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(line) for line in lines) + b"\n")
    report = Importer(app, chunk=5).run(path, ImportOptions("NOMIS", "jsonl", "loader"))
    return report.batch_id


def test_the_dry_run_counts_people_read_and_plans_as_the_corrector(
    memory_app: JourneyApp, tmp_path: Path
) -> None:
    batch_id = loaded(memory_app, tmp_path)
    seen: list[tuple[str, int, int]] = []
    corrector = PreviewCorrector(memory_app, chunk=3, progress=lambda *p: seen.append(p))
    plan = corrector.plan(batch_id, "void")
    # Check progress runs from none to everyone, a chunk at a time, never past the total.
    assert seen[0] == ("previewing", 0, PEOPLE)
    assert [done for _, done, _ in seen] == [0, 3, 6, 7]
    assert plan == Corrector(memory_app).plan(batch_id, "void")
    assert plan.people == PEOPLE


def test_one_dry_run_per_batch_kind_and_user_at_a_time(
    memory_app: JourneyApp, tmp_path: Path
) -> None:
    batch_id = loaded(memory_app, tmp_path)
    previews = Previews()
    first = previews.start(memory_app, Preview(batch_id, "void", "older extract", "rec.lead"))
    assert first.finished.wait(30)
    assert first.error is None and first.report is not None
    assert first.report.people == PEOPLE and first.phase == "done"
    assert previews.get(batch_id, "void", "rec.lead") is first
    assert previews.get(batch_id, "void", "someone.else") is None
    again = previews.start(memory_app, Preview(batch_id, "void", "second look", "rec.lead"))
    assert again is not first and again.finished.wait(30)
