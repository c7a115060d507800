"""Erasure (DPA 2018 s.47): what stays of an erased person, and the rules that allow it.

An erased person's events stay in the log at their positions, but their data key is destroyed:
each stored row is shredded (its topic and ciphertext replaced), and reading it gives a
`Shredded` event whose only use is to say when and under which rule the record was erased.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from domain import retention
from domain.errors import InvalidValue, NotFound


class PersonErased(NotFound):
    """The person's record was erased: only its base record (date and rule) remains."""

    code = "erased"

    def __init__(self, erased_on: date, rule: str) -> None:
        super().__init__("person", f"erased on {erased_on.isoformat()} under rule {rule}")
        self.erased_on, self.rule = erased_on, rule


@dataclass(frozen=True)
class Tombstone:
    """The base record of an erased person: no personal data, only the date and the rule."""

    erased_on: date
    rule: str

    def error(self) -> PersonErased:
        return PersonErased(self.erased_on, self.rule)


class Shredded:
    """A stored event whose data key was destroyed: its position and version stay, nothing
    else can be read. Folding it refuses, naming the erasure when a base record was kept."""

    originator_id: UUID
    originator_version: int
    tombstone: Tombstone | None

    def __init__(self, originator_id: UUID, version: int, tombstone: Tombstone | None) -> None:
        self.originator_id, self.originator_version = originator_id, version
        self.tombstone = tombstone

    def mutate(self, aggregate: Any) -> Any:
        if self.tombstone is None:
            raise NotFound("person", "no such record")
        raise self.tombstone.error()


SHREDDED_TOPIC = f"{__name__}:{Shredded.__name__}"


@dataclass(frozen=True)
class ErasureRule:
    """A rule under which a person's record may be erased, and whether a base record stays."""

    code: str
    description: str
    keeps_base_record: bool


# Erasures the retention rules do not cover (s.47(1): unlawful processing, an order); each
# retention rule (`domain.retention.RULES`) is also an erasure rule, keeping a base record as
# the NOMIS data-compliance service keeps one.
OWN_RULES = {
    rule.code: rule
    for rule in (
        ErasureRule(
            "NO-LONGER-NEEDED",
            "kept past the retention period and no longer needed for a law-enforcement purpose",
            keeps_base_record=True,
        ),
        ErasureRule(
            "UNLAWFUL",
            "processed unlawfully (s.47(1)): erased entirely, no base record",
            keeps_base_record=False,
        ),
        ErasureRule(
            "COURT-ORDER",
            "erasure ordered by a court or the Information Commissioner",
            keeps_base_record=True,
        ),
    )
}


RULES = OWN_RULES | {
    rule.id: ErasureRule(rule.id, rule.description, keeps_base_record=True)
    for rule in retention.RULES
}


def check_rule(code: str) -> ErasureRule:
    rule = RULES.get(code.strip()) or RULES.get(code.strip().upper())
    if rule is None:
        raise InvalidValue("rule", f"unknown erasure rule {code!r}; known: {', '.join(RULES)}")
    return rule


def check_reason(reason: str, personal: set[str]) -> str:
    """A reason is required, and must not itself name the person (it is kept for good)."""
    text = reason.strip()
    if len(text) < 5:
        raise InvalidValue("reason", "say why the record is erased (at least 5 characters)")
    # Whole words only: a name like "Bench" is not named by "benchmark".
    if any(
        value and re.search(rf"\b{re.escape(value)}\b", text, re.IGNORECASE) for value in personal
    ):
        raise InvalidValue("reason", "must not name the person or their identifiers")
    return text
