"""A person's full record for a subject access request (DPA 2018 s.45): who they are, where
they stand, every entry with its provenance and corrections, merges, restriction and holds,
and who consulted them. Producing it is logged like any other disclosure.

Staff are named as the access-log policy allows (docs/data-protection.md, "Subject access"):
staff by user name and role; a partner system's users as the system (its recipient); the command
line's operators by their login. Purposes are given as recorded.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel

from api.access_log import Access, AccessLog
from api.schemas import NOW, Entry, Person, entry_view, person_from_state
from domain.service.application import JourneyApp

SUBJECT_ACCESS = "person.subject-access"
PAGE = 1000  # access-log entries read at a time


class Standing(BaseModel):
    """A restriction or retention hold in force: when, by whom and why."""

    at: datetime
    by: str
    reason: str | None
    entry: int


class Consultation(BaseModel):
    """One access-log entry about the person, as the naming policy shows it."""

    at: datetime | None
    by: str
    role: str
    action: str
    purpose: str | None
    recipient: str | None


class Report(BaseModel):
    """The subject access report: JSON for the API and the command line, HTML for print."""

    person_id: str
    produced_at: datetime
    produced_by: str
    person: Person
    restricted: Standing | None
    retention_holds: list[Standing]
    merged_in: dict[str, list[int]]  # records merged into this one: entries each brought
    merged_into: str | None
    timeline: list[Entry]
    voided: int
    consulted: list[Consultation]
    naming: Literal["staff by name and role; partner systems by recipient; operators by login"] = (
        "staff by name and role; partner systems by recipient; operators by login"
    )


def report(
    app: JourneyApp, log: AccessLog, ref: str, *, user: str, roles: str, rid: str, purpose: str
) -> Report:
    """The report on a person, its production logged first (so it lists itself)."""
    person = app.person(ref)
    person_id = str(person.id)
    log.record([Access(user, roles, SUBJECT_ACCESS, rid, person_id, purpose=purpose)])
    state = person.state()
    assert state is not None  # registered, so known now
    entries = [entry_view(e) for e in app.timeline(person.id)]
    guard = state.protection
    return Report(
        person_id=person_id,
        produced_at=datetime.now(UTC),
        produced_by=user,
        person=person_from_state(state, NOW),
        restricted=None if guard.restricted is None else Standing(**vars(guard.restricted)),
        retention_holds=[Standing(**vars(h)) for h in guard.holds],
        merged_in=person.merges(),
        merged_into=state.merged_into,
        timeline=entries,
        voided=sum(1 for e in entries if e.voided),
        consulted=[consultation(a) for a in consultations(log, person_id)],
    )


def consultations(log: AccessLog, person_id: str) -> list[Access]:
    """Every access-log entry naming the person, oldest first."""
    found: list[Access] = []
    after = 0
    while True:
        page = log.query(person_id=person_id, after_id=after, limit=PAGE)
        found.extend(page)
        if len(page) < PAGE:
            return found
        after = page[-1].id or after


def consultation(access: Access) -> Consultation:
    roles = access.roles.split(",") if access.roles else []
    partner_only = roles == ["partner"]
    return Consultation(
        at=access.at,
        by=(access.recipient or "a partner system") if partner_only else access.user,
        role=access.roles or "none",
        action=access.action,
        purpose=access.purpose,
        recipient=access.recipient,
    )
