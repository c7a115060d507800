"""Read-model rows from a person's derived state: one function per projection."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from domain import retention
from domain.person.state import PersonState

Row = tuple[Any, ...]


def location_rows(state: PersonState) -> list[Row]:
    loc = state.location
    return [
        (
            state.person_id,
            loc.status.value,
            loc.agency,
            loc.agency_kind.value if loc.agency_kind else None,
            loc.prison,
            loc.destination,
            loc.cell,
            loc.since,
            loc.movement_type,
            loc.direction,
            loc.reason_code,
            loc.entry,
            state.version,
        )
    ]


def ownership_rows(state: PersonState) -> list[Row]:
    own = state.ownership
    handover, transfer = own.pending_handover, own.pending_area_transfer
    return [
        (
            state.person_id,
            own.responsibility.value if own.responsibility else None,
            state.owner,
            own.region,
            own.pdu,
            own.team,
            own.pom,
            own.pom_unit,
            own.com,
            own.com_unit,
            own.since,
            handover.to if handover else None,
            handover.requested_at if handover else None,
            transfer.to if transfer else None,
            transfer.pdu if transfer else None,
            transfer.team if transfer else None,
            transfer.requested_at if transfer else None,
            own.risk_level,
            own.risk_escalated_at,
            state.version,
        )
    ]


def key_date_rows(state: PersonState) -> list[Row]:
    return [(state.person_id, code, value) for code, value in sorted(state.key_dates.items())]


def people_rows(state: PersonState) -> list[Row]:
    ids = state.identifiers
    return [
        (
            state.person_id,
            state.given_name,
            state.family_name,
            state.date_of_birth,
            state.sex,
            _first(ids, "NOMS"),
            _first(ids, "CRN"),
            _first(ids, "PNC"),
            _first(ids, "CRO"),
            search_name(state.family_name, state.given_name),
            state.version,
        )
    ]


def _first(ids: dict[str, tuple[str, ...]], kind: str) -> str | None:
    values = ids.get(kind)
    return values[0] if values else None


def identifier_rows(state: PersonState) -> list[Row]:
    return [
        (kind, value, state.person_id)
        for kind, values in sorted(state.identifiers.items())
        for value in values
    ]


def stay_rows(state: PersonState) -> list[Row]:
    return [
        (state.person_id, i, stay.prison, stay.start, stay.end)
        for i, stay in enumerate(state.stays)
    ]


def agency_rows(state: PersonState) -> list[Row]:
    return [(state.person_id, agency) for agency in state.prisons_named]


def restricted_rows(state: PersonState) -> list[Row]:
    mark = state.protection.restricted
    return [] if mark is None else [(state.person_id, mark.at)]


def retention_rows(state: PersonState) -> list[Row]:
    """Sentence end (the expiry date, SED), the last movement's day (UTC), bookings
    (receptions: stays that do not follow straight on from another), escapes, merges, holds."""
    guard = state.protection
    return [
        (
            state.person_id,
            state.key_dates.get("SED"),
            retention.day_of(state.location.since),
            retention.bookings(state.stays),
            int(guard.ever_ual),
            guard.merges,
            len(guard.holds),
        )
    ]


def search_name(family: str | None, given: str | None) -> str:
    """Lower-case, accent-free 'family given' for prefix and similarity search."""
    text = f"{family or ''} {given or ''}"
    if not text.isascii():  # ASCII has no accents to take off (and NFKD leaves it as it is)
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.lower().split())


RowMaker = Callable[[PersonState], list[Row]]
Value = str | int | date | datetime | None
