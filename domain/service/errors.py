"""Refusals the service layer adds to the domain's: conflicts between concurrent writers."""

from __future__ import annotations

from domain.errors import DomainError
from domain.person.state import PersonState


class ConcurrencyConflict(DomainError):
    """Another writer changed the person first; carries the state that won."""

    code = "conflict"

    def __init__(self, current: PersonState | None) -> None:
        super().__init__("version", "the person was changed by another writer; reload and retry")
        self.current = current


class StaleVersion(DomainError):
    """The caller's expected version is not the person's current version."""

    code = "stale-version"

    def __init__(self, expected: int, current: PersonState) -> None:
        super().__init__(
            "expected_version",
            f"expected version {expected} but the person is at version {current.version}",
        )
        self.current = current
