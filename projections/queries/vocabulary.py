"""The SQL literals the read-model queries compare statuses, agency kinds and key dates with,
built once from the journey's vocabulary so a renamed status cannot leave a query behind."""

from __future__ import annotations

from collections.abc import Iterable

from domain.person.vocabulary import CUSTODY, KEY_DATES, AgencyKind, Status


def sql_list(values: Iterable[str]) -> str:
    """`'a', 'b'`: values as a list of SQL string literals, in a stable order."""
    return ", ".join(f"'{_plain(v)}'" for v in sorted(values))


def sql_literal(value: str) -> str:
    """One value as a SQL string literal."""
    return f"'{_plain(value)}'"


def _plain(value: str) -> str:
    # The vocabulary is words and codes; a quote in one would be a mistake, not data to escape.
    if "'" in value or "\\" in value:
        raise ValueError(f"not a plain vocabulary word: {value!r}")
    return str(value)


def key_dates(*codes: str) -> tuple[str, ...]:
    """Key date codes, each checked against the vocabulary's."""
    unknown = [c for c in codes if c not in KEY_DATES]
    if unknown:
        raise ValueError(f"not key dates: {unknown}")
    return codes


# On a prison's roll: in, out at court, on temporary absence, in transit out.
CUSTODY_SQL = sql_list(CUSTODY)
RELEASED_SQL = sql_literal(Status.RELEASED)
TRANSIT_SQL = sql_literal(Status.TRANSIT)
HOSPITAL_SQL = sql_literal(AgencyKind.HOSPITAL)
# The dates a release falls on, whichever of them a sentence has.
RELEASE_DATES = key_dates("HDCAD", "CRD", "ARD")
