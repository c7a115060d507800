"""The one typed settings object, read from `JOURNEY_*` variables and validated at start-up."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from domain.errors import InvalidValue
from domain.service.storage import DatabaseURL

DEFAULT_DATABASE_URL = "sqlite:///var/journey.sqlite"
MODES = ("development", "production")


@dataclass(frozen=True)
class Settings:
    """Configuration for every entry point."""

    database_url: str = DEFAULT_DATABASE_URL
    mode: str = "development"
    cipher_key: str | None = None
    database: DatabaseURL = field(init=False)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise InvalidValue("JOURNEY_MODE", "must be development or production")
        object.__setattr__(self, "database", DatabaseURL.parse(self.database_url))

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Read `JOURNEY_DATABASE_URL`, `JOURNEY_MODE` and `JOURNEY_CIPHER_KEY`."""
        return cls(
            database_url=environ.get("JOURNEY_DATABASE_URL", DEFAULT_DATABASE_URL),
            mode=environ.get("JOURNEY_MODE", "development"),
            cipher_key=environ.get("JOURNEY_CIPHER_KEY") or None,
        )

    @property
    def development(self) -> bool:
        return self.mode == "development"
