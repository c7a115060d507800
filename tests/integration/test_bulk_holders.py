"""Who holds many identifiers at once, as loads read it: the same answers as one at a time."""

from __future__ import annotations

from domain.identifiers import claim_key, normalise
from domain.service.application import JourneyApp
from replay.loading import PeopleLoader
from tests.conftest import at, prov
from tests.integration.test_merges import KEPT, REMOVED, two_records

KEYS = [
    claim_key("NOMS", KEPT),
    claim_key("NOMS", REMOVED),
    claim_key("PNC", normalise("PNC", "12/394773H", "value")),
]
NOBODY = claim_key("NOMS", "Z0000ZZ")


def one_at_a_time(app: JourneyApp) -> dict[str, object]:
    found = {key: app.holder(*key.split(":", 1)) for key in [*KEYS, NOBODY]}
    return {key: holder for key, holder in found.items() if holder is not None}


def test_bulk_holders_match_single_lookups_before_and_after_a_merge(app: JourneyApp) -> None:
    two_records(app)
    loader = PeopleLoader(app)
    before = loader.holders([*KEYS, NOBODY])
    assert before == one_at_a_time(app)
    assert before[KEYS[1]] == before[KEYS[2]] != before[KEYS[0]]
    assert NOBODY not in before

    app.merge(KEPT, REMOVED, prov(at(1), reason="NOMIS merge"))
    after = loader.holders([*KEYS, NOBODY])
    assert after == one_at_a_time(app)
    assert set(after.values()) == {before[KEYS[0]]}
    people = loader.by_keys(KEYS, after)
    assert {str(p.id) for p in people.values()} == {str(before[KEYS[0]])}
