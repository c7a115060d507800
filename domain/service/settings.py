"""The one typed settings object, read from `JOURNEY_*` variables and validated at start-up."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from domain.errors import InvalidValue
from domain.service.keyring import check_key, is_weak
from domain.service.storage import DatabaseURL

DEFAULT_DATABASE_URL = "sqlite:///var/journey.sqlite"
MODES = ("development", "production")


@dataclass(frozen=True)
class Settings:
    """Configuration for every entry point."""

    database_url: str = DEFAULT_DATABASE_URL
    mode: str = "development"
    cipher_key: str | None = None
    cipher_old_keys: tuple[str, ...] = ()
    database: DatabaseURL = field(init=False)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise InvalidValue("JOURNEY_MODE", "must be development or production")
        object.__setattr__(self, "database", DatabaseURL.parse(self.database_url))
        self._check_keys()

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
        """Read `JOURNEY_DATABASE_URL`, `JOURNEY_MODE`, `JOURNEY_CIPHER_KEY` and
        `JOURNEY_CIPHER_OLD_KEYS` (comma-separated keys that only decrypt, during a rotation)."""
        old = environ.get("JOURNEY_CIPHER_OLD_KEYS", "").split(",")
        return cls(
            database_url=environ.get("JOURNEY_DATABASE_URL", DEFAULT_DATABASE_URL),
            mode=environ.get("JOURNEY_MODE", "development"),
            cipher_key=environ.get("JOURNEY_CIPHER_KEY") or None,
            cipher_old_keys=tuple(k.strip() for k in old if k.strip()),
        )

    @property
    def development(self) -> bool:
        return self.mode == "development"
