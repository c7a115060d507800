"""A void reads its people a span at a time through one connection kept for the whole walk:
a fresh connection's first query cost several times the read itself."""

from __future__ import annotations

from domain.service.application import JourneyApp
from projections.db import ReadDb
from replay.loading import PeopleLoader
from replay.span_reading import SpanReader, read_ahead
from tests.support import noms, seed

PEOPLE = 12


def test_spans_read_through_one_connection_give_the_rows_and_people_of_separate_reads(
    store: tuple[JourneyApp, ReadDb],
) -> None:
    app, _ = store
    seed(app, 0, PEOPLE)
    ids = sorted(str(app.resolve(noms(n))) for n in range(PEOPLE))
    spans = [ids[start : start + 5] for start in range(0, PEOPLE, 5)]
    loader = PeopleLoader(app)
    assert loader.source is not None
    reader = SpanReader(loader.source)
    try:
        backends = set()
        for span in spans:
            assert reader.rows(span) == loader.source.people_rows(span)
            if reader.conn is not None:
                backends.add(reader.conn.info.backend_pid)
        # Check PostgreSQL was read by one server process, whatever the number of spans.
        assert len(backends) == (1 if app.settings.database.kind == "postgres" else 0)
    finally:
        reader.close()
    assert reader.conn is None

    # Check the spans read ahead give each span's people as read alone.
    found = list(read_ahead(loader, iter(spans)))
    assert [sorted(people) for people in found] == spans
    for people in found:
        alone = loader.by_ids(list(people))
        for person_id, person in people.items():
            assert person.version == alone[person_id].version
            assert person.entries == alone[person_id].entries
