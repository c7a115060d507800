"""What every command of the journey is: one frozen class carrying its typed body, its route
name and roles, and the call it makes on a person. The classes live in `movement_commands`
and `case_commands`; `catalogue` registers them by class.

Standard library only (the HTTP and import layers derive their request models from these
classes), so the domain stays free of pydantic.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Protocol, Self
from uuid import UUID

from domain.claims import IdentifierClaim
from domain.person.aggregate import Person, Recorded
from domain.provenance import Provenance

# Who may run a command, by role name (the API's roles carry the same names).
PRISON = ("prison", "admin")
PROBATION = ("probation", "partner", "admin")
CASEWORK = ("prison", "probation", "admin")
RECOVERY = ("recovery", "admin")
REGISTRARS = ("prison", "probation", "partner", "admin")


@dataclass(frozen=True)
class Shape:
    """How a body field is written, for the request models and the API document:
    `Annotated[str, Shape(max_length=20, examples=["LEI"])]`."""

    max_length: int | None = None
    pattern: str | None = None
    examples: tuple[Any, ...] = ()

    def keywords(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if self.examples:
            found["examples"] = list(self.examples)
        if self.max_length is not None:
            found["max_length"] = self.max_length
        if self.pattern is not None:
            found["pattern"] = self.pattern
        return found


class Claims(Protocol):
    """Who holds identifiers, and the claims a unit of work makes: the service asks the
    store, a load asks its bulk lookups first."""

    def holder(self, kind: str, value: str) -> UUID | None: ...

    def claimed(self, key: str) -> bool:
        """Whether this unit of work already claims the identifier key."""
        ...

    def claim(self, key: str, person_id: UUID) -> None: ...


class Claiming:
    """The claims a unit of work makes, over a lookup of who holds what."""

    def __init__(
        self,
        holder: Callable[[str, str], UUID | None],
        made: list[IdentifierClaim] | None = None,
    ) -> None:
        self.holder = holder
        self.made = [] if made is None else made

    def claimed(self, key: str) -> bool:
        return any(claim.key == key for claim in self.made)

    def claim(self, key: str, person_id: UUID) -> None:
        self.made.append(IdentifierClaim.claim(key, person_id))


@dataclass(frozen=True)
class Command:
    """One command on a person. Subclasses declare their body fields and, as class keywords,
    `route` (the path segment under /people/{ref}/), `roles`, `summary`, and `calls`: the
    person's method the command's `apply` calls with its fields (a subclass with a call of
    its own writes `apply` instead)."""

    route: ClassVar[str]
    roles: ClassVar[tuple[str, ...]]
    summary: ClassVar[str]
    # The request body's name in the API document (commands of one shape share one), and
    # its description there.
    schema: ClassVar[str | None] = None
    schema_doc: ClassVar[str | None] = None
    importable: ClassVar[bool] = True  # False: corrections, not records of what happened
    # Fields passed to the person's method under another name.
    renamed: ClassVar[Mapping[str, str]] = {}
    _field_names: ClassVar[tuple[str, ...]]

    def __init_subclass__(
        cls,
        *,
        route: str | None = None,
        roles: tuple[str, ...] | None = None,
        summary: str | None = None,
        schema: str | None = None,
        schema_doc: str | None = None,
        importable: bool | None = None,
        calls: Callable[..., Recorded | None] | None = None,
        **declared: Any,
    ) -> None:
        super().__init_subclass__(**declared)
        given: dict[str, object] = {
            "route": route,
            "roles": roles,
            "summary": summary,
            "schema": schema,
            "schema_doc": schema_doc,
            "importable": importable,
            "apply": calling(calls) if calls is not None else None,
        }
        for name, value in given.items():
            if value is not None:
                setattr(cls, name, value)

    def apply(self, person: Person, provenance: Provenance, claims: Claims) -> Recorded | None:
        """Record the command on the person (not yet saved)."""
        raise NotImplementedError

    @classmethod
    def operation(cls) -> str:
        """The command's name as a verb: `MoveCell` is "move_cell"."""
        return re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()

    @classmethod
    def schema_name(cls) -> str:
        return cls.schema or cls.__name__

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        # Named once per class: a load asks it for every line.
        found: tuple[str, ...] | None = cls.__dict__.get("_field_names")
        if found is None:
            found = tuple(f.name for f in fields(cls))
            cls._field_names = found
        return found

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> Self:
        """The command from a body's values (extra keys, such as provenance, are left)."""
        return cls(**{name: values[name] for name in cls.field_names() if name in values})


def calling(method: Callable[..., Recorded | None]) -> Callable[..., Recorded | None]:
    """An `apply` that calls the person's method with the command's fields."""

    def apply(
        self: Command, person: Person, provenance: Provenance, claims: Claims
    ) -> Recorded | None:
        renamed = self.renamed
        values = {renamed.get(name, name): getattr(self, name) for name in self.field_names()}
        return method(person, provenance, **values)

    apply.__doc__ = Command.apply.__doc__
    return apply
