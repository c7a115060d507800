"""Finding people: by exact identifier, by name (the words in any order as prefixes, then
typo-tolerant) and by date of birth, counted and a page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import permutations
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
# Names of more words than this are matched in the order given: the orders grow factorially.
ORDERED_WORDS = 3


@dataclass(frozen=True)
class Found:
    """A page of the people a search finds, how many it finds in all, and whether they were
    found by a name spelt alike rather than as typed."""

    people: list[PersonRow]
    total: int
    alike: bool = False


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
    return find_people(db, name=name, date_of_birth=date_of_birth, limit=limit).people


def find_people(
    db: ReadDb,
    *,
    name: str | None = None,
    date_of_birth: date | None = None,
    region: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> Found:
    """People by name and/or date of birth (and, for a scoped caller, the probation region
    holding the case): the words of a name in any order, each the start of a word of the name;
    if none is, names spelt alike. One page, and the count of all."""
    clauses: list[str] = []
    params: list[Any] = []
    if date_of_birth:
        clauses.append("p.date_of_birth = %s")
        params.append(date_of_birth)
    if region:
        clauses.append("o.region = %s")
        params.append(region)
    words = search_name(name, "").split() if name else []
    if name and not words:
        return Found([], 0)  # a name of nothing searchable finds no one, not everyone
    if not words:
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        return _paged(db, where, params, "p.search_name, p.person_id", offset=offset, limit=limit)
    orders = _orders(words)
    prefix = " OR ".join([f"p.search_name {_like(db)}"] * len(orders))
    where = " AND ".join([f"({prefix})", *clauses])
    found = _paged(
        db,
        f"WHERE {where}",
        [*(like_prefix(" ".join(o)) for o in orders), *params],
        "p.search_name, p.person_id",
        offset=offset,
        limit=limit,
    )
    if found.total:
        return found
    return _alike(db, words, clauses, params, offset=offset, limit=limit)


def _orders(words: list[str]) -> list[tuple[str, ...]]:
    if len(words) > ORDERED_WORDS:
        return [tuple(words)]
    return list(dict.fromkeys(permutations(words)))


def _paged(
    db: ReadDb, where: str, params: list[Any], order: str, *, offset: int, limit: int
) -> Found:
    total = db.query(f"SELECT count(*) {PERSON_JOIN} {where}", tuple(params))[0][0]
    page = people(
        db, where, tuple(params), f"ORDER BY {order} LIMIT {int(limit)} OFFSET {int(offset)}"
    )
    return Found(page, int(total))


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


def name_score(words: list[str], name: str) -> float:
    """How alike a searched name and a person's search name are: the whole name in any order
    of its words, or any one word against the family name's first word."""
    family = name.split(" ", 1)[0]
    whole = (trigram_similarity(" ".join(o), name) for o in _orders(words))
    single = (trigram_similarity(w, family) for w in words)
    return max(*whole, *single)


def _alike(
    db: ReadDb, words: list[str], clauses: list[str], params: list[Any], *, offset: int, limit: int
) -> Found:
    # Candidates share a first letter with one of the words: a misspelling rarely starts wrong.
    initials = sorted({w[0] for w in words})
    first = " OR ".join(["substr(p.search_name, 1, 1) = %s"] * len(initials))
    where = " AND ".join([f"({first})", *clauses])
    if db.dialect == "postgres":
        return _pg_alike(db, words, where, [*initials, *params], offset=offset, limit=limit)
    rows = db.query(
        f"SELECT p.person_id, p.search_name {PERSON_JOIN} WHERE {where}", (*initials, *params)
    )
    scored = sorted(
        ((name_score(words, str(n)), str(n), str(pid)) for pid, n in rows),
        key=lambda s: (-s[0], s[1], s[2]),
    )
    matched = [pid for score, _, pid in scored if score >= SIMILAR]
    chosen = matched[offset : offset + limit]
    by_id = {}
    if chosen:
        marks = ", ".join(["%s"] * len(chosen))
        by_id = {
            r.person_id: r for r in people(db, f"WHERE p.person_id IN ({marks})", tuple(chosen))
        }
    return Found([by_id[pid] for pid in chosen if pid in by_id], len(matched), alike=True)


def _pg_alike(
    db: ReadDb, words: list[str], where: str, params: list[Any], *, offset: int, limit: int
) -> Found:
    orders = [" ".join(o) for o in _orders(words)]
    parts = [*(["public.similarity(p.search_name, %s)"] * len(orders))]
    parts += ["public.similarity(split_part(p.search_name, ' ', 1), %s)"] * len(words)
    score = f"GREATEST({', '.join(parts)})"
    scored = (
        f"SELECT {PERSON_COLUMNS}, NULL, p.search_name AS named, {score} AS score "
        f"{PERSON_JOIN} WHERE {where}"
    )
    args = (*orders, *words, *params)
    total = db.query(f"SELECT count(*) FROM ({scored}) s WHERE s.score >= {SIMILAR}", args)
    rows = db.query(
        f"SELECT * FROM ({scored}) s WHERE s.score >= {SIMILAR} "
        f"ORDER BY s.score DESC, s.named, s.person_id "
        f"LIMIT {int(limit)} OFFSET {int(offset)}",
        args,
    )
    return Found([person_row(row[:-2]) for row in rows], int(total[0][0]), alike=True)


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
