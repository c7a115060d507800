"""People built in memory as a NOMIS load records them, then saved in batches: the seed data of
the benchmarks and of the tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from domain.claims import IdentifierClaim
from domain.identifiers import claim_key
from domain.person.aggregate import Person
from domain.provenance import Provenance
from domain.service.application import JourneyApp

Built = tuple[Person, IdentifierClaim]


@dataclass(frozen=True)
class Loaded:
    """One person's lines in a load: each entry some hours after `start`, its source reference
    the NOMS number and those hours, so loading it again finds the same entries."""

    noms: str
    start: datetime
    recorded_by: str
    batch_id: str

    def at(self, hours: float) -> Provenance:
        return Provenance(
            self.recorded_by,
            "NOMIS",
            self.start + timedelta(hours=hours),
            batch_id=self.batch_id,
            source_ref=f"{self.noms}-{hours}",
        )

    def register(self, given_name: str, family_name: str, born: date) -> Person:
        """The person, registered with their NOMS number an hour before `start`."""
        return Person.register(
            person_id=None,
            given_name=given_name,
            family_name=family_name,
            date_of_birth=born,
            sex="M",
            identifiers={"NOMS": self.noms},
            provenance=self.at(-1),
        )

    def claim(self, person: Person) -> IdentifierClaim:
        return IdentifierClaim.claim(claim_key("NOMS", self.noms), person.id)


def pending_events(built: Sequence[Built]) -> int:
    """The events saving these people and their claims will write."""
    return sum(len(p.pending_events) + len(c.pending_events) for p, c in built)


def save_people(app: JourneyApp, built: Sequence[Built], per_save: int) -> None:
    """Save people with their claims, `per_save` people to a transaction."""
    for i in range(0, len(built), per_save):
        chunk = built[i : i + per_save]
        app.save(*(p for p, _ in chunk), *(c for _, c in chunk))
