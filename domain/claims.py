"""Identifier claims: one tiny aggregate per identifier, saved atomically with its person.

The claim's id is derived from the identifier, so a second person claiming the same identifier
writes the same aggregate id at version 1 and the store refuses it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

NAMESPACE = UUID("6f1c3b0e-5d2a-4d8e-9a57-2f0c8e4b7a11")


# A load asks the id of each identifier it names twice (who holds it, then its claim).
@lru_cache(maxsize=8192)
def claim_id(key: str) -> UUID:
    """The claim aggregate id for an identifier key such as 'NOMS:A1234BC'."""
    return uuid5(NAMESPACE, key)


class IdentifierClaim(Aggregate):
    """Which person holds an identifier; redirected when records are merged."""

    key: str
    person_id: UUID

    def __init__(self) -> None:
        self.key = ""

    class Claimed(Aggregate.Created):
        key: str
        person_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.key = self.key
            aggregate.person_id = UUID(self.person_id)

    class Redirected(Aggregate.Event):
        person_id: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.person_id = UUID(self.person_id)

    @classmethod
    def claim(cls, key: str, person_id: UUID) -> IdentifierClaim:
        return cls._create(cls.Claimed, id=claim_id(key), key=key, person_id=str(person_id))

    def redirect(self, person_id: UUID, reason: str) -> None:
        self.trigger_event(self.Redirected, person_id=str(person_id), reason=reason)
