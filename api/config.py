"""HTTP settings, read from `JOURNEY_*` variables beside the store settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from domain.errors import InvalidValue
from domain.service.settings import Settings

DEV_KEY = "var/dev-jwt-key.pem"


@dataclass(frozen=True)
class ApiSettings:
    """Authentication, limits and thresholds for the HTTP application."""

    store: Settings = field(default_factory=Settings)
    public_keys: tuple[str, ...] = ()
    audience: str = "journey-api"
    issuer: str = "journey"
    dev_key_path: str = DEV_KEY
    max_body_bytes: int = 64 * 1024
    max_import_bytes: int = 256 * 1024 * 1024  # a data load sent to POST /imports
    ready_lag_seconds: float = 30.0
    overdue_days: int = 7
    # FastAPI's own OpenTelemetry spans, metrics and logs, for an operator who has set up an
    # OpenTelemetry SDK; off, no request asks whether one is set up (three environment
    # lookups a request).
    telemetry: bool = False

    def __post_init__(self) -> None:
        if not self.store.development and not self.public_keys:
            raise InvalidValue(
                "JOURNEY_JWT_PUBLIC_KEYS", "production needs the identity provider's public keys"
            )
        if self.max_body_bytes < 1024:
            raise InvalidValue("JOURNEY_MAX_BODY_BYTES", "must be at least 1024")
        if self.max_import_bytes < self.max_body_bytes:
            raise InvalidValue("JOURNEY_MAX_IMPORT_BYTES", "must be at least the body limit")

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ApiSettings:
        """`JOURNEY_JWT_PUBLIC_KEYS` names PEM files (comma-separated) holding RS256 keys."""
        files = [p for p in environ.get("JOURNEY_JWT_PUBLIC_KEYS", "").split(",") if p.strip()]
        keys = []
        for name in files:
            path = Path(name.strip())
            if not path.is_file():
                raise InvalidValue("JOURNEY_JWT_PUBLIC_KEYS", f"no key file at {path}")
            keys.append(path.read_text())
        try:
            max_body = int(environ.get("JOURNEY_MAX_BODY_BYTES", str(64 * 1024)))
            max_import = int(environ.get("JOURNEY_MAX_IMPORT_BYTES", str(256 * 1024 * 1024)))
            lag = float(environ.get("JOURNEY_READY_LAG_SECONDS", "30"))
        except ValueError:
            raise InvalidValue(
                "JOURNEY_MAX_BODY_BYTES", "limits (and JOURNEY_MAX_IMPORT_BYTES) must be numbers"
            ) from None
        telemetry = environ.get("JOURNEY_TELEMETRY", "off").strip().lower()
        if telemetry not in ("on", "off"):
            raise InvalidValue("JOURNEY_TELEMETRY", f"must be on or off, not {telemetry!r}")
        return cls(
            store=Settings.from_env(environ),
            public_keys=tuple(keys),
            audience=environ.get("JOURNEY_JWT_AUDIENCE", "journey-api"),
            issuer=environ.get("JOURNEY_JWT_ISSUER", "journey"),
            dev_key_path=environ.get("JOURNEY_DEV_KEY", DEV_KEY),
            max_body_bytes=max_body,
            max_import_bytes=max_import,
            ready_lag_seconds=lag,
            telemetry=telemetry == "on",
        )
