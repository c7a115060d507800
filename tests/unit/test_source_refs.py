"""A movement's natural key is the same in every shape, and keys stored in the earlier form
are read as it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from domain.source_refs import canonical_ref, movement_ref

WHEN = datetime(2024, 6, 3, 17, 30, tzinfo=ZoneInfo("Europe/London"))


def test_a_movement_key_names_no_person_and_no_reason() -> None:
    key = movement_ref(WHEN, "ADM", "IN", "BRMCMC", "BMI")
    assert key == "movement|2024-06-03T17:30:00+01:00|ADM|IN|BRMCMC|BMI"
    assert movement_ref(WHEN, "TAP", "OUT", "BMI", None).endswith("|TAP|OUT|BMI|")


def test_an_earlier_movement_key_is_read_as_today_s() -> None:
    legacy = "A5107XA|2024-06-03T17:30:00+01:00|ADM|IN|BRMCMC|BMI|N"
    assert canonical_ref(legacy) == movement_ref(WHEN, "ADM", "IN", "BRMCMC", "BMI")
    # Check other keys are left as they are: a notice's, an allocation's, a command's own.
    for other in (
        "A5107XA|2024-06-03T17:30:00+01:00|received|NEW_ADMISSION|BMI",
        "C643975|2024-05-02T10:30:54.023000+01:00|N55|N55LS1|N55LS13",
        "booking|2198101",
        "adm-1|a|b|c|d|e|f",
    ):
        assert canonical_ref(other) == other
