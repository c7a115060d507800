"""Search as officers use it, on SQLite and PostgreSQL: a name's words in any order, a misspelt
family name, and every match counted and read a page at a time."""

from __future__ import annotations

from datetime import date

from domain.service.application import JourneyApp
from projections import queries
from projections.db import ReadDb
from projections.runner import Runner
from tests.helpers import register

GIVEN = ["Lee", "Ama", "Kofi", "Esi", "Yaw", "Abena", "Kwame", "Efua"]


def test_names_in_any_order_typos_counts_and_pages(store: tuple[JourneyApp, ReadDb]) -> None:
    app, db = store
    for n in range(23):
        born = date(1970 + n, 1 + n % 12, 1 + n % 27)
        register(app, {"NOMS": f"A{n:04d}MM"}, GIVEN[n % len(GIVEN)], "Mensah", born)
    register(app, {"NOMS": "A0001WW"}, "Adam", "Wilson", date(1981, 5, 6))
    register(app, {"NOMS": "A0002WW"}, "Leah", "Mensahson", date(1982, 5, 6))
    Runner(app, db).catch_up()

    # Check given and family name find the person whichever comes first.
    for typed in ("Lee Mensah", "Mensah Lee", "mensah  LEE"):
        found = queries.find_people(db, name=typed)
        assert found.total == 3, typed
        assert {r.given_name for r in found.people} == {"Lee"}
        assert not found.alike

    # Check a family name finds all who bear it (prefixes too), counted, a page at a time.
    first = queries.find_people(db, name="Mensah", limit=20)
    assert first.total == 24
    assert len(first.people) == 20
    rest = queries.find_people(db, name="Mensah", offset=20, limit=20)
    assert len(rest.people) == 4
    seen = [r.noms for r in first.people + rest.people]
    assert len(set(seen)) == 24
    assert rest.people[-1].family_name == "Mensahson"

    # Check a date of birth narrows a name to one.
    one = queries.find_people(db, name="mensah", date_of_birth=date(1975, 6, 6))
    assert [r.noms for r in one.people] == ["A0005MM"]

    # Check misspelt family names find the people, marked as spelt alike.
    for typed, noms in (("Wilsen", "A0001WW"), ("Adam Wilsen", "A0001WW")):
        alike = queries.find_people(db, name=typed)
        assert alike.alike, typed
        assert alike.people[0].noms == noms, typed
    mensha = queries.find_people(db, name="Mensha", limit=10)
    assert mensha.alike
    assert mensha.total >= 23
    assert len(mensha.people) == 10
    assert all(r.family_name and r.family_name.startswith("Mensah") for r in mensha.people)

    # Check a name nobody is like, or with nothing searchable in it, finds nobody.
    assert queries.find_people(db, name="Zzyzx").total == 0
    assert queries.find_people(db, name="\u0301\u0301 ").total == 0
