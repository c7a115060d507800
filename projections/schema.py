"""The read models: each projection, its tables, and their columns.

Tables carry a generation suffix (`rm_location_g3`); a view with the bare name (`rm_location`)
points at the live generation, so a rebuild can fill new tables and swap in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from projections import rows
from projections.rows import RowMaker

TYPES = {
    "postgres": {"text": "TEXT", "int": "BIGINT", "date": "DATE", "ts": "TIMESTAMPTZ"},
    "sqlite": {"text": "TEXT", "int": "INTEGER", "date": "TEXT", "ts": "TEXT"},
}
META = "rm_projections"


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, str], ...]
    key: tuple[str, ...]
    make: RowMaker
    indexes: tuple[tuple[str, ...], ...] = ()
    trigram: tuple[str, ...] = ()  # PostgreSQL trigram (typo-tolerant) indexes

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    def physical(self, generation: int) -> str:
        return f"{self.name}_g{generation}"

    def ddl(self, dialect: str, generation: int) -> list[str]:
        types = TYPES[dialect]
        cols = ", ".join(f"{name} {types[kind]}" for name, kind in self.columns)
        table = self.physical(generation)
        statements = [
            f"CREATE TABLE IF NOT EXISTS {table} ({cols}, PRIMARY KEY ({', '.join(self.key)}))"
        ]
        for i, index in enumerate(self.indexes):
            statements.append(
                f"CREATE INDEX IF NOT EXISTS {table}_i{i} ON {table} ({', '.join(index)})"
            )
        return statements

    def insert_sql(self, generation: int) -> str:
        marks = ", ".join(["%s"] * len(self.columns))
        return (
            f"INSERT INTO {self.physical(generation)} ({', '.join(self.column_names)}) "
            f"VALUES ({marks})"
        )


@dataclass(frozen=True)
class Projection:
    name: str
    tables: tuple[Table, ...]


LOCATION = Table(
    "rm_location",
    (
        ("person_id", "text"),
        ("status", "text"),
        ("agency", "text"),
        ("agency_kind", "text"),
        ("prison", "text"),
        ("destination", "text"),
        ("cell", "text"),
        ("since", "ts"),
        ("movement_type", "text"),
        ("direction", "text"),
        ("reason_code", "text"),
        ("entry", "int"),
        ("version", "int"),
    ),
    ("person_id",),
    rows.location_rows,
    (("prison", "status"), ("status", "since")),
)
OWNERSHIP = Table(
    "rm_ownership",
    (
        ("person_id", "text"),
        ("responsibility", "text"),
        ("owner", "text"),
        ("region", "text"),
        ("pdu", "text"),
        ("team", "text"),
        ("pom", "text"),
        ("pom_unit", "text"),
        ("com", "text"),
        ("com_unit", "text"),
        ("since", "ts"),
        ("handover_to", "text"),
        ("handover_requested_at", "ts"),
        ("transfer_region", "text"),
        ("transfer_pdu", "text"),
        ("transfer_team", "text"),
        ("transfer_requested_at", "ts"),
        ("risk_level", "text"),
        ("risk_escalated_at", "ts"),
        ("version", "int"),
    ),
    ("person_id",),
    rows.ownership_rows,
    (("handover_requested_at",), ("transfer_requested_at",), ("pdu",)),
)
KEY_DATES = Table(
    "rm_key_dates",
    (("person_id", "text"), ("code", "text"), ("value", "date")),
    ("person_id", "code"),
    rows.key_date_rows,
    (("code", "value"),),
)
PEOPLE = Table(
    "rm_people",
    (
        ("person_id", "text"),
        ("given_name", "text"),
        ("family_name", "text"),
        ("date_of_birth", "date"),
        ("sex", "text"),
        ("noms", "text"),
        ("crn", "text"),
        ("pnc", "text"),
        ("cro", "text"),
        ("search_name", "text"),
        ("version", "int"),
    ),
    ("person_id",),
    rows.people_rows,
    (("search_name",), ("date_of_birth",)),
    trigram=("search_name",),
)
IDENTIFIERS = Table(
    "rm_identifiers",
    (("kind", "text"), ("value", "text"), ("person_id", "text")),
    ("kind", "value"),
    rows.identifier_rows,
    (("value",), ("person_id",)),
)

STAYS = Table(
    "rm_stays",
    (
        ("person_id", "text"),
        ("seq", "int"),
        ("prison", "text"),
        ("start_at", "ts"),
        ("end_at", "ts"),
    ),
    ("person_id", "seq"),
    rows.stay_rows,
    (("prison", "start_at"),),
)
AGENCIES_NAMED = Table(
    "rm_agencies_named",
    (("person_id", "text"), ("agency", "text")),
    ("person_id", "agency"),
    rows.agency_rows,
    (("agency",),),
)

# Restricted records (a row only while restricted: every list joins it to leave them out), and
# what the retention review reads of each person besides their location and stays.
RESTRICTED = Table(
    "rm_restricted",
    (("person_id", "text"), ("since", "ts")),
    ("person_id",),
    rows.restricted_rows,
)
RETENTION = Table(
    "rm_retention",
    (
        ("person_id", "text"),
        ("sentence_end", "date"),
        ("last_movement", "date"),
        ("bookings", "int"),
        ("ever_ual", "int"),
        ("merges", "int"),
        ("holds", "int"),
    ),
    ("person_id",),
    rows.retention_rows,
    (("sentence_end",),),
)

PROJECTIONS = (
    Projection("location", (LOCATION,)),
    Projection("ownership", (OWNERSHIP,)),
    Projection("key_dates", (KEY_DATES,)),
    Projection("people", (PEOPLE, IDENTIFIERS)),
    Projection("stays", (STAYS, AGENCIES_NAMED)),
    Projection("protection", (RESTRICTED, RETENTION)),
)
BY_NAME = {p.name: p for p in PROJECTIONS}


def meta_ddl(dialect: str) -> str:
    big = TYPES[dialect]["int"]
    return (
        f"CREATE TABLE IF NOT EXISTS {META} (name TEXT NOT NULL, generation {big} NOT NULL, "
        f"state TEXT NOT NULL, position {big} NOT NULL, snapshot {big}, cursor TEXT, "
        "PRIMARY KEY (name, generation))"
    )
