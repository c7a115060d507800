"""One person's lines of a load applied in memory, through the same commands and registration
as the service: checked together, the lines at fault named, nothing saved here (the importer
saves a chunk of people at once)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.claims import IdentifierClaim
from domain.errors import DomainError, ImpossibleJourney
from domain.person.aggregate import Person, Recorded
from domain.provenance import Provenance
from domain.service.catalogue import AddIdentifier
from domain.service.command import Claiming, Command
from domain.service.registration import register_person
from replay import formats
from replay.allocation import Allocation
from replay.batch import Progress, Reject
from replay.formats.records import PrisonNotice
from replay.notices import announced

# A load's provenance for a line: (occurred at, source ref, reason, correlation id, when the
# source created the record).
Provenances = Callable[[Any, str, str | None, str | None, datetime | None], Provenance]


@dataclass
class GroupResult:
    """One person's lines, applied in memory."""

    person: Person | None
    claims: list[IdentifierClaim] = field(default_factory=list)
    entries: int = 0
    duplicates: int = 0
    registered: bool = False
    implied: bool = False  # registered because a line named them, not by a registration line
    rejects: list[Reject] = field(default_factory=list)
    progress: Progress = field(default_factory=Progress)


class PersonLines:
    """Applies a person's lines; `holder` answers who holds an identifier (a load's bulk
    lookups in front of the store)."""

    def __init__(self, holder: Callable[[str, str], UUID | None]) -> None:
        self.holder = holder

    def apply(
        self, key: str, records: list[formats.Record], person: Person | None, load: Provenances
    ) -> GroupResult:
        result = GroupResult(person)
        remaining = list(records)
        if person is None:
            remaining = self._register(key, remaining, load, result)
            if result.person is None:
                return result
        else:
            remaining = [known_registration(r) for r in remaining]
        for _ in range(len(remaining) + 1):
            try:
                self._steps(remaining, load, result)
                break
            except LineRefused as refused:
                result.rejects.extend(refused.rejects)
                bad = {r.line for r in refused.rejects}
                remaining = [r for r in remaining if r.line not in bad]
        if result.implied and result.entries == 1:
            # Registered only because a movement named them, and every such line was refused.
            return GroupResult(None, rejects=result.rejects)
        return result

    def _register(
        self, key: str, records: list[formats.Record], load: Provenances, result: GroupResult
    ) -> list[formats.Record]:
        """A new person from the first record that can say who they are."""
        first = next((r for r in records if r.registration is not None), None)
        if first is None:
            result.rejects.extend(r.refused_unheld() for r in records)
            return []
        reg = first.registration or {}
        kind, value = key.split(":", 1)
        identifiers = first.identifiers or {kind: value}
        # Registered by the service's own rule, with this chunk's bulk lookups in front of the
        # store; the person and their claims are saved with the chunk.
        claims = Claiming(self.holder, result.claims)
        try:
            provenance = load(
                reg["occurred_at"],
                reg.get("source_ref") or f"register|{key}",
                reg.get("reason"),
                None,
                None,
            )
            person = register_person(
                claims,
                provenance,
                given_name=reg.get("given_name"),
                family_name=reg.get("family_name"),
                date_of_birth=reg.get("date_of_birth"),
                sex=reg.get("sex"),
                identifiers=identifiers,
            )
        except DomainError as error:
            result.rejects.append(first.refused(error.field, error.reason))
            result.rejects.extend(
                r.refused("person", f"not registered: line {first.line} was refused")
                for r in records
                if r is not first
            )
            return []
        result.person, result.registered, result.entries = person, True, 1
        result.implied = not first.identifiers
        result.progress.saw(provenance.occurred_at)
        return [r for r in records if r is not first or r.steps]

    def _steps(self, records: list[formats.Record], load: Provenances, result: GroupResult) -> None:
        """Every step of the person's lines, checked together: all kept, or LineRefused naming
        the lines at fault (the person is then unchanged)."""
        person = result.person
        assert person is not None
        lines: dict[int, int] = {}  # entry version -> line
        allocation = Allocation(person)
        sub = GroupResult(person)
        # Identifiers are claimed through the same command as the service's, with this
        # chunk's bulk lookups in front of the store.
        claims = Claiming(self.holder, sub.claims)
        try:
            with person.together():
                for record in records:
                    try:
                        for step in record.steps:
                            expanded = commands_of(step, allocation, person)
                            sub.duplicates += not expanded  # a notice of what is on record
                            for command, suffix, reason in expanded:
                                prov = load(
                                    step.occurred_at,
                                    step.source_ref + suffix,
                                    reason,
                                    step.correlation_id,
                                    step.created_at,
                                )
                                recorded = command.apply(person, prov, claims)
                                self._count(recorded, sub, prov)
                                if recorded is not None and not recorded.duplicate:
                                    lines[recorded.version] = record.line
                    except ImpossibleJourney:
                        raise
                    except DomainError as error:
                        raise LineError(record.line, error.field, error.reason) from None
        except ImpossibleJourney as error:
            line = lines.get(error.entry) if error.entry is not None else None
            at_fault = [r for r in records if line is None or r.line == line]
            refused = [r.refused(error.field, error.reason, history=True) for r in at_fault]
            raise LineRefused(refused) from None
        except LineError as error:
            at_fault = [r for r in records if r.line == error.line]
            raise LineRefused([r.refused(error.field, error.reason) for r in at_fault]) from None
        result.entries += sub.entries
        result.duplicates += sub.duplicates
        result.claims.extend(sub.claims)
        for moment in (sub.progress.first, sub.progress.last):
            if moment is not None:
                result.progress.saw(moment)

    @staticmethod
    def _count(recorded: Recorded | None, result: GroupResult, prov: Provenance) -> None:
        if recorded is None or recorded.duplicate:
            result.duplicates += 1
        else:
            result.entries += 1
            result.progress.saw(prov.occurred_at)


class LineRefused(Exception):
    def __init__(self, rejects: list[Reject]) -> None:
        super().__init__(rejects[0].reason if rejects else "refused")
        self.rejects = rejects


class LineError(DomainError):
    def __init__(self, line: int, field: str, reason: str) -> None:
        super().__init__(field, reason)
        self.line = line


def commands_of(
    step: formats.Step, allocation: Allocation, person: Person
) -> list[tuple[Command, str, str | None]]:
    """The commands a step stands for, each with its key's suffix and the reason said with
    it: a notice is read from where the person is, an allocation from their history."""
    if isinstance(step.command, PrisonNotice):
        taken = announced(person, step.occurred_at, step.command)
        if taken is None:
            return []
        command, said = taken
        return [(command, "", "; ".join(filter(None, [step.reason, said])) or None)]
    return [(command, suffix, step.reason) for command, suffix in allocation.expand(step)]


def known_registration(record: formats.Record) -> formats.Record:
    """A registration of someone already recorded: only identifiers not yet theirs are news."""
    if not record.identifiers or record.steps:
        return record
    reg = record.registration or {}
    ref = reg.get("source_ref") or record.person
    steps = tuple(
        formats.Step(AddIdentifier(kind=kind, value=value), reg["occurred_at"], f"{ref}#{kind}")
        for kind, value in record.identifiers.items()
    )
    return replace(record, steps=steps)
