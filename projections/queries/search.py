"""Finding people: by exact identifier, by name (prefix, then typo-tolerant) and by date of
birth."""

from __future__ import annotations

from datetime import date
from typing import Any

from projections.db import ReadDb
from projections.queries.people import (
    PERSON_COLUMNS,
    PERSON_JOIN,
    PersonRow,
    find,
    people,
    person_row,
)
from projections.rows import search_name

# How alike two names must be (pg_trgm's measure) for a misspelt name to find a person.
SIMILAR = 0.3


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
        return people(db, "WHERE p.person_id = %s", (person,)) if person else []
    clauses, params = [], []
    if date_of_birth:
        clauses.append("p.date_of_birth = %s")
        params.append(date_of_birth)
    if not name:
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        return people(db, where, tuple(params), f"ORDER BY p.search_name LIMIT {int(limit)}")
    wanted = search_name(name, "").strip()
    if not wanted:
        return []
    prefix = people(
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
    candidates = people(db, f"WHERE substr(p.search_name, 1, 1) = %s{extra}", (wanted[:1], *params))
    scored = sorted(
        (
            (trigram_similarity(wanted, search_name(c.family_name, c.given_name)), c)
            for c in candidates
        ),
        key=lambda sc: -sc[0],
    )
    return [c for score, c in scored if score >= SIMILAR][:limit]


def _pg_similar(
    db: ReadDb, wanted: str, extra: str, params: list[Any], limit: int
) -> list[PersonRow]:
    sql = (
        f"SELECT {PERSON_COLUMNS}, NULL {PERSON_JOIN} "
        f"WHERE public.similarity(p.search_name, %s) >= {SIMILAR}{extra} "
        f"ORDER BY public.similarity(p.search_name, %s) DESC LIMIT {int(limit)}"
    )
    return [person_row(row) for row in db.query(sql, (wanted, *params, wanted))]


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
