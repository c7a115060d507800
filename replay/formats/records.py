"""What a line of an import file becomes: a `Record` of steps for one person, or a `Reject`
naming the field at fault and why."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from domain.errors import DomainError
from domain.service.command import Command
from replay.batch import MAX_REJECT_TEXT, Reject


@dataclass(frozen=True)
class CommunityAllocation:
    """A probation allocation line: which commands it stands for depends on the person's
    history (`replay.allocation.Allocation` expands it)."""

    region: str
    pdu: str | None  # None: the case's own PDU in the region (Delius names only the team)
    team: str | None
    officer: str


@dataclass(frozen=True)
class PrisonNotice:
    """An HMPPS notification that a prisoner was received into or released from a prison,
    with its reason: which movement it announces depends on where the person's history says
    they were (`replay.notices` reads it)."""

    received: bool
    reason: str
    prison: str
    movement_reason: str | None = None  # the NOMIS reason code, where the notification has it


@dataclass(frozen=True)
class Step:
    """One command for a person, with its effective time and natural key."""

    command: Command | CommunityAllocation | PrisonNotice
    occurred_at: datetime
    source_ref: str
    reason: str | None = None
    correlation_id: str | None = None
    created_at: datetime | None = None  # when the source created the record, if it says


@dataclass(frozen=True)
class Record:
    """What one line asks to record, for the person holding an identifier."""

    line: int
    person: str  # "KIND:VALUE", canonical
    steps: tuple[Step, ...]
    registration: dict[str, Any] | None = None  # register the person if no one holds it
    identifiers: dict[str, str] = field(default_factory=dict)  # a registration's own
    text: str = ""  # the line as read, kept with a reject
    # What to say when no one holds `person` and the line cannot register them: the field at
    # fault and what is needed (a booking id is known only once a record links it to a NOMS
    # number).
    unheld: tuple[str, str] | None = None

    def refused(self, field_name: str, reason: str, *, history: bool = False) -> Reject:
        return Reject(self.line, field_name, reason, self.text, history=history)

    def refused_unheld(self) -> Reject:
        """The line refused because no one holds the identifier it names."""
        if self.unheld is not None:
            return self.refused(*self.unheld)
        return self.refused("person", f"no person holds {self.person}; register them first")


Parsed = Record | Reject


class Bad(Exception):
    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field_name, reason


def reject(line: int, field_name: str, reason: str, raw: str) -> Reject:
    return Reject(line, field_name, reason, raw[:MAX_REJECT_TEXT])


def guarded(line: int, raw: str, build: Callable[..., Parsed], *args: Any) -> Parsed:
    """The record `build(*args)` makes, or the reject naming the field at fault."""
    try:
        result = build(*args)
    except Bad as bad:
        return reject(line, bad.field, bad.reason, raw)
    except DomainError as error:
        return reject(line, error.field, error.reason, raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "line"
        return reject(line, where, first["msg"], raw)
    if isinstance(result, Record) and not result.text:
        return replace(result, text=raw[:MAX_REJECT_TEXT])
    return result
