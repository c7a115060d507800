"""Event payloads encrypted at rest with the store library's AES cipher, key from settings."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from eventsourcing.cipher import AESCipher
from eventsourcing.persistence import MapperDeserialisationError

from domain.service.application import JourneyApp
from domain.service.settings import Settings
from projections.db import open_read_db
from projections.runner import Runner
from projections.verify import verify
from tests.conftest import at, prov


def test_stored_rows_are_unreadable_without_the_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'secret.sqlite'}"
    settings = Settings(database_url=url, cipher_key=AESCipher.create_key(32))
    app = JourneyApp(settings)
    db = open_read_db(settings.database)
    try:
        app.register(
            prov(at(-1)),
            given_name="Secret",
            family_name="Person",
            date_of_birth=date(1970, 1, 1),
            identifiers={"NOMS": "A7777ZZ"},
        )
        app.admit("A7777ZZ", prov(at(0)), prison="LEI", reason="N")
        # Check the read side decodes through the cipher too, and agrees with the log.
        Runner(app, db).catch_up()
        assert verify(app, db).total == 0
        state = app.state("A7777ZZ")
        assert state is not None and state.location.agency == "LEI"
    finally:
        db.close()
        app.close()
    with sqlite3.connect(tmp_path / "secret.sqlite") as conn:
        blobs = [bytes(r[0]) for r in conn.execute("SELECT state FROM stored_events")]
    assert blobs and not any(b"Secret" in b or b"LEI" in b for b in blobs)
    # Check a wrong key cannot read the history.
    wrong = JourneyApp(Settings(database_url=url, cipher_key=AESCipher.create_key(32)))
    try:
        with pytest.raises(MapperDeserialisationError):
            wrong.state("A7777ZZ")
    finally:
        wrong.close()
