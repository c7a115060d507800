"""Every command of the journey, registered by class: the routes, the pages, the imports and
the generator all read this one list."""

from __future__ import annotations

from domain.service.case_commands import (
    AcceptAreaTransfer,
    AcceptHandover,
    AddIdentifier,
    AllocateCom,
    AllocatePom,
    EscalateRisk,
    RecordKeyDates,
    Register,
    ReinstateEntries,
    RejectAreaTransfer,
    RejectHandover,
    RequestAreaTransfer,
    RequestHandover,
    StartSupervision,
    VoidEntries,
)
from domain.service.command import Command
from domain.service.movement_commands import (
    Admit,
    Arrive,
    CourtOut,
    CourtReturn,
    MoveCell,
    Movement,
    NomisRecord,
    Release,
    TapOut,
    TapReturn,
    TransferOut,
    TransferViaCourt,
)

# In the order the API lists them; the movements as `movement_commands` declares them.
CATALOGUE: tuple[type[Command], ...] = (
    AddIdentifier,
    *Movement.registered,
    MoveCell,
    StartSupervision,
    RequestAreaTransfer,
    AcceptAreaTransfer,
    RejectAreaTransfer,
    AllocatePom,
    AllocateCom,
    RequestHandover,
    AcceptHandover,
    RejectHandover,
    EscalateRisk,
    RecordKeyDates,
    VoidEntries,
    ReinstateEntries,
)
BY_ROUTE: dict[str, type[Command]] = {command.route: command for command in CATALOGUE}
MOVEMENTS: tuple[type[Movement], ...] = tuple(c for c in CATALOGUE if issubclass(c, Movement))


def movement_for(movement_type: str, direction: str, reason: str | None) -> type[Movement] | None:
    """The command a NOMIS movement of this type, direction and reason stands for."""
    found = [m for m in MOVEMENTS if (m.movement_type, m.direction) == (movement_type, direction)]
    chosen = [m for m in found if m.nomis_reason is not None and m.nomis_reason == reason]
    return next(iter(chosen or [m for m in found if m.nomis_reason is None]), None)


__all__ = [
    "BY_ROUTE",
    "CATALOGUE",
    "MOVEMENTS",
    "AcceptAreaTransfer",
    "AcceptHandover",
    "AddIdentifier",
    "Admit",
    "AllocateCom",
    "AllocatePom",
    "Arrive",
    "Command",
    "CourtOut",
    "CourtReturn",
    "EscalateRisk",
    "MoveCell",
    "Movement",
    "NomisRecord",
    "RecordKeyDates",
    "Register",
    "ReinstateEntries",
    "RejectAreaTransfer",
    "RejectHandover",
    "Release",
    "RequestAreaTransfer",
    "RequestHandover",
    "StartSupervision",
    "TapOut",
    "TapReturn",
    "TransferOut",
    "TransferViaCourt",
    "VoidEntries",
    "movement_for",
]
