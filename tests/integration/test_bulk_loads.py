"""A load's events written in bulk (COPY on PostgreSQL): every position in order with no gap,
entries stamped when written, and a person changed between the checking and the writing pass
checked again rather than overwritten."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson

from domain.service.application import JourneyApp
from domain.service.movement_commands import MoveCell
from replay import registry
from replay.importer import Importer, ImportOptions
from tests.conftest import prov
from tests.helpers import nomis_movement
from tests.support import noms

PEOPLE = 30


ADMITTED = ("2025-01-06", "ADM", "IN", "OUT", "LEI", "N")
TRANSFERRED = [
    ("2025-03-01", "TRN", "OUT", "LEI", "MDI", "NOTR"),
    ("2025-03-01", "ADM", "IN", "LEI", "MDI", "INT"),
]


def moves(people: range, *steps: tuple[str, ...]) -> list[bytes]:
    """NOMIS movements of each person, a step an hour."""
    return [
        orjson.dumps(nomis_movement(noms(n), *step, clock=f"{10 + i}:00:00"))
        for n in people
        for i, step in enumerate(steps)
    ]


def load(app: JourneyApp, path: Path, lines: list[bytes], **kwargs: object) -> Importer:
    path.write_bytes(b"\n".join(lines) + b"\n")
    importer = Importer(app, chunk=7, **kwargs)  # type: ignore[arg-type]
    report = importer.run(path, ImportOptions("NOMIS", "nomis", "loader"))
    assert report.outcome == "recorded", report.rejects
    return importer


def test_a_load_writes_every_position_in_order_stamped_when_written(
    app: JourneyApp, tmp_path: Path
) -> None:
    load(app, tmp_path / "in.jsonl", moves(range(PEOPLE), ADMITTED, *TRANSFERRED))
    check_written_in_order(app)


def check_written_in_order(app: JourneyApp) -> None:
    """The load's positions run 1, 2, 3 ... with no gap, each person's versions in order, and
    every person reads back transferred, no entry recorded before the load began."""
    batch = next(iter(registry.batches(app)))
    log = list(app.notification_log.select(start=1, limit=1000))
    assert [row.id for row in log] == list(range(1, len(log) + 1))
    versions: dict[object, list[int]] = {}
    for row in log:
        versions.setdefault(row.originator_id, []).append(row.originator_version)
    assert all(v == list(range(1, len(v) + 1)) for v in versions.values())
    for n in range(PEOPLE):
        state = app.state(noms(n))
        assert state is not None and state.location.agency == "MDI"
        assert app.person(noms(n)).state(as_known_at=batch.loaded_at) is None
        assert all(e.recorded_at >= batch.loaded_at for e in app.timeline(noms(n)))


def test_a_person_changed_between_the_passes_is_checked_again(
    app: JourneyApp, tmp_path: Path
) -> None:
    load(app, tmp_path / "first.jsonl", moves(range(PEOPLE), ADMITTED))
    changed = noms(3)

    def meanwhile(phase: str, done: int, total: int) -> None:
        # The checking pass is over: another user moves one person before the write.
        if phase == "checking" and done == total:
            moved = prov(datetime(2025, 2, 1, tzinfo=UTC))
            app.handle(changed, [MoveCell(prison="LEI", cell="B-2-002")], moved)

    second = moves(range(PEOPLE), *TRANSFERRED)
    load(app, tmp_path / "second.jsonl", second, progress=meanwhile)
    # Check both the other user's entry and the load's stand, each once, on every person.
    state = app.state(changed)
    assert state is not None and state.location.agency == "MDI"
    for n in range(PEOPLE):
        entries = app.person(noms(n)).active_entries()
        assert len(entries) == (4 if noms(n) == changed else 3), entries
    # Check the positions still only rise (the refused write's are skipped, never reused).
    ids = [n.id for n in app.notification_log.select(start=1, limit=1000)]
    assert ids == sorted(set(ids))
