"""Registering a person: one definition for the service's `register` and the imports, which
save the person and their identifier claims themselves (a load saves many in one go)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from uuid import uuid4

from domain.errors import IdentifierTaken, InvalidValue
from domain.identifiers import IdentifierKind, claim_key, normalise
from domain.person.aggregate import Person
from domain.provenance import Provenance
from domain.service.command import Claims


def register_person(
    claims: Claims,
    provenance: Provenance,
    *,
    given_name: str | None,
    family_name: str | None,
    date_of_birth: date | None,
    identifiers: Mapping[str, str],
    sex: str | None = None,
) -> Person:
    """A new person (not yet saved), each identifier claimed through `claims`; refused if
    another person holds one."""
    claimed = normalised_identifiers(identifiers)
    for kind, value in claimed.items():
        holder = claims.holder(kind, value)
        if holder is not None:
            raise IdentifierTaken(
                f"identifiers.{kind}", f"{kind} {value} is held by another person", str(holder)
            )
    person = Person.register(
        person_id=uuid4(),
        given_name=given_name,
        family_name=family_name,
        date_of_birth=date_of_birth,
        sex=sex,
        identifiers=claimed,
        provenance=provenance,
    )
    for kind, value in claimed.items():
        claims.claim(claim_key(kind, value), person.id)
    return person


def normalised_identifiers(identifiers: Mapping[str, str]) -> dict[str, str]:
    """Each identifier validated and in canonical form; at least one is required."""
    if not identifiers:
        raise InvalidValue("identifiers", "at least one identifier (NOMS, CRN, PNC, CRO) is needed")
    cleaned: dict[str, str] = {}
    for kind, value in identifiers.items():
        if not isinstance(kind, str) or kind.strip().upper() not in IdentifierKind.__members__:
            raise InvalidValue("identifiers", f"unknown identifier kind {kind!r}")
        name = IdentifierKind(kind.strip().upper()).value
        cleaned[name] = normalise(name, value, f"identifiers.{name}")
    return cleaned
