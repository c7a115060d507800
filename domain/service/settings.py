"""The one typed settings object, read from `JOURNEY_*` variables and validated at start-up."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from domain.errors import InvalidValue
from domain.service.keyring import check_key, is_weak
from domain.service.storage import DatabaseURL

DEFAULT_DATABASE_URL = "sqlite:///var/journey.sqlite"
MODES = ("development", "production")
# JOURNEY_REPLICA_URLS is a comma-separated list of URLs, each of which may itself name
# several hosts with commas: a new URL starts where a scheme does.
NEXT_URL = re.compile(r",\s*(?=postgres(?:ql)?://)")


@dataclass(frozen=True)
class Settings:
    """Configuration for every entry point."""

    database_url: str = DEFAULT_DATABASE_URL
    mode: str = "development"
    cipher_key: str | None = None
    cipher_old_keys: tuple[str, ...] = ()
    # Streaming replicas of the PostgreSQL store, read models included, for reads that may
    # be answered there; and how long a read asking for a log position waits for a replica
    # to reach it before the primary answers.
    replica_urls: tuple[str, ...] = ()
    replica_wait: float = 1.0
    database: DatabaseURL = field(init=False)
    replicas: tuple[DatabaseURL, ...] = field(init=False)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise InvalidValue("JOURNEY_MODE", "must be development or production")
        object.__setattr__(self, "database", DatabaseURL.parse(self.database_url))
        object.__setattr__(self, "replicas", self._replicas())
        self._check_keys()

    def _replicas(self) -> tuple[DatabaseURL, ...]:
        if not 0 <= self.replica_wait <= 30:
            raise InvalidValue("JOURNEY_REPLICA_WAIT", "must be 0-30 seconds")
        if self.replica_urls and self.database.kind != "postgres":
            raise InvalidValue(
                "JOURNEY_REPLICA_URLS", "replicas are of a PostgreSQL store: set a postgresql URL"
            )
        found = []
        for url in self.replica_urls:
            try:
                parsed = DatabaseURL.parse(url)
            except InvalidValue as exc:
                raise InvalidValue("JOURNEY_REPLICA_URLS", exc.reason) from None
            if parsed.kind != "postgres":
                raise InvalidValue("JOURNEY_REPLICA_URLS", "each must start with postgresql://")
            if parsed.schema != self.database.schema:
                raise InvalidValue(
                    "JOURNEY_REPLICA_URLS",
                    f"each must name the store's schema ({self.database.schema})",
                )
            found.append(parsed)
        return tuple(found)

    def _check_keys(self) -> None:
        """Event payloads are encrypted at rest in production, never under a guessable key."""
        if self.cipher_key is not None:
            check_key(self.cipher_key, "JOURNEY_CIPHER_KEY")
        for old in self.cipher_old_keys:
            check_key(old, "JOURNEY_CIPHER_OLD_KEYS")
        if self.cipher_old_keys and self.cipher_key is None:
            raise InvalidValue(
                "JOURNEY_CIPHER_OLD_KEYS", "old keys only decrypt: set JOURNEY_CIPHER_KEY too"
            )
        if self.development:
            return
        if self.cipher_key is None:
            raise InvalidValue(
                "JOURNEY_CIPHER_KEY", "production encrypts event payloads at rest: set a key"
            )
        if is_weak(self.cipher_key):
            raise InvalidValue(
                "JOURNEY_CIPHER_KEY", "is a published or trivial key: make a new one for production"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Read `JOURNEY_DATABASE_URL`, `JOURNEY_MODE`, `JOURNEY_CIPHER_KEY`,
        `JOURNEY_CIPHER_OLD_KEYS` (comma-separated keys that only decrypt, during a rotation),
        `JOURNEY_REPLICA_URLS` (comma-separated) and `JOURNEY_REPLICA_WAIT` (seconds)."""
        old = environ.get("JOURNEY_CIPHER_OLD_KEYS", "").split(",")
        replicas = NEXT_URL.split(environ.get("JOURNEY_REPLICA_URLS", "").strip())
        try:
            wait = float(environ.get("JOURNEY_REPLICA_WAIT", "1"))
        except ValueError:
            raise InvalidValue("JOURNEY_REPLICA_WAIT", "must be a number of seconds") from None
        return cls(
            database_url=environ.get("JOURNEY_DATABASE_URL", DEFAULT_DATABASE_URL),
            mode=environ.get("JOURNEY_MODE", "development"),
            cipher_key=environ.get("JOURNEY_CIPHER_KEY") or None,
            cipher_old_keys=tuple(k.strip() for k in old if k.strip()),
            replica_urls=tuple(u for u in replicas if u),
            replica_wait=wait,
        )

    @property
    def development(self) -> bool:
        return self.mode == "development"
