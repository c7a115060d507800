"""The natural key (`source_ref`) a NOMIS external movement is known by, the same in every shape
upstream services write it in.

NOMIS keys a movement by booking and sequence, but the prison API's `Movement` and its daily
feed carry neither, and a `BookingMovement` carries no NOMS number. What every shape carries is
the movement itself: when, its type and direction, and where from and to. The key is that; the
person is the aggregate the key is kept in, and the reason code is left out because the daily
feed has none (the reason taken for it is said with its entry).

Keys stored before this form led with the NOMS number and ended with the reason code; they are
read as this form when a person's keys are indexed, so a movement loaded then is still
recognised when it arrives again in any shape (nothing stored is rewritten).
"""

from __future__ import annotations

import re
from datetime import datetime

MOVEMENT = "movement"
_LEGACY = re.compile(r"[A-Z]\d{4}[A-Z]{2}", re.ASCII)
_LEGACY_PARTS = 7  # NOMS, time, type, direction, from, to, reason


def movement_ref(
    occurred: datetime, kind: str, direction: str, source: str | None, to: str | None
) -> str:
    """The key of one movement, whichever shape brought it."""
    return "|".join([MOVEMENT, occurred.isoformat(), kind, direction, source or "", to or ""])


def canonical_ref(ref: str) -> str:
    """A key as compared: a movement's key in the earlier form (`A1234BC|<time>|ADM|IN|OUT|LEI|N`)
    as today's (`movement|<time>|ADM|IN|OUT|LEI`); any other key as it is."""
    parts = ref.split("|")
    if len(parts) == _LEGACY_PARTS and _LEGACY.fullmatch(parts[0]) and "T" in parts[1]:
        return "|".join([MOVEMENT, *parts[1:6]])
    return ref
