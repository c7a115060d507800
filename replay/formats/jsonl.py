"""The project's own JSON Lines: one command per line with the HTTP commands' fields, plus
`command` (the route name, or `register`) and `person` (any identifier)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from functools import lru_cache
from typing import IO, Any

import orjson

from domain.errors import DomainError
from domain.frozen import made
from domain.identifiers import claim_key, detect
from domain.service.catalogue import BY_ROUTE, Register
from domain.service.command import Command
from domain.service.registration import normalised_identifiers
from replay.batch import MAX_REJECT_TEXT
from replay.commands import REGISTER, body_of
from replay.formats.records import Bad, Parsed, Record, Step, guarded
from replay.formats.streams import json_object, lines, unreadable

IMPORTABLE = sorted(route for route, command in BY_ROUTE.items() if command.importable)


def read(stream: IO[bytes]) -> Iterator[Parsed]:
    for number, text in lines(stream):
        yield unreadable(number, text) or guarded(number, text, _command, number, text)


def _command(number: int, text: str) -> Record:
    data = json_object(text)
    name = data.pop("command", None)
    if name == "register":
        return _registration(number, data, text)
    kind = BY_ROUTE.get(name) if isinstance(name, str) else None
    if kind is None or not kind.importable:
        known = ", ".join(["register", *IMPORTABLE])
        raise Bad("command", f"unknown or not importable; expected one of {known}")
    person = person_key(data.pop("person", None), "person")
    body = body_of(kind).model_validate(data)
    # The body has checked every field, and a command's constructor only assigns them
    # (`made` refuses a class that checks its values itself).
    step = {
        "command": made(kind, {name: getattr(body, name) for name in _own_fields(kind)}),
        "occurred_at": body.occurred_at,
        "source_ref": body.source_ref or content_key(str(name), person, data),
        "reason": body.reason,
        "correlation_id": body.correlation_id,
    }
    steps = (made(Step, step),)
    return made(
        Record, {"line": number, "person": person, "steps": steps, "text": text[:MAX_REJECT_TEXT]}
    )


_OWN: dict[type[Command], tuple[str, ...]] = {}


def _own_fields(kind: type[Command]) -> tuple[str, ...]:
    """The command's fields, all of which its body carries (the body is made from them),
    named once per command rather than looked up on every line."""
    own = _OWN.get(kind)
    if own is None:
        given = body_of(kind).model_fields
        own = _OWN[kind] = tuple(kind.field_names())
        if not set(own) <= set(given):
            raise TypeError(f"the body of {kind.__name__} lacks some of its fields")
    return own


def _registration(number: int, data: dict[str, Any], text: str) -> Record:
    data.pop("person", None)
    body = REGISTER.model_validate(data)
    values = body.own(Register)
    identifiers = normalised_identifiers(values["identifiers"])
    first = next(iter(sorted(identifiers.items(), key=lambda kv: _rank(kv[0]))))
    registration = {
        "given_name": values["given_name"],
        "family_name": values["family_name"],
        "date_of_birth": values["date_of_birth"],
        "sex": values["sex"],
        "occurred_at": body.occurred_at,
        "source_ref": body.source_ref or content_key("register", "", data),
        "reason": body.reason,
        "correlation_id": body.correlation_id,
    }
    return Record(number, claim_key(*first), (), registration, identifiers, text[:MAX_REJECT_TEXT])


def _rank(kind: str) -> int:
    order = ["NOMS", "CRN", "PNC", "CRO"]
    return order.index(kind) if kind in order else len(order)


def content_key(command: str, person: str, data: dict[str, Any]) -> str:
    """A natural key for a line without `source_ref`: the same command, person and fields."""
    canonical = orjson.dumps(
        {"command": command, "person": person, **data}, option=orjson.OPT_SORT_KEYS
    )
    return "sha256:" + hashlib.sha256(canonical).hexdigest()[:32]


def person_key(ref: object, field_name: str) -> str:
    """ "KIND:VALUE" for any identifier, canonical."""
    if not isinstance(ref, str):
        raise Bad(field_name, "must be a NOMS number, CRN, PNC or CRO number")
    try:
        return _detected(ref)
    except DomainError as error:
        raise Bad(field_name, error.reason) from None


@lru_cache(maxsize=4096)
def _detected(ref: str) -> str:
    """The claim key of an identifier as written: a person's lines name them many times over."""
    kind, value = detect(ref)
    return claim_key(kind, value)
