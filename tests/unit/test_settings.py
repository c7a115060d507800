"""Settings: one database URL selects the store, and only typed settings configure it."""

from __future__ import annotations

import base64
import os
from datetime import date
from pathlib import Path

import pytest
from eventsourcing.cipher import AESCipher

from domain.errors import InvalidValue
from domain.service.keyring import PUBLISHED_KEYS
from domain.service.settings import DEFAULT_DATABASE_URL, Settings
from domain.service.storage import DatabaseURL
from tests.conftest import at, prov
from tests.helpers import journey_app

FIELD = "JOURNEY_DATABASE_URL"
KEY = AESCipher.create_key(32)
PUBLISHED = next(iter(PUBLISHED_KEYS))
ZEROS = base64.b64encode(bytes(32)).decode()
MEMORY_ENV = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
POSTGRES_KEYS = {
    "PERSISTENCE_MODULE",
    "POSTGRES_DBNAME",
    "POSTGRES_HOST",
    "POSTGRES_PORT",
    "POSTGRES_USER",
    "POSTGRES_PASSWORD",
    "POSTGRES_SCHEMA",
    "POSTGRES_POOL_SIZE",
    "POSTGRES_MAX_OVERFLOW",
    "POSTGRES_CONNECT_TIMEOUT",
    "APPLICATION_RECORDER_TOPIC",
    "POSTGRES_LOCK_TIMEOUT",
    "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT",
}


# ---- parsing ----


def test_memory_url() -> None:
    parsed = DatabaseURL.parse("memory://")
    assert parsed.kind == "memory"
    assert parsed.path == ""
    assert parsed.dbname == ""


def test_sqlite_url_with_absolute_path(tmp_path: Path) -> None:
    target = tmp_path / "store" / "j.sqlite"
    parsed = DatabaseURL.parse(f"sqlite:///{target}")
    assert parsed.kind == "sqlite"
    assert parsed.path == str(target)
    # Check percent-escapes in the path are decoded.
    escaped = DatabaseURL.parse(f"sqlite:///{tmp_path}/with%20space.sqlite")
    assert escaped.path == f"{tmp_path}/with space.sqlite"


def test_postgresql_url_with_every_part() -> None:
    parsed = DatabaseURL.parse(
        "postgresql://journey:p%40ss%3Aword@db.example.org:6543/journeys"
        "?schema=jt_live&pool_size=7&max_overflow=3"
    )
    assert parsed == DatabaseURL(
        kind="postgres",
        host="db.example.org",
        port=6543,
        user="journey",
        password="p@ss:word",
        dbname="journeys",
        schema="jt_live",
        pool_size=7,
        max_overflow=3,
    )


def test_postgresql_url_defaults_and_short_scheme() -> None:
    parsed = DatabaseURL.parse("postgres://db.example.org/journeys")
    assert parsed.kind == "postgres"
    assert (parsed.host, parsed.port, parsed.user, parsed.password) == (
        "db.example.org",
        5432,
        "postgres",
        "",
    )
    assert (parsed.dbname, parsed.schema, parsed.pool_size, parsed.max_overflow) == (
        "journeys",
        "public",
        5,
        10,
    )
    # Check the last of a repeated query parameter wins.
    repeated = DatabaseURL.parse("postgresql://h/db?pool_size=2&pool_size=9")
    assert repeated.pool_size == 9


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("mysql://root@localhost/journeys", "must start with postgresql://"),
        ("", "must start with postgresql://"),
        ("journeys.sqlite", "must start with postgresql://"),
        ("sqlite://", "sqlite URL must be sqlite:///relative/path"),
        ("sqlite:///", "sqlite URL must be sqlite:///relative/path"),
        ("sqlite://rel/x.sqlite", "sqlite URL must be sqlite:///relative/path"),
        ("postgresql://h/db?schema=", "schema must be a lower-case identifier"),
        ("postgresql://u@h:0/db", "port must be 1-65535"),
        ("postgresql://h/db?pool_size=0", "pool_size at least 1"),
        ("postgresql://h/db?pool_size=-3", "pool_size at least 1"),
        ("postgresql://h/db?max_overflow=-1", "max_overflow at least 0"),
        ("postgresql://postgres@127.0.0.1:5432", "needs a database name"),
        ("postgresql://postgres@127.0.0.1:5432/", "needs a database name"),
        ("postgresql://h/db?schema=x;drop", "schema must be a lower-case identifier"),
        ("postgresql://h/db?schema=x%3Bdrop%20table", "schema must be a lower-case identifier"),
        ("postgresql://h/db?schema=Journeys", "schema must be a lower-case identifier"),
        ("postgresql://h/db?schema=1abc", "schema must be a lower-case identifier"),
        ("postgresql://h/db?schema=" + "a" * 64, "schema must be a lower-case identifier"),
        ("postgresql://u@h:abc/db", "must be whole numbers"),
        ("postgresql://u@h:99999/db", "must be whole numbers"),
        ("postgresql://h/db?pool_size=many", "must be whole numbers"),
        ("postgresql://h/db?max_overflow=1.5", "must be whole numbers"),
    ],
)
def test_malformed_url_is_refused(url: str, reason: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        DatabaseURL.parse(url)
    assert caught.value.field == FIELD
    assert reason in caught.value.reason
    # Check the same refusal comes through Settings, which parses at construction.
    with pytest.raises(InvalidValue) as again:
        Settings(database_url=url)
    assert (again.value.field, again.value.reason) == (FIELD, caught.value.reason)


def test_sqlite_paths_follow_the_three_and_four_slash_convention() -> None:
    assert DatabaseURL.parse("sqlite:///var/journey.sqlite").path == "var/journey.sqlite"
    assert DatabaseURL.parse("sqlite:////srv/j.sqlite").path == "/srv/j.sqlite"
    assert Settings().database.path == "var/journey.sqlite"


def test_schema_of_63_characters_is_the_longest_accepted() -> None:
    name = "s" * 63
    assert DatabaseURL.parse(f"postgresql://h/db?schema={name}").schema == name


# ---- store settings ----


def test_event_store_env_for_memory() -> None:
    assert DatabaseURL.parse("memory://").event_store_env() == {
        "PERSISTENCE_MODULE": "eventsourcing.popo"
    }


def test_event_store_env_for_sqlite_makes_the_folder(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "deeper" / "j.sqlite"
    env = DatabaseURL.parse(f"sqlite:///{target}").event_store_env()
    assert env == {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(target),
        "SQLITE_LOCK_TIMEOUT": "30",
    }
    assert target.parent.is_dir()
    assert not target.exists()


def test_event_store_env_for_postgresql() -> None:
    env = DatabaseURL.parse(
        "postgresql://journey:secret@db.example.org:6543/journeys?schema=jt&pool_size=7"
    ).event_store_env()
    assert set(env) == POSTGRES_KEYS
    assert env == {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": "journeys",
        "POSTGRES_HOST": "db.example.org",
        "POSTGRES_PORT": "6543",
        "POSTGRES_USER": "journey",
        "POSTGRES_PASSWORD": "secret",
        "POSTGRES_SCHEMA": "jt",
        "POSTGRES_POOL_SIZE": "7",
        "POSTGRES_MAX_OVERFLOW": "10",
        "POSTGRES_CONNECT_TIMEOUT": "2",
        "APPLICATION_RECORDER_TOPIC": "domain.service.recorder:FailFastRecorder",
        # Lock waits and idle transactions are bounded by default (seconds).
        "POSTGRES_LOCK_TIMEOUT": "3",
        "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "10",
    }


def test_conninfo_for_postgresql() -> None:
    info = DatabaseURL.parse("postgresql://journey:secret@db.example.org:6543/journeys").conninfo()
    parts = dict(part.split("=", 1) for part in info.split())
    assert parts == {
        "host": "db.example.org",
        "port": "6543",
        "user": "journey",
        "password": "secret",
        "dbname": "journeys",
    }
    # Check an empty password is left out rather than given as ''.
    assert "password" not in DatabaseURL.parse("postgresql://u@h/db").conninfo()


# ---- settings from the environment ----


def test_settings_from_env_reads_the_journey_variables() -> None:
    settings = Settings.from_env(
        {
            "JOURNEY_DATABASE_URL": "postgresql://u@h:5433/journeys?schema=jt",
            "JOURNEY_MODE": "production",
            "JOURNEY_CIPHER_KEY": KEY,
            "DATABASE_URL": "memory://",
            "POSTGRES_DBNAME": "other",
        }
    )
    assert settings.database_url == "postgresql://u@h:5433/journeys?schema=jt"
    assert settings.mode == "production"
    assert not settings.development
    assert settings.cipher_key == KEY
    assert (settings.database.kind, settings.database.port, settings.database.dbname) == (
        "postgres",
        5433,
        "journeys",
    )


def test_settings_from_env_defaults() -> None:
    settings = Settings.from_env({"JOURNEY_CIPHER_KEY": ""})
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.database.kind == "sqlite"
    assert settings.mode == "development"
    assert settings.development
    # Check an empty cipher key means no cipher.
    assert settings.cipher_key is None


@pytest.mark.parametrize("mode", ["staging", "Production", "", "test"])
def test_settings_refuse_an_unknown_mode(mode: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        Settings.from_env({"JOURNEY_DATABASE_URL": "memory://", "JOURNEY_MODE": mode})
    assert caught.value.field == "JOURNEY_MODE"
    assert "development or production" in caught.value.reason


def test_settings_from_env_refuse_a_malformed_url() -> None:
    with pytest.raises(InvalidValue) as caught:
        Settings.from_env({"JOURNEY_DATABASE_URL": "postgresql://h/db?schema=x;drop"})
    assert caught.value.field == FIELD


# ---- the application takes only the typed settings ----


def test_app_env_is_only_the_store_settings(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'j.sqlite'}")
    expected = settings.database.event_store_env()
    with journey_app(settings) as app:
        assert set(app.env) == set(expected)
        assert dict(app.env) == expected
        # Check nothing from the process environment leaked in.
        leaked = set(os.environ) & set(app.env) - set(expected)
        assert leaked == set()
        for name in ("PATH", "HOME", "PYTHONPATH", "JOURNEY_TEST_POSTGRES"):
            if name not in expected:
                assert name not in app.env
        assert app.factory.__class__.__module__ == "eventsourcing.sqlite"


def test_app_env_for_memory_store() -> None:
    with journey_app(Settings(database_url="memory://")) as app:
        assert dict(app.env) == MEMORY_ENV


def test_app_with_cipher_key_adds_only_the_cipher_settings() -> None:
    key = AESCipher.create_key(16)
    settings = Settings(database_url="memory://", cipher_key=key)
    with journey_app(settings) as app:
        assert dict(app.env) == {
            **MEMORY_ENV,
            "CIPHER_TOPIC": "domain.service.aesgcm:GcmCipher",
            "CIPHER_KEY": key,
        }
        # Check the stored payloads are not readable, and still decode to the same person.
        app.register(
            prov(at(0)),
            given_name="Cipher",
            family_name="Tester",
            date_of_birth=date(1980, 1, 1),
            identifiers={"NOMS": "A1111AA"},
        )
        stored = app.recorder.select_notifications(start=None, limit=10)
        assert stored
        assert all(b"Cipher" not in n.state for n in stored)
        state = app.state("A1111AA")
        assert state is not None
        assert (state.given_name, state.family_name) == ("Cipher", "Tester")


def test_explicit_env_overrides_are_merged_after_the_store_settings() -> None:
    overrides = {"AGGREGATE_CACHE_MAXSIZE": "10"}
    with journey_app(Settings(database_url="memory://"), env=overrides) as app:
        assert dict(app.env) == MEMORY_ENV | overrides


# ---- encryption at rest ----


@pytest.mark.parametrize(
    ("environ", "field", "words"),
    [
        ({"JOURNEY_MODE": "production"}, "JOURNEY_CIPHER_KEY", "set a key"),
        (
            {"JOURNEY_MODE": "production", "JOURNEY_CIPHER_KEY": PUBLISHED},
            "JOURNEY_CIPHER_KEY",
            "published or trivial",
        ),
        (
            {"JOURNEY_MODE": "production", "JOURNEY_CIPHER_KEY": ZEROS},
            "JOURNEY_CIPHER_KEY",
            "published or trivial",
        ),
        ({"JOURNEY_CIPHER_KEY": "not a key"}, "JOURNEY_CIPHER_KEY", "base64"),
        ({"JOURNEY_CIPHER_KEY": "c2hvcnQ="}, "JOURNEY_CIPHER_KEY", "16, 24 or 32 bytes"),
        ({"JOURNEY_CIPHER_OLD_KEYS": KEY}, "JOURNEY_CIPHER_OLD_KEYS", "set JOURNEY_CIPHER_KEY"),
        (
            {"JOURNEY_CIPHER_KEY": KEY, "JOURNEY_CIPHER_OLD_KEYS": f"{KEY},no pe"},
            "JOURNEY_CIPHER_OLD_KEYS",
            "base64",
        ),
    ],
)
def test_settings_refuse_a_missing_or_weak_cipher_key(
    environ: dict[str, str], field: str, words: str
) -> None:
    with pytest.raises(InvalidValue) as caught:
        Settings.from_env({"JOURNEY_DATABASE_URL": "memory://", **environ})
    assert caught.value.field == field
    assert words in caught.value.reason


def test_production_starts_with_a_strong_key_and_old_keys_decrypt_only() -> None:
    old = AESCipher.create_key(16)
    settings = Settings.from_env(
        {
            "JOURNEY_DATABASE_URL": "memory://",
            "JOURNEY_MODE": "production",
            "JOURNEY_CIPHER_KEY": KEY,
            "JOURNEY_CIPHER_OLD_KEYS": f" {old} ,",
        }
    )
    assert (settings.cipher_key, settings.cipher_old_keys) == (KEY, (old,))
    with journey_app(settings) as app:
        assert dict(app.env) == {
            **MEMORY_ENV,
            "CIPHER_TOPIC": "domain.service.keyring:KeyringCipher",
            "CIPHER_KEY": KEY,
            "CIPHER_OLD_KEYS": old,
        }
    # Check a development store may still run without a key (the embedded demo).
    assert Settings.from_env({"JOURNEY_DATABASE_URL": "memory://"}).cipher_key is None
