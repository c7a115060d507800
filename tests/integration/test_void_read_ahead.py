"""A void reads each span of people while the one before it is saved: a record saved in one
span and read ahead for the next (a record others were merged into) is done afresh."""

from __future__ import annotations

from pathlib import Path

from domain.service.application import JourneyApp
from replay import registry
from replay.importer import Importer, ImportOptions
from replay.loading import PeopleLoader
from replay.voiding import Corrector
from tests.conftest import at, prov
from tests.integration.test_recovery import true_history, write_jsonl
from tests.support import noms


def test_a_void_read_ahead_of_a_records_save_still_voids_every_copy(
    app: JourneyApp, tmp_path: Path
) -> None:
    # One man's two records in one load: the old one holds key dates, the current one a stay.
    old, current = true_history(0), true_history(1)
    old[0]["family_name"] = current[0]["family_name"]
    lines = [old[0], old[2], current[0], current[1]]
    loaded = Importer(app).run(
        write_jsonl(tmp_path / "load.jsonl", lines), ImportOptions("NOMIS", "jsonl", "loader")
    )
    assert loaded.outcome == "recorded", loaded.rejects
    app.merge(noms(1), noms(0), prov(at(1), reason="NOMIS merge", by="dq.team"))
    people = registry.batch(app, loaded.batch_id).people
    assert len(people) == 2

    # Check a void one person a span voids the load's entries and their copies, once each.
    done = Corrector(app, chunk=1).void(loaded.batch_id, reason="wrong file", by="rec.lead")
    assert registry.batch(app, loaded.batch_id).status == "voided"
    found = PeopleLoader(app).by_ids(people)
    for person in found.values():
        mine = {e.originator_version for e in person.entries if e.batch_id == loaded.batch_id}
        assert mine and mine <= set(person.voids())
    # The record merged into is counted in its own span and in the span of the record merged
    # into it, as a void one span at a time always counted it.
    assert (done.people, done.entries) == (3, 5)

    # Check voiding again finds nothing left to void.
    for person in found.values():
        assert person.void(prov(at(2), reason="again"), batch=loaded.batch_id) is None
