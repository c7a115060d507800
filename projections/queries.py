"""Questions the read models answer at once: who is this, where are they, who holds the case,
who is in each prison, and which cases need attention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from domain.identifiers import detect
from projections.db import ReadDb
from projections.rows import search_name
from projections.verify import normal

CUSTODY = ("in", "court", "tap", "transit")
RELEASE_DATES = ("HDCAD", "CRD", "ARD")

PERSON_COLUMNS = (
    "p.person_id, p.given_name, p.family_name, p.date_of_birth, p.noms, p.crn, p.pnc, p.cro, "
    "l.status, l.agency, l.prison, l.cell, l.since, o.responsibility, o.owner, o.pdu, o.com"
)
PERSON_JOIN = (
    "FROM rm_people p JOIN rm_location l ON l.person_id = p.person_id "
    "JOIN rm_ownership o ON o.person_id = p.person_id"
)
PERSON_KINDS = (
    "text",
    "text",
    "text",
    "date",
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
    "ts",
    "text",
    "text",
    "text",
    "text",
)


@dataclass(frozen=True)
class PersonRow:
    """One line about a person: who, where, who holds the case."""

    person_id: str
    given_name: str | None
    family_name: str | None
    date_of_birth: str | None
    noms: str | None
    crn: str | None
    pnc: str | None
    cro: str | None
    status: str
    agency: str | None
    prison: str | None
    cell: str | None
    since: str | None
    responsibility: str | None
    owner: str | None
    pdu: str | None
    com: str | None
    detail: str | None = None


def _people(
    db: ReadDb, where: str, params: tuple[Any, ...], extra: str = "", detail: str = "NULL"
) -> list[PersonRow]:
    sql = f"SELECT {PERSON_COLUMNS}, {detail} {PERSON_JOIN} {where} {extra}"
    return [_person(row) for row in db.query(sql, params)]


def _person(row: tuple[Any, ...]) -> PersonRow:
    values = [normal(v, kind) for v, kind in zip(row, PERSON_KINDS, strict=False)]
    detail = row[len(PERSON_KINDS)]
    values.append(None if detail is None else str(normal(detail, "text")))
    return PersonRow(*values)


def find(db: ReadDb, identifier: str) -> str | None:
    """The person holding an identifier in any accepted form."""
    kind, value = detect(identifier)
    rows = db.query(
        "SELECT person_id FROM rm_identifiers WHERE kind = %s AND value = %s", (kind.value, value)
    )
    return str(rows[0][0]) if rows else None


def search(
    db: ReadDb,
    *,
    name: str | None = None,
    date_of_birth: date | None = None,
    identifier: str | None = None,
    limit: int = 50,
) -> list[PersonRow]:
    """By exact identifier, by name (prefix, then typo-tolerant) and/or date of birth."""
    if identifier:
        person = find(db, identifier)
        return _people(db, "WHERE p.person_id = %s", (person,)) if person else []
    clauses, params = [], []
    if date_of_birth:
        clauses.append("p.date_of_birth = %s")
        params.append(date_of_birth)
    if not name:
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        return _people(db, where, tuple(params), f"ORDER BY p.search_name LIMIT {int(limit)}")
    wanted = search_name(name, "").strip()
    if not wanted:
        return []
    prefix = _people(
        db,
        " ".join([f"WHERE p.search_name {_like(db)}", *[f"AND {c}" for c in clauses]]),
        (like_prefix(wanted), *params),
        f"ORDER BY p.search_name LIMIT {int(limit)}",
    )
    if prefix:
        return prefix
    return _similar(db, wanted, clauses, params, limit)


LIKE_ESCAPE = "\\"


def _like(db: ReadDb) -> str:
    # PostgreSQL's LIKE escapes with a backslash unless told otherwise (and so keeps using the
    # prefix index); SQLite's escapes only with a character it is given.
    return "LIKE %s" if db.dialect == "postgres" else f"LIKE %s ESCAPE '{LIKE_ESCAPE}'"


def like_prefix(text: str) -> str:
    """A LIKE pattern matching names that start with `text`, its wildcards taken literally."""
    for special in (LIKE_ESCAPE, "%", "_"):
        text = text.replace(special, LIKE_ESCAPE + special)
    return text + "%"


def _similar(
    db: ReadDb, wanted: str, clauses: list[str], params: list[Any], limit: int
) -> list[PersonRow]:
    extra = "".join(f" AND {c}" for c in clauses)
    if db.dialect == "postgres":
        return _pg_similar(db, wanted, extra, params, limit)
    candidates = _people(
        db, f"WHERE substr(p.search_name, 1, 1) = %s{extra}", (wanted[:1], *params)
    )
    scored = sorted(
        (
            (trigram_similarity(wanted, search_name(c.family_name, c.given_name)), c)
            for c in candidates
        ),
        key=lambda sc: -sc[0],
    )
    return [c for score, c in scored if score >= 0.3][:limit]


def _pg_similar(
    db: ReadDb, wanted: str, extra: str, params: list[Any], limit: int
) -> list[PersonRow]:
    sql = (
        f"SELECT {PERSON_COLUMNS}, NULL {PERSON_JOIN} "
        f"WHERE public.similarity(p.search_name, %s) >= 0.3{extra} "
        f"ORDER BY public.similarity(p.search_name, %s) DESC LIMIT {int(limit)}"
    )
    return [_person(row) for row in db.query(sql, (wanted, *params, wanted))]


def trigram_similarity(a: str, b: str) -> float:
    """The same measure as PostgreSQL's pg_trgm: shared trigrams over all trigrams."""
    ta, tb = _trigrams(a), _trigrams(b)
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / len(ta | tb)


def _trigrams(text: str) -> set[str]:
    grams: set[str] = set()
    for word in text.split():
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def roll(db: ReadDb, prison: str) -> list[PersonRow]:
    """Everyone on a prison's roll now: in, out at court, on temporary absence, in transit out."""
    return _people(
        db,
        "WHERE l.prison = %s AND l.status IN ('in', 'court', 'tap', 'transit')",
        (prison.strip().upper(),),
        "ORDER BY l.status, p.search_name",
    )


def population(db: ReadDb) -> dict[str, dict[str, int]]:
    """Counts per prison and status, for everyone in custody now."""
    rows = db.query(
        "SELECT prison, status, count(*) FROM rm_location WHERE status IN "
        "('in', 'court', 'tap', 'transit') GROUP BY prison, status"
    )
    counts: dict[str, dict[str, int]] = {}
    for prison, status, n in rows:
        counts.setdefault(str(prison), {})[str(status)] = int(n)
    return counts


def pending_handovers(
    db: ReadDb, older_than: timedelta, now: datetime | None = None
) -> list[PersonRow]:
    cutoff = (now or datetime.now(UTC)) - older_than
    return _people(
        db,
        "WHERE o.handover_requested_at <= %s",
        (cutoff,),
        "ORDER BY o.handover_requested_at",
        "o.handover_to",
    )


def pending_area_transfers(
    db: ReadDb, older_than: timedelta, now: datetime | None = None
) -> list[PersonRow]:
    cutoff = (now or datetime.now(UTC)) - older_than
    return _people(
        db,
        "WHERE o.transfer_requested_at <= %s",
        (cutoff,),
        "ORDER BY o.transfer_requested_at",
        "o.transfer_pdu",
    )


def released_without_owner(db: ReadDb) -> list[PersonRow]:
    """Released from custody with no probation unit holding the case."""
    return _people(
        db,
        "WHERE l.status = 'released' AND l.agency_kind <> 'hospital' AND o.pdu IS NULL",
        (),
        "ORDER BY l.since",
    )


def long_transits(
    db: ReadDb, longer_than: timedelta = timedelta(hours=24), now: datetime | None = None
) -> list[PersonRow]:
    cutoff = (now or datetime.now(UTC)) - longer_than
    return _people(
        db,
        "WHERE l.status = 'transit' AND l.since <= %s",
        (cutoff,),
        "ORDER BY l.since",
        "l.destination",
    )


def upcoming_releases(
    db: ReadDb, days: int, today: date | None = None, prison: str | None = None
) -> list[PersonRow]:
    """People in custody whose earliest release date falls in the next `days` days."""
    start = today or datetime.now(UTC).date()
    end = start + timedelta(days=days)
    marks = ", ".join(["%s"] * len(RELEASE_DATES))
    where = (
        f"JOIN (SELECT person_id, min(value) AS release_on FROM rm_key_dates "
        f"WHERE code IN ({marks}) AND value >= %s GROUP BY person_id) k "
        "ON k.person_id = p.person_id WHERE l.status IN ('in', 'court', 'tap', 'transit') "
        "AND k.release_on <= %s"
    )
    params: list[Any] = [*RELEASE_DATES, start, end]
    if prison:
        where += " AND l.prison = %s"
        params.append(prison.strip().upper())
    return _people(db, where, tuple(params), "ORDER BY k.release_on, l.prison", "k.release_on")


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
BY_IDENTIFIER = (
    "p.person_id = (SELECT person_id FROM rm_identifiers WHERE kind = %s AND value = %s)"
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
        "WHERE r.region IS NULL OR o.region = r.region"
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


def population_at(db: ReadDb, as_of: datetime) -> dict[str, int]:
    """How many people were on each prison's roll at an effective time (current knowledge)."""
    rows = db.query(
        "SELECT prison, count(*) FROM rm_stays WHERE start_at <= %s AND "
        "(end_at IS NULL OR end_at > %s) GROUP BY prison ORDER BY prison",
        (as_of, as_of),
    )
    return {str(prison): int(n) for prison, n in rows}


def on_roll_at(db: ReadDb, prison: str, as_of: datetime) -> list[str]:
    """The people on a prison's roll at an effective time, by current knowledge."""
    rows = db.query(
        "SELECT DISTINCT person_id FROM rm_stays WHERE prison = %s AND start_at <= %s "
        "AND (end_at IS NULL OR end_at > %s) ORDER BY person_id",
        (prison.strip().upper(), as_of, as_of),
    )
    return [str(r[0]) for r in rows]


def ever_named(db: ReadDb, prison: str) -> list[str]:
    """Everyone any movement (voided ones too) has linked to a prison: the candidates for a
    roll as the system knew it at an earlier moment."""
    rows = db.query(
        "SELECT person_id FROM rm_agencies_named WHERE agency = %s ORDER BY person_id",
        (prison.strip().upper(),),
    )
    return [str(r[0]) for r in rows]


def first_with_status(
    db: ReadDb, statuses: tuple[str, ...], responsibility: str | None = None, skip: int = 0
) -> PersonRow | None:
    """The person with the lowest NOMS number (after `skip` others) whose status now is one
    of `statuses`."""
    marks = ", ".join(["%s"] * len(statuses))
    where = f"WHERE l.status IN ({marks}) AND p.noms IS NOT NULL"
    params: list[Any] = list(statuses)
    if responsibility:
        where += " AND o.responsibility = %s"
        params.append(responsibility)
    found = _people(db, where, tuple(params), f"ORDER BY p.noms LIMIT 1 OFFSET {int(skip)}")
    return found[0] if found else None
