"""Where a record came from: carried by every event in a person's history."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from domain.errors import FutureDated, InvalidValue

FUTURE_TOLERANCE = timedelta(minutes=5)
SOURCE = re.compile(r"^[A-Z][A-Z0-9_:.-]{0,99}$")
MAX_TEXT = 2000
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")  # control characters but tab and newline


@dataclass(frozen=True)
class Provenance:
    """Who recorded an entry, from which source and load, and when it happened in the world."""

    recorded_by: str
    source: str
    occurred_at: datetime
    batch_id: str | None = None
    source_ref: str | None = None
    reason: str | None = None
    correlation_id: str | None = None
    # When the source created its record (NOMIS `createDateTime`), if it says: it orders
    # records of one moment.
    source_created_at: datetime | None = None

    def __post_init__(self) -> None:
        origin = (self.recorded_by, self.source, self.batch_id)
        if all(type(value) is str or value is None for value in origin):
            # The same for every line of a load: checked once per distinct value.
            _origin_checked(*origin)
        else:
            check_origin(*origin)
        for name in ("source_ref", "correlation_id"):
            check_text(name, getattr(self, name), required=False, limit=200)
        check_text("reason", self.reason, required=False, limit=MAX_TEXT)
        if not isinstance(self.occurred_at, datetime) or self.occurred_at.tzinfo is None:
            raise InvalidValue("occurred_at", "must be a date and time with a time zone")
        created = self.source_created_at
        if created is not None and (not isinstance(created, datetime) or created.tzinfo is None):
            raise InvalidValue("source_created_at", "must be a date and time with a time zone")

    @classmethod
    def of(cls, recorded: object, **changed: Any) -> Provenance:
        """The provenance an entry was recorded with (its attributes of these names), with
        some of it changed."""
        return cls(**{name: getattr(recorded, name) for name in PROVENANCE_NAMES} | changed)

    def check_not_future(self, now: datetime | None = None) -> None:
        """Refuse an effective time more than five minutes ahead of the clock."""
        now = now or datetime.now(UTC)
        if self.occurred_at > now + FUTURE_TOLERANCE:
            raise FutureDated(
                "occurred_at",
                f"{self.occurred_at.isoformat()} is in the future; "
                "records may be at most 5 minutes ahead of the clock",
            )

    def event_fields(self) -> dict[str, Any]:
        """The provenance as event attributes."""
        return {
            "occurred_at": self.occurred_at.astimezone(UTC),
            "recorded_by": self.recorded_by,
            "source": self.source,
            "batch_id": self.batch_id,
            "source_ref": self.source_ref,
            "source_created_at": (
                self.source_created_at.astimezone(UTC) if self.source_created_at else None
            ),
            "reason": self.reason,
            "correlation_id": self.correlation_id,
        }


# The provenance every event carries, by the names of its attributes.
PROVENANCE_NAMES = tuple(f.name for f in fields(Provenance))


def check_origin(recorded_by: object, source: object, batch_id: object) -> None:
    """Refuse a provenance's who, source system or batch that is not as each must be."""
    check_text("recorded_by", recorded_by, required=True, limit=200)
    check_text("source", source, required=True, limit=100)
    assert isinstance(source, str)
    if not SOURCE.match(source):
        raise InvalidValue(
            "source",
            "must be an upper-case system name such as NOMIS, DELIUS, API or PARTNER:CRC01",
        )
    check_text("batch_id", batch_id, required=False, limit=200)


# Refusals raise each time (a cache keeps only what passed).
_origin_checked = lru_cache(maxsize=256)(check_origin)


def check_text(field: str, value: object, *, required: bool, limit: int) -> None:
    """Refuse missing, non-text, over-long or control-character text."""
    if value is None:
        if required:
            raise InvalidValue(field, "is required")
        return
    if not isinstance(value, str):
        raise InvalidValue(field, "must be text")
    if required and not value.strip():
        raise InvalidValue(field, "must not be blank")
    if len(value) > limit:
        raise InvalidValue(field, f"must be at most {limit} characters")
    if CONTROL.search(value):
        raise InvalidValue(field, "must not contain control characters")
