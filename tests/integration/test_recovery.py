"""The bad-load drill: a true history, an older extract loaded over it, the void that undoes it.

Runs on SQLite and PostgreSQL with the read models following.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from domain.service.application import JourneyApp
from projections.db import ReadDb
from projections.queries import person_record_by_identifier
from projections.runner import Runner
from projections.verify import verify
from replay import registry
from replay.importer import Importer, ImportOptions
from replay.voiding import Corrector, summary
from tests.support import noms

START = datetime(2025, 3, 3, 9, tzinfo=UTC)
PEOPLE = 24
DAMAGED = range(0, PEOPLE, 3)  # every third person is in the older extract, with changes
UNCHANGED_IN_EXTRACT = range(1, PEOPLE, 6)  # also in it, but exactly as recorded already


def write_jsonl(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"\n".join(orjson.dumps(line) for line in lines) + b"\n")
    return path


def when(days: float) -> str:
    return (START + timedelta(days=days)).isoformat()


def true_history(n: int) -> list[dict[str, Any]]:
    number = noms(n)
    return [
        {
            "command": "register",
            "given_name": "True",
            "family_name": f"Person{n}",
            "date_of_birth": "1985-04-02",
            "identifiers": {"NOMS": number},
            "occurred_at": when(0),
            "source_ref": f"reg-{number}",
        },
        {
            "command": "admissions",
            "person": number,
            "prison": "LEI",
            "movement_reason": "N",
            "occurred_at": when(1),
            "source_ref": f"adm-{number}",
        },
        {
            "command": "key-dates",
            "person": number,
            "dates": {"CRD": "2027-06-01", "SED": "2028-01-01"},
            "occurred_at": when(2),
            "source_ref": f"kd-{number}",
        },
        {
            "command": "transfers-out",
            "person": number,
            "from_prison": "LEI",
            "to_prison": "MDI",
            "occurred_at": when(40),
            "source_ref": f"trn-{number}",
        },
        {
            "command": "arrivals",
            "person": number,
            "prison": "MDI",
            "from_prison": "LEI",
            "occurred_at": when(40.3),
            "source_ref": f"arr-{number}",
        },
        {
            "command": "pom-allocations",
            "person": number,
            "officer": "POM Current",
            "prison": "MDI",
            "occurred_at": when(41),
            "source_ref": f"pom-{number}",
        },
    ]


def older_extract(n: int) -> list[dict[str, Any]]:
    """What the older data file does to a person: back to Leeds, old dates, old POM."""
    number = noms(n)
    return [
        {
            "command": "transfers-out",
            "person": number,
            "from_prison": "MDI",
            "to_prison": "LEI",
            "occurred_at": when(60),
            "source_ref": f"old-trn-{number}",
        },
        {
            "command": "arrivals",
            "person": number,
            "prison": "LEI",
            "from_prison": "MDI",
            "occurred_at": when(60.2),
            "source_ref": f"old-arr-{number}",
        },
        {
            "command": "key-dates",
            "person": number,
            "dates": {"CRD": "2026-01-15"},
            "occurred_at": when(60.5),
            "source_ref": f"old-kd-{number}",
        },
        {
            "command": "pom-allocations",
            "person": number,
            "officer": "POM Former",
            "prison": "LEI",
            "occurred_at": when(61),
            "source_ref": f"old-pom-{number}",
        },
    ]


def answers(app: JourneyApp) -> dict[str, dict[str, str]]:
    return {noms(n): summary(app.state(noms(n))) for n in range(PEOPLE)}


def test_bad_load_is_voided_and_the_truth_restored(
    store: tuple[JourneyApp, ReadDb], tmp_path: Path
) -> None:
    app, db = store
    runner = Runner(app, db)
    importer = Importer(app, chunk=5)

    # Check the true history loads whole.
    truth_file = write_jsonl(
        tmp_path / "truth.jsonl", [line for n in range(PEOPLE) for line in true_history(n)]
    )
    loaded = importer.run(truth_file, ImportOptions("NOMIS", "jsonl", "loader.truth"))
    assert loaded.outcome == "recorded", loaded.rejects
    assert (loaded.registered, loaded.entries) == (PEOPLE, PEOPLE * 6)
    truth = answers(app)
    assert truth[noms(0)]["location"] == "in MDI"

    # Check the older extract, loaded as a new batch, reverts the damaged people.
    extract_lines = [line for n in DAMAGED for line in older_extract(n)]
    extract_lines += [line for n in UNCHANGED_IN_EXTRACT for line in true_history(n)[1:3]]
    extract = write_jsonl(tmp_path / "extract.jsonl", extract_lines)
    bad = importer.run(extract, ImportOptions("NOMIS", "jsonl", "dr.exercise"))
    assert bad.outcome == "recorded", bad.rejects
    assert bad.people == len(DAMAGED)
    assert bad.duplicates == 2 * len(UNCHANGED_IN_EXTRACT)
    runner.catch_up()
    damaged = {noms(n) for n in DAMAGED}
    after_load = answers(app)
    for number in damaged:
        assert after_load[number]["location"] == "in LEI"
        assert after_load[number]["key date CRD"] == "2026-01-15"
        assert after_load[number]["POM"] == "POM Former"
        found = person_record_by_identifier(db, number)
        assert found is not None
        assert found[1].location["agency"] == "LEI"
    assert {k for k in truth if truth[k] != after_load[k]} == damaged

    # Check the dry run lists exactly the damaged people, from what to what.
    corrector = Corrector(app, chunk=4)
    plan = corrector.plan(bad.batch_id, "void")
    listed = {p.identifiers.removeprefix("NOMS ") for p in plan.changed}
    assert listed == damaged
    one = next(p for p in plan.changed if p.identifiers == f"NOMS {noms(0)}")
    changes = {c.field: (c.before, c.after) for c in one.changes}
    assert changes["location"] == ("in LEI", "in MDI")
    assert changes["key date CRD"] == ("2026-01-15", "2027-06-01")
    assert after_load == answers(app), "a dry run must record nothing"

    # Check the void restores every location, owner and key date.
    done = corrector.void(bad.batch_id, reason="older DR extract loaded by mistake", by="rec.lead")
    assert (done.people, done.entries) == (len(DAMAGED), 4 * len(DAMAGED))
    assert answers(app) == truth
    assert registry.batch(app, bad.batch_id).status == "voided"

    # Check the timeline shows the voided entries with the reason.
    entries = app.timeline(noms(0))
    voided = [e for e in entries if e.voided is not None]
    assert len(voided) == 4
    assert all(e.batch_id == bad.batch_id for e in voided)
    assert {e.voided.reason for e in voided if e.voided} == {"older DR extract loaded by mistake"}
    assert {e.voided.voided_by for e in voided if e.voided} == {"rec.lead"}

    # Check the read models follow, with zero drift.
    runner.catch_up()
    found = person_record_by_identifier(db, noms(0))
    assert found is not None
    assert found[1].location["agency"] == "MDI"
    assert verify(app, db).total == 0

    # Check knowledge-time travel still shows what staff saw after the bad load.
    seen = app.person(noms(0)).state(as_known_at=registry.batch(app, bad.batch_id).loaded_at)
    assert seen is not None
    assert summary(seen) == truth[noms(0)], "before the bad load's entries were recorded"

    # Check reinstating brings the load back, and voiding again is refused with a reason.
    back = corrector.reinstate(bad.batch_id, reason="drill: reinstate", by="rec.lead")
    assert back.people == len(DAMAGED)
    assert answers(app) == after_load
    runner.catch_up()
    assert verify(app, db).total == 0
