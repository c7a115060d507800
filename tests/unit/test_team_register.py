"""The team register agrees with the probation register it sits under (PROVENANCE.md)."""

from __future__ import annotations

import pytest

from domain import reference
from domain.errors import UnknownCode
from domain.reference.teams import known_team, team, teams


def test_every_team_sits_in_a_region_of_the_probation_register() -> None:
    regions = {r.code for r in reference.regions()}
    assert len(teams()) == 974
    for found in teams():
        assert found.region_code in regions, found
        assert found.code.startswith(found.region_code), found
        if reference.is_pdu(found.pdu_code):
            assert reference.pdu(found.pdu_code).parent_code == found.region_code, found


def test_a_team_is_found_by_its_code_in_any_case() -> None:
    leeds = team(" n55ls1 ")
    assert (leeds.name, leeds.pdu_code, leeds.region_code) == (
        "Leeds Sentence Management Team 1",
        "N55LEE",
        "N55",
    )
    assert known_team("N03UAT") is None
    with pytest.raises(UnknownCode) as refused:
        team("N03UAT", "teamCode")
    assert refused.value.field == "teamCode"
