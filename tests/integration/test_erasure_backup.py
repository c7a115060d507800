"""A backup taken before an erasure, restored after it, does not bring the person back: the live
store's destruction log is carried into the restored store and made again there."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from domain.service.application import JourneyApp
from domain.service.settings import Settings
from domain.service.storage import DatabaseURL
from ops import backup
from projections.db import open_read_db
from tests.integration.test_backup_restore import fresh_database  # noqa: F401  # a fixture
from tests.integration.test_erasure import (
    FAMILY,
    assert_absent,
    check_erased,
    erase,
    pg_dump,
    populate,
    sqlite_bytes,
)


def erase_after_backup(live: Settings, take: Callable[[], None]) -> None:
    """The person and another, backed up, then the person erased in the live store."""
    with closing(JourneyApp(live)) as app, closing(open_read_db(live.database)) as db:
        populate(app, db)
        take()
        erase(app, db)


def check_restored(live: Settings, restored: Settings) -> None:
    carried = backup.carry_erasures(live, restored)
    assert [e.id for e in carried] == [1]
    # Check a second pass finds nothing left to carry.
    assert backup.carry_erasures(live, restored) == []
    with closing(JourneyApp(restored)) as app, closing(open_read_db(restored.database)) as db:
        check_erased(app, db)


def test_a_sqlite_backup_restored_after_an_erasure(tmp_path: Path) -> None:
    live = Settings(database_url=f"sqlite:///{tmp_path / 'live.sqlite'}")
    copy, into = tmp_path / "before.sqlite.bak", tmp_path / "restored" / "store.sqlite"
    erase_after_backup(live, lambda: backup.sqlite_backup(live.database, copy))
    # Check the backup itself still holds the person (their events only under a dead key).
    assert FAMILY.encode() in copy.read_bytes()
    restored = Settings(database_url=f"sqlite:///{into}")
    backup.sqlite_restore(copy, restored.database)
    check_restored(live, restored)
    assert_absent(sqlite_bytes(into))


@pytest.mark.postgres
def test_a_postgres_backup_restored_after_an_erasure(
    pg_url: str,
    fresh_database: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    live = Settings(database_url=pg_url)
    copy = tmp_path / "before.dump"
    url = DatabaseURL.parse(pg_url)
    erase_after_backup(live, lambda: backup.backup(url, copy))
    into = f"{fresh_database}?schema={url.schema}"
    backup.restore(copy, DatabaseURL.parse(into))
    restored = Settings(database_url=into)
    assert FAMILY.encode() in pg_dump(into)
    check_restored(live, restored)
    assert_absent(pg_dump(into))
