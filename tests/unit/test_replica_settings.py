"""The store URL naming every node of a replicated topology, and the replica URLs."""

from __future__ import annotations

import pytest

from domain.errors import InvalidValue
from domain.service.settings import Settings
from domain.service.storage import DatabaseURL

PRIMARY = "postgresql://journey@db1:5432,db2:5433,db3/journeys?schema=jt"


def test_multi_host_url_connects_to_whichever_takes_writes() -> None:
    url = DatabaseURL.parse(PRIMARY)
    assert url.hosts == (("db1", 5432), ("db2", 5433), ("db3", 5432))
    assert (url.host, url.port, url.target_session_attrs) == ("db1", 5432, "read-write")
    assert "host=db1,db2,db3 port=5432,5433,5432" in url.conninfo()
    assert "target_session_attrs=read-write" in url.conninfo()
    env = url.event_store_env()
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"]) == ("db1,db2,db3", "5432,5433,5432")
    assert url.routing() == {"target_session_attrs": "read-write"}


def test_one_host_keeps_libpq_defaults() -> None:
    url = DatabaseURL.parse("postgresql://journey@db1/journeys")
    assert (url.hosts, url.routing()) == ((), {})
    assert "target_session_attrs" not in url.conninfo()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("postgresql://u@a:1,b:99999/db", "whole numbers"),
        ("postgresql://u@a:1,b:0/db", "port must be 1-65535"),
        ("postgresql://u@a,b/db?target_session_attrs=write", "target_session_attrs"),
    ],
)
def test_bad_multi_host_url_is_refused(url: str, reason: str) -> None:
    with pytest.raises(InvalidValue, match=reason):
        DatabaseURL.parse(url)


def test_replica_urls_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "JOURNEY_DATABASE_URL": PRIMARY,
            "JOURNEY_REPLICA_URLS": "postgresql://journey@db3/journeys?schema=jt, "
            "postgresql://journey@db4:1,db5:2/journeys?schema=jt&target_session_attrs=standby",
            "JOURNEY_REPLICA_WAIT": "0.5",
        }
    )
    assert [(r.host, r.target_session_attrs) for r in settings.replicas] == [
        ("db3", ""),
        ("db4", "standby"),
    ]
    assert settings.replica_wait == 0.5
    assert Settings.from_env({"JOURNEY_DATABASE_URL": PRIMARY}).replicas == ()


@pytest.mark.parametrize(
    ("environ", "field"),
    [
        ({"JOURNEY_REPLICA_URLS": "postgresql://u@r/db"}, "JOURNEY_REPLICA_URLS"),
        ({"JOURNEY_DATABASE_URL": PRIMARY, "JOURNEY_REPLICA_URLS": "sqlite:///x.db"}, "URLS"),
        ({"JOURNEY_DATABASE_URL": PRIMARY, "JOURNEY_REPLICA_URLS": "postgresql://u@r/db"}, "URLS"),
        ({"JOURNEY_DATABASE_URL": PRIMARY, "JOURNEY_REPLICA_WAIT": "soon"}, "WAIT"),
        ({"JOURNEY_DATABASE_URL": PRIMARY, "JOURNEY_REPLICA_WAIT": "60"}, "WAIT"),
    ],
)
def test_bad_replica_settings_name_the_setting(environ: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        Settings.from_env(environ)
    assert field in refused.value.field
