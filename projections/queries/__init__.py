"""Questions the read models answer at once: who is this, where are they, who holds the case,
who is in each prison, and which cases need attention.

Each concept has its own module (`people`, `search`, `rolls`, `queues`, `records`); this
package names them all, so callers write `queries.search(...)` whichever module holds it.
"""

from __future__ import annotations

from projections.queries.people import (
    PERSON_COLUMNS,
    PERSON_JOIN,
    PersonRow,
    find,
    restricted,
    restricted_among,
)
from projections.queries.queues import (
    long_transits,
    pending_area_transfers,
    pending_handovers,
    released_without_owner,
    upcoming_releases,
)
from projections.queries.records import (
    BY_ID,
    BY_IDENTIFIER,
    LOCATION_FIELDS,
    OWNERSHIP_FIELDS,
    PEOPLE_FIELDS,
    PersonRecord,
    identifier_key,
    person_record,
    person_record_by_identifier,
    person_record_from_row,
    person_record_sql,
    person_records_sql,
    record_columns,
)
from projections.queries.rolls import (
    ever_named,
    first_with_status,
    on_roll_at,
    population,
    population_at,
    roll,
    withheld,
)
from projections.queries.search import (
    LIKE_ESCAPE,
    Found,
    find_people,
    like_prefix,
    search,
    trigram_similarity,
)
from projections.queries.vocabulary import RELEASE_DATES

__all__ = [
    "BY_ID",
    "BY_IDENTIFIER",
    "LIKE_ESCAPE",
    "LOCATION_FIELDS",
    "OWNERSHIP_FIELDS",
    "PEOPLE_FIELDS",
    "PERSON_COLUMNS",
    "PERSON_JOIN",
    "RELEASE_DATES",
    "Found",
    "PersonRecord",
    "PersonRow",
    "ever_named",
    "find",
    "find_people",
    "first_with_status",
    "identifier_key",
    "like_prefix",
    "long_transits",
    "on_roll_at",
    "pending_area_transfers",
    "pending_handovers",
    "person_record",
    "person_record_by_identifier",
    "person_record_from_row",
    "person_record_sql",
    "person_records_sql",
    "population",
    "population_at",
    "record_columns",
    "released_without_owner",
    "restricted",
    "restricted_among",
    "roll",
    "search",
    "trigram_similarity",
    "upcoming_releases",
    "withheld",
]
