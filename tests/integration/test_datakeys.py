"""Per-person data keys as readers meet them: a reader going through the log person by person
fetches keys in pages, not one query a person; a process holding a key it cached hears of
its destruction by another process; the cache stays within its bounds however many people a
process meets."""

from __future__ import annotations

import random
from collections.abc import Sequence
from contextlib import closing
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from api.erasure_cover import covers
from domain.erasure import PersonErased, Tombstone
from domain.service.application import JourneyApp
from domain.service.datakey_cipher import BUSY, READ_AHEAD, DataKeyCipher
from domain.service.datakeys import DataKey, SqlKeys
from domain.service.keyed_mapper import PersonKeyMapper
from domain.service.settings import Settings
from projections.db import open_read_db
from projections.runner import Runner
from projections.source import EventSource
from replay.erasure import Erasure
from tests.helpers import register
from tests.support import noms, seed


class CountingKeys(SqlKeys):
    """The SQL key store, counting the reads that fetch keys by id, and the keys they read."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.reads = self.pages = self.rows = 0

    def by_id(self, key_id: bytes) -> DataKey | None:
        self.reads += 1
        found = super().by_id(key_id)
        self.rows += found is not None
        return found

    def following(self, key_id: bytes, limit: int) -> list[DataKey]:
        self.reads += 1
        self.pages += 1
        found = super().following(key_id, limit)
        self.rows += len(found)
        return found


def counting(app: JourneyApp) -> CountingKeys:
    mapper = app.mapper
    assert isinstance(mapper, PersonKeyMapper)
    store = CountingKeys(app.settings.database, mapper.cipher.store.wrapper)
    mapper.cipher.store = store
    return store


def states(app: JourneyApp) -> Sequence[Any]:
    source = EventSource(app)
    return list(source.stream_states(source.head()))


def test_a_stream_through_the_log_reads_keys_in_pages(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'many.sqlite'}")
    with closing(JourneyApp(settings)) as app:
        seed(app, 0, 600)
    with closing(JourneyApp(settings)) as fresh:
        store = counting(fresh)
        assert len(states(fresh)) == 600
        assert store.reads <= BUSY + 1 + 600 // READ_AHEAD + 1
        store.close()


def test_people_met_in_no_order_read_their_own_keys_and_no_pages(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'random.sqlite'}")
    with closing(JourneyApp(settings)) as app:
        seed(app, 0, 600)
    order = list(range(600))
    random.Random(7).shuffle(order)
    with closing(JourneyApp(settings)) as fresh:
        store = counting(fresh)
        # As a server meets them: many a second, in no order (all faster than BUSY a second).
        for n in order[:300]:
            assert fresh.state(noms(n)) is not None
        assert store.pages == 0
        assert store.rows == store.reads == 300
        # Then a stream through the log in person order: pages again.
        before = store.reads
        assert len(states(fresh)) == 600
        assert store.pages >= 1
        assert store.reads - before <= BUSY + 1 + 600 // READ_AHEAD + 1
        store.close()


def test_another_process_hears_of_an_erasure(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'two.sqlite'}")
    with (
        closing(JourneyApp(settings)) as one,
        closing(JourneyApp(settings)) as two,
        closing(open_read_db(settings.database)) as db,
    ):
        register(one, noms(1), "Held", "Incache", date(1980, 1, 1))
        Runner(one, db).catch_up()
        assert two.state(noms(1)) is not None  # `two` now holds the key
        mapper = two.mapper
        assert isinstance(mapper, PersonKeyMapper)
        held = mapper.cipher.people[one.resolve(noms(1))]
        erasure = Erasure(one, db, covers(db))
        plan = erasure.plan(noms(1), "NO-LONGER-NEEDED")
        erasure.erase(noms(1), "NO-LONGER-NEEDED", "retention period over", "admin", plan.token)
        mapper.cipher.polled = 0.0  # as a second later: it looks for destroyed keys
        with pytest.raises(PersonErased):
            two.state(noms(1))
        # Check the key itself is gone from its cache: a row under it reads as erased.
        assert mapper.cipher.cipher(held) == Tombstone(datetime.now(UTC).date(), "NO-LONGER-NEEDED")


def test_the_key_cache_keeps_within_its_bounds(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'bounded.sqlite'}")
    with closing(JourneyApp(settings)) as app:
        seed(app, 0, 120)
    with closing(JourneyApp(settings)) as fresh:
        mapper = fresh.mapper
        assert isinstance(mapper, PersonKeyMapper)
        cipher = DataKeyCipher(mapper.cipher.store, mapper.cipher.app_cipher, rows=30, ciphers=10)
        mapper.cipher = cipher
        # Check every person still reads (and takes a new entry) with 30 keys cached at most,
        # 10 of them as ciphers: those given way are read again when met again.
        for _ in range(2):
            assert len(states(fresh)) == 120
            assert len(cipher.rows) <= 30 and len(cipher.ciphers) <= 10
            assert len(cipher.people) <= 30
        register(fresh, noms(500), "Late", "Comer", date(1990, 5, 5))
        assert fresh.state(noms(500)) is not None and fresh.state(noms(3)) is not None
        assert len(cipher.rows) <= 30 and len(cipher.ciphers) <= 10
