"""The commands' request bodies: one pydantic model per body shape, derived from the catalogue's
classes, with the provenance fields every command carries.

The HTTP routes and the project's own JSON Lines import read the same models, so a command
means the same thing whichever way it arrives.
"""

from __future__ import annotations

from dataclasses import MISSING
from datetime import datetime
from typing import Annotated, Any, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, create_model

from domain.service.catalogue import Register
from domain.service.command import Command, Shape


class CommandBody(BaseModel):
    """Provenance every command carries."""

    model_config = ConfigDict(extra="forbid")

    occurred_at: datetime = Field(
        description="when it happened, with a time zone", examples=["2025-03-01T09:30:00+00:00"]
    )
    source_ref: str | None = Field(
        default=None,
        max_length=200,
        description="the upstream record's key; a repeat records "
        "nothing and returns the first result",
    )
    reason: str | None = Field(default=None, max_length=2000)
    correlation_id: str | None = Field(default=None, max_length=200)

    def own(self, command: type[Command] | type[Register]) -> dict[str, Any]:
        """The command's own fields (not the provenance) as given."""
        names = _names(command)
        return {name: value for name, value in self if name in names}

    def command(self, kind: type[Command]) -> Command:
        """The command this body asks for."""
        return kind.of(self.own(kind))


_NAMES: dict[object, frozenset[str]] = {}


def _names(command: type[Command] | type[Register]) -> frozenset[str]:
    names = _NAMES.get(command)
    if names is None:
        names = _NAMES[command] = frozenset(command.__dataclass_fields__)
    return names


def _model(name: str, command: type[Command] | type[Register]) -> type[CommandBody]:
    fields: dict[str, Any] = {}
    hints = get_type_hints(command, include_extras=True)
    for name_, spec in command.__dataclass_fields__.items():
        kind = hints[name_]
        shape = next((m for m in getattr(kind, "__metadata__", ()) if isinstance(m, Shape)), None)
        plain = kind.__origin__ if shape is not None else kind
        default = ... if spec.default is MISSING else spec.default
        keywords = shape.keywords() if shape is not None else {}
        fields[name_] = (Annotated[plain, Field(**keywords)], default)
    doc = getattr(command, "schema_doc", None)
    return create_model(name, __base__=CommandBody, __doc__=doc, **fields)


_MODELS: dict[str, type[CommandBody]] = {}


def body_of(command: type[Command]) -> type[CommandBody]:
    """The request body of a command (commands of one shape share one model)."""
    name = command.schema_name()
    if name not in _MODELS:
        _MODELS[name] = _model(name, command)
    return _MODELS[name]


REGISTER = _model("Register", Register)
