"""Event payloads encrypted at rest with the store library's AES cipher, key from settings."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import date
from pathlib import Path
from uuid import UUID

import orjson
import psycopg
import pytest
from eventsourcing.cipher import AESCipher
from eventsourcing.persistence import EventStore, Mapper, MapperDeserialisationError

from domain.service.application import JourneyApp
from domain.service.catalogue import Admit, MoveCell
from domain.service.datakeys import key_id_of
from domain.service.settings import Settings
from domain.service.storage import DatabaseURL
from ops.rotation import reencrypt
from projections.runner import Runner
from projections.verify import verify
from tests.conftest import at, prov
from tests.helpers import journey_and_read_db, journey_app, register


def test_stored_rows_are_unreadable_without_the_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'secret.sqlite'}"
    settings = Settings(database_url=url, cipher_key=AESCipher.create_key(32))
    with journey_and_read_db(settings) as (app, db):
        register(app, "A7777ZZ", "Secret", "Person", date(1970, 1, 1))
        app.handle("A7777ZZ", [Admit(prison="LEI", movement_reason="N")], prov(at(0)))
        # Check the read side decodes through the cipher too, and agrees with the log.
        Runner(app, db).catch_up()
        assert verify(app, db).total == 0
        state = app.state("A7777ZZ")
        assert state is not None and state.location.agency == "LEI"
    with sqlite3.connect(tmp_path / "secret.sqlite") as conn:
        blobs = [bytes(r[0]) for r in conn.execute("SELECT state FROM stored_events")]
    assert blobs and not any(b"Secret" in b or b"LEI" in b for b in blobs)
    # Check a wrong key cannot read the history.
    wrong = Settings(database_url=url, cipher_key=AESCipher.create_key(32))
    unreadable(wrong, "A7777ZZ", MapperDeserialisationError)


def unreadable(settings: Settings, noms: str, *errors: type[Exception]) -> None:
    """Check a person's history cannot be read with these settings' keys."""
    with journey_app(settings) as app, pytest.raises(errors):
        app.state(noms)


def rotate_store(url: str) -> None:
    """Rows written under key 1, rotated to key 2, then readable with key 2 alone."""
    one, two = AESCipher.create_key(32), AESCipher.create_key(32)
    with journey_app(Settings(database_url=url, cipher_key=one)) as app:
        register(app, "A8888ZZ", "Rotated", "Person", date(1971, 2, 3))
        app.handle("A8888ZZ", [Admit(prison="LEI", movement_reason="N")], prov(at(0)))
    # Check the keyring reads rows under the old key while new rows go under the new one.
    with journey_app(Settings(database_url=url, cipher_key=two, cipher_old_keys=(one,))) as during:
        during.handle("A8888ZZ", [MoveCell(prison="LEI", cell="A-1-001")], prov(at(1)))
        first = reencrypt(during, batch=2)
        # Check the person's data key is rewrapped; their rows, under it, stay as they are.
        assert (first.rows, first.rewritten, first.keys) == (4, 0, 1)
        # Check a second run finds nothing left to do (the command is resumable).
        again = reencrypt(during, batch=2)
        assert (again.rewritten, again.keys) == (0, 0)
    with journey_and_read_db(Settings(database_url=url, cipher_key=two)) as (after, db):
        state = after.state("A8888ZZ")
        assert state is not None
        assert (state.location.agency, state.location.cell) == ("LEI", "A-1-001")
        assert state.given_name == "Rotated"
        # Check the read models build from the re-encrypted log and agree with it.
        Runner(after, db).catch_up()
        assert verify(after, db).total == 0
    for settings in (
        Settings(database_url=url, cipher_key=one),
        Settings(database_url=url),
    ):
        unreadable(settings, "A8888ZZ", MapperDeserialisationError, orjson.JSONDecodeError)


def test_key_rotation_on_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "rotate.sqlite"
    rotate_store(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:
        blobs = [bytes(r[0]) for r in conn.execute("SELECT state FROM stored_events")]
    assert len(blobs) == 4
    assert not any(b"Rotated" in b or b"A8888ZZ" in b or b"1971-02-03" in b for b in blobs)


@pytest.mark.postgres
def test_key_rotation_on_postgres(pg_url: str) -> None:
    rotate_store(pg_url)
    url = DatabaseURL.parse(pg_url)
    with psycopg.connect(url.conninfo()) as conn:
        rows = conn.execute(f"SELECT state FROM {url.schema}.journeys_events").fetchall()
    assert len(rows) == 4
    assert not any(b"Rotated" in bytes(r[0]) or b"A8888ZZ" in bytes(r[0]) for r in rows)


def journey(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "COLUMNS": "200", **env}
    command = [sys.executable, "-m", "ops.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, env=full, check=False)


def test_the_rotation_commands(tmp_path: Path) -> None:
    made = journey({}, "store", "new-key")
    one, two = made.stdout.strip(), journey({}, "store", "new-key").stdout.strip()
    assert made.returncode == 0 and one != two
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    with journey_app(Settings(database_url=url, cipher_key=one)) as app:
        register(app, "A9999CL", "Command", "Line", None)
    rotate = {"JOURNEY_DATABASE_URL": url, "JOURNEY_CIPHER_KEY": two}
    done = journey({**rotate, "JOURNEY_CIPHER_OLD_KEYS": one}, "store", "reencrypt")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 rows, 0 re-encrypted" in done.stdout and "1 data keys rewrapped" in done.stdout
    assert "A9999CL" in journey(rotate, "whereis", "A9999CL").stdout
    # Check production refuses to serve without a key, naming the setting.
    refused = journey({"JOURNEY_DATABASE_URL": url, "JOURNEY_MODE": "production"}, "serve")
    assert refused.returncode == 2 and "JOURNEY_CIPHER_KEY" in refused.stderr


class BeforePersonKeys(JourneyApp):
    """The application as it stored events before per-person keys: all under the app key."""

    def construct_mapper(self) -> Mapper[UUID]:
        return Mapper(transcoder=self.construct_transcoder(), cipher=self.factory.cipher())

    def construct_event_store(self) -> EventStore[UUID]:
        return EventStore(self.mapper, self.recorder)


def test_rows_from_before_per_person_keys_read_and_move_under_them(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'legacy.sqlite'}"
    one, two = AESCipher.create_key(32), AESCipher.create_key(32)
    with closing(BeforePersonKeys(Settings(database_url=url, cipher_key=one))) as old:
        register(old, "A6666LG", "Legacy", "Row", date(1972, 4, 5))
    # Check the old rows read as they are, beside new rows under the person's data key.
    with journey_app(Settings(database_url=url, cipher_key=two, cipher_old_keys=(one,))) as app:
        app.handle("A6666LG", [Admit(prison="LEI", movement_reason="N")], prov(at(0)))
        assert app.state("A6666LG").given_name == "Legacy"  # type: ignore[union-attr]
        moved = reencrypt(app, batch=2)
        # Check the registration and the claim moved under the person's data key.
        assert (moved.rows, moved.rewritten) == (3, 2)
        assert reencrypt(app, batch=2).rewritten == 0
    with sqlite3.connect(tmp_path / "legacy.sqlite") as conn:
        blobs = [bytes(r[0]) for r in conn.execute("SELECT state FROM stored_events")]
    assert all(key_id_of(b) is not None for b in blobs)
    with journey_app(Settings(database_url=url, cipher_key=two)) as after:
        assert after.state("A6666LG").location.agency == "LEI"  # type: ignore[union-attr]
