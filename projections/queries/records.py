"""Everything the read models hold about one person, read in one statement: the where-is
answer, by person id or by identifier, alone or many lookups at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.identifiers import detect
from projections.db import ReadDb
from projections.verify import normal


@dataclass(frozen=True)
class PersonRecord:
    """Everything the read models hold about one person, for a where-is answer."""

    person: dict[str, Any]
    location: dict[str, Any]
    ownership: dict[str, Any]
    identifiers: dict[str, list[str]]
    key_dates: dict[str, date]


PEOPLE_FIELDS = ("given_name", "family_name", "date_of_birth", "sex", "version")
LOCATION_FIELDS = (
    "status",
    "agency",
    "agency_kind",
    "prison",
    "destination",
    "cell",
    "since",
    "movement_type",
    "direction",
    "reason_code",
)
OWNERSHIP_FIELDS = (
    "responsibility",
    "owner",
    "region",
    "pdu",
    "team",
    "pom",
    "pom_unit",
    "com",
    "com_unit",
    "since",
    "handover_to",
    "handover_requested_at",
    "transfer_region",
    "transfer_pdu",
    "transfer_team",
    "transfer_requested_at",
    "risk_level",
    "risk_escalated_at",
)
KINDS = {
    "date_of_birth": "date",
    "since": "ts",
    "handover_requested_at": "ts",
    "transfer_requested_at": "ts",
    "risk_escalated_at": "ts",
    "version": "int",
}


def person_record(db: ReadDb, person_id: str) -> PersonRecord | None:
    """One person's rows from every read model, in one query."""
    rows = db.query(person_record_sql(db.dialect, BY_ID), (person_id,))
    return person_record_from_row(rows[0]) if rows else None


def person_record_by_identifier(db: ReadDb, identifier: str) -> tuple[str, PersonRecord] | None:
    """The person holding an identifier (any accepted form) and their rows, in one query."""
    rows = db.query(person_record_sql(db.dialect, BY_IDENTIFIER), identifier_key(identifier))
    if not rows:
        return None
    found = person_record_from_row(rows[0])
    return found.person["person_id"], found


BY_ID = "p.person_id = %s"
# Parameters: `identifier_key(...)`.
# A restricted record is never read by identifier: the caller goes the long way round, where
# the restriction is checked (its reader named, the reason logged).
BY_IDENTIFIER = (
    "p.person_id = (SELECT person_id FROM rm_identifiers WHERE kind = %s AND value = %s) "
    "AND NOT EXISTS (SELECT 1 FROM rm_restricted x WHERE x.person_id = p.person_id)"
)


def identifier_key(identifier: str) -> tuple[str, str]:
    """An identifier in any accepted form as the (kind, normal value) the index holds."""
    kind, value = detect(identifier)
    return kind.value, value


def person_record_sql(dialect: str, where: str) -> str:
    """The one query for a person's rows from every read model; the person id comes first."""
    return (
        f"SELECT {record_columns(dialect)} FROM rm_people p JOIN rm_location l ON l.person_id = "
        "p.person_id JOIN rm_ownership o ON o.person_id = p.person_id "
        f"WHERE {where}"
    )


def person_records_sql(dialect: str, refs: str) -> str:
    """`person_record_sql` for many lookups at once. `refs` is a relation with columns `n`,
    `kind`, `value` (as `identifier_key` gives them) and `region` (NULL for any); each row is
    a lookup's `n`, then the columns of `person_record_sql`. A lookup whose identifier no one
    holds, or whose person's case is held outside its region, has no row."""
    return (
        f"SELECT r.n, {record_columns(dialect)} FROM {refs} r "
        "JOIN rm_identifiers i ON i.kind = r.kind AND i.value = r.value "
        "JOIN rm_people p ON p.person_id = i.person_id "
        "JOIN rm_location l ON l.person_id = p.person_id "
        "JOIN rm_ownership o ON o.person_id = p.person_id "
        "WHERE (r.region IS NULL OR o.region = r.region) "
        "AND NOT EXISTS (SELECT 1 FROM rm_restricted x WHERE x.person_id = p.person_id)"
    )


def record_columns(dialect: str) -> str:
    concat = "string_agg" if dialect == "postgres" else "group_concat"
    return ", ".join(
        [
            "p.person_id",
            *(f"p.{c}" for c in PEOPLE_FIELDS),
            *(f"l.{c}" for c in LOCATION_FIELDS),
            *(f"o.{c}" for c in OWNERSHIP_FIELDS),
            f"(SELECT {concat}(kind || '=' || value, ';') FROM rm_identifiers x "
            "WHERE x.person_id = p.person_id)",
            f"(SELECT {concat}(code || '=' || CAST(value AS TEXT), ';') FROM rm_key_dates k "
            "WHERE k.person_id = p.person_id)",
        ]
    )


def person_record_from_row(row: tuple[Any, ...]) -> PersonRecord:
    """A row of `person_record_sql` as a record."""
    values = list(row)
    n_p, n_l = len(PEOPLE_FIELDS) + 1, len(LOCATION_FIELDS)
    identifiers: dict[str, list[str]] = {}
    for pair in sorted((values[-2] or "").split(";")):
        if pair:
            kind, value = pair.split("=", 1)
            identifiers.setdefault(kind, []).append(value)
    dates = sorted(pair.split("=", 1) for pair in (values[-1] or "").split(";") if pair)
    return PersonRecord(
        person={"person_id": str(values[0]), **_named(PEOPLE_FIELDS, values[1:n_p])},
        location=_named(LOCATION_FIELDS, values[n_p : n_p + n_l]),
        ownership=_named(OWNERSHIP_FIELDS, values[n_p + n_l : -2]),
        identifiers=identifiers,
        key_dates={code: date.fromisoformat(value) for code, value in dates},
    )


def _named(names: tuple[str, ...], values: list[Any]) -> dict[str, Any]:
    return {n: normal(v, KINDS.get(n, "text")) for n, v in zip(names, values, strict=True)}
