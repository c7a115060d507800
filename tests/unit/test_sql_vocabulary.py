"""The read models' SQL literals, and the pages' words, follow the journey's vocabulary."""

from __future__ import annotations

import pytest

from api.pages import wording
from domain.person.vocabulary import CUSTODY, KEY_DATES, AgencyKind, Status
from projections.queries import vocabulary as sql


def literals(fragment: str) -> set[str]:
    return {part.strip().strip("'") for part in fragment.split(",")}


def test_custody_fragment_lists_exactly_the_custody_statuses() -> None:
    assert literals(sql.CUSTODY_SQL) == {s.value for s in CUSTODY}
    assert sql.CUSTODY_SQL == "'court', 'in', 'tap', 'transit'"


def test_single_literals_are_the_vocabulary_words() -> None:
    assert sql.RELEASED_SQL == f"'{Status.RELEASED.value}'" == "'released'"
    assert sql.TRANSIT_SQL == f"'{Status.TRANSIT.value}'" == "'transit'"
    assert sql.HOSPITAL_SQL == f"'{AgencyKind.HOSPITAL.value}'" == "'hospital'"


def test_release_dates_are_key_dates() -> None:
    assert set(sql.RELEASE_DATES) <= set(KEY_DATES)
    assert sql.RELEASE_DATES == ("HDCAD", "CRD", "ARD")
    with pytest.raises(ValueError, match="not key dates"):
        sql.key_dates("CRD", "NOPE")


def test_a_quote_is_never_spliced_into_sql() -> None:
    with pytest.raises(ValueError, match="plain vocabulary"):
        sql.sql_literal("it's")


def test_page_wording_names_every_status_and_key_date_of_the_vocabulary() -> None:
    assert set(wording.STATUS) == set(Status)
    assert set(wording.KEY_DATE_NAMES) == set(KEY_DATES)
