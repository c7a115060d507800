"""Domain errors. Each names the field at fault and the reason, so every boundary can report it."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every refusal the domain makes."""

    code = "invalid"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class InvalidValue(DomainError):
    """A value is malformed or outside its allowed set."""

    code = "invalid-value"


class UnknownCode(InvalidValue):
    """A reference code (prison, court, probation unit, movement reason) is not known."""

    code = "unknown-code"


class ImpossibleJourney(DomainError):
    """A record would make the person's journey impossible at its effective time."""

    code = "impossible-journey"

    def __init__(
        self, field: str, reason: str, conflicting_entry: int | None, entry: int | None = None
    ) -> None:
        super().__init__(field, reason)
        self.conflicting_entry = conflicting_entry
        self.entry = entry  # the refused entry's would-be number, when several were recorded


class FutureDated(DomainError):
    """An effective time lies too far in the future."""

    code = "future-dated"


class IdentifierTaken(DomainError):
    """An identifier is already held by another person."""

    code = "identifier-taken"

    def __init__(self, field: str, reason: str, holder: str) -> None:
        super().__init__(field, reason)
        self.holder = holder


class NotFound(DomainError):
    """No person answers to the given identifier or id."""

    code = "not-found"
