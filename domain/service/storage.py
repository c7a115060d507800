"""One database URL selects the store: PostgreSQL in production, a SQLite file embedded,
or memory for unit tests. This module turns it into the event store library's settings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from domain.errors import InvalidValue

IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# Every statement, lock wait and open transaction of the event store is bounded in time (in
# seconds), so a stalled session cannot hold the event table's lock for ever and a writer
# behind it fails (503) instead of hanging. Inserts take milliseconds; the longest statements
# are reads of a section of the log.
TIMEOUTS = {"lock_timeout": 3, "statement_timeout": 30, "idle_timeout": 10}
# libpq's choice among several hosts: a store URL naming more than one reaches the one that
# takes writes (the primary after a failover); a replica URL may ask for a standby.
SESSION_ATTRS = ("any", "read-write", "read-only", "primary", "standby", "prefer-standby")


@dataclass(frozen=True)
class DatabaseURL:
    """A parsed `JOURNEY_DATABASE_URL`."""

    kind: str  # "postgres", "sqlite" or "memory"
    path: str = ""
    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "postgres"
    password: str = ""
    dbname: str = ""
    schema: str = "public"
    pool_size: int = 5
    max_overflow: int = 10
    lock_timeout: int = TIMEOUTS["lock_timeout"]
    statement_timeout: int = TIMEOUTS["statement_timeout"]
    idle_timeout: int = TIMEOUTS["idle_timeout"]  # idle in a transaction
    # Every host and port of a multi-host URL (`host` and `port` are its first), and
    # libpq's `target_session_attrs`: "read-write" by default when there are several.
    hosts: tuple[tuple[str, int], ...] = ()
    target_session_attrs: str = ""

    @classmethod
    def parse(cls, url: str) -> DatabaseURL:
        """postgresql://user:pw@host:port/db?schema=s&pool_size=n, sqlite:///path, memory://"""
        parts = urlsplit(url)
        if parts.scheme == "memory":
            return cls(kind="memory")
        if parts.scheme == "sqlite":
            # sqlite:///relative/path and sqlite:////absolute/path, as is usual for these URLs.
            path = unquote(parts.path)[1:]
            if parts.netloc or not path:
                raise InvalidValue(
                    "JOURNEY_DATABASE_URL",
                    "sqlite URL must be sqlite:///relative/path or sqlite:////absolute/path",
                )
            return cls(kind="sqlite", path=path)
        if parts.scheme in {"postgresql", "postgres"}:
            return cls._postgres(url)
        raise InvalidValue(
            "JOURNEY_DATABASE_URL", "must start with postgresql://, sqlite:/// or memory://"
        )

    @classmethod
    def _postgres(cls, url: str) -> DatabaseURL:
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        dbname = unquote(parts.path.lstrip("/"))
        if not dbname:
            raise InvalidValue("JOURNEY_DATABASE_URL", "postgresql URL needs a database name")
        schema = query.get("schema", "public")
        if not IDENT.match(schema or ""):
            raise InvalidValue("JOURNEY_DATABASE_URL", "schema must be a lower-case identifier")
        try:
            hosts = _hosts(parts.netloc.rpartition("@")[2])
            port = hosts[0][1]
            pool = int(query.get("pool_size", "5"))
            overflow = int(query.get("max_overflow", "10"))
            bounds = {k: int(query.get(k, str(v))) for k, v in TIMEOUTS.items()}
        except ValueError:
            raise InvalidValue(
                "JOURNEY_DATABASE_URL", "port, pool sizes and timeouts must be whole numbers"
            ) from None
        if not all(0 < p < 65536 for _, p in hosts) or pool < 1 or overflow < 0:
            raise InvalidValue(
                "JOURNEY_DATABASE_URL",
                "port must be 1-65535, pool_size at least 1 and max_overflow at least 0",
            )
        if not all(0 < v <= 3600 for v in bounds.values()):
            raise InvalidValue(
                "JOURNEY_DATABASE_URL", f"{', '.join(TIMEOUTS)} must be 1-3600 seconds"
            )
        attrs = query.get("target_session_attrs", "read-write" if len(hosts) > 1 else "")
        if attrs and attrs not in SESSION_ATTRS:
            raise InvalidValue(
                "JOURNEY_DATABASE_URL", f"target_session_attrs must be one of {SESSION_ATTRS}"
            )
        return cls(
            kind="postgres",
            host=hosts[0][0],
            port=port,
            user=unquote(parts.username or "postgres"),
            password=unquote(parts.password or ""),
            dbname=dbname,
            schema=schema,
            pool_size=pool,
            max_overflow=overflow,
            lock_timeout=bounds["lock_timeout"],
            statement_timeout=bounds["statement_timeout"],
            idle_timeout=bounds["idle_timeout"],
            hosts=hosts if len(hosts) > 1 else (),
            target_session_attrs=attrs,
        )

    def event_store_env(self) -> dict[str, str]:
        """The event store library's configuration for this URL."""
        if self.kind == "memory":
            return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
        if self.kind == "sqlite":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            return {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": self.path,
                "SQLITE_LOCK_TIMEOUT": "30",
            }
        from domain.service import recorder

        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": self.dbname,
            # Passed to libpq as given: comma-separated lists connect to the first that
            # answers with the session `routing` asks for.
            "POSTGRES_HOST": ",".join(h for h, _ in self.hosts) or self.host,
            "POSTGRES_PORT": ",".join(str(p) for _, p in self.hosts) or str(self.port),
            "POSTGRES_USER": self.user,
            "POSTGRES_PASSWORD": self.password,
            "POSTGRES_SCHEMA": self.schema,
            "POSTGRES_POOL_SIZE": str(self.pool_size),
            "POSTGRES_MAX_OVERFLOW": str(self.max_overflow),
            # Fail fast while the database is out of reach: see domain.service.recorder.
            "POSTGRES_CONNECT_TIMEOUT": str(recorder.POOL_WAIT),
            "APPLICATION_RECORDER_TOPIC": recorder.TOPIC,
            # The library sets these two on each connection and around its table lock;
            # statement_timeout it has no setting for: see `session_options`.
            "POSTGRES_LOCK_TIMEOUT": str(self.lock_timeout),
            "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": str(self.idle_timeout),
        }

    def session_options(self) -> str:
        """libpq `options` bounding every statement and lock wait of an event-store session."""
        return (
            f"-c statement_timeout={self.statement_timeout}s "
            f"-c lock_timeout={self.lock_timeout}s "
            f"-c idle_in_transaction_session_timeout={self.idle_timeout}s"
        )

    def routing(self) -> dict[str, str]:
        """libpq's choice of host among several, for the event store's connections."""
        attrs = self.target_session_attrs
        return {"target_session_attrs": attrs} if attrs else {}

    def conninfo(self) -> str:
        """A psycopg connection string for PostgreSQL URLs."""
        from psycopg.conninfo import make_conninfo

        return make_conninfo(
            host=",".join(h for h, _ in self.hosts) or self.host,
            port=",".join(str(p) for _, p in self.hosts) or str(self.port),
            user=self.user,
            password=self.password or None,
            dbname=self.dbname,
            **self.routing(),
        )


def _hosts(netloc: str) -> tuple[tuple[str, int], ...]:
    """`h1:p1,h2:p2`, a host without a port on 5432, `[::1]:p` for IPv6; ValueError on a port
    that is no number."""
    found = []
    for part in (netloc or "127.0.0.1").split(","):
        host, port = part, ""
        if part.startswith("["):
            host, _, rest = part[1:].partition("]")
            port = rest.removeprefix(":")
        elif ":" in part:
            host, _, port = part.rpartition(":")
        number = int(port or "5432")
        if number > 65535:  # as the standard library's URL parser refuses it
            raise ValueError(port)
        found.append((unquote(host) or "127.0.0.1", number))
    return tuple(found)
