"""The journey's vocabulary, defined once: the NOMIS movement types and directions the journey
understands, the agency codes and reasons its rules read, and the words a person's state is
described in (statuses, agency kinds, responsibilities, key dates).

Imports only the standard library, so every layer, the read models' SQL included, can take its
literals from here. Which reasons each movement type accepts is reference data
(`domain.reference.movement_reason`), not vocabulary.
"""

from __future__ import annotations

from enum import StrEnum


class MovementType(StrEnum):
    """NOMIS movement types (MOVE_TYPE) the journey understands."""

    ADM = "ADM"  # admission: a reception, or the arrival end of a transfer
    CRT = "CRT"  # court
    REL = "REL"  # release, escape, absconding, hospital or death
    TAP = "TAP"  # temporary absence
    TRN = "TRN"  # transfer between prisons


class Direction(StrEnum):
    """NOMIS movement directions (MOVE_DIRECT)."""

    IN = "IN"
    OUT = "OUT"


Movement = tuple[MovementType, Direction]

# The movements a journey can hold; any other type and direction pair is not folded.
MOVEMENTS: frozenset[Movement] = frozenset(
    {
        (MovementType.ADM, Direction.IN),
        (MovementType.TRN, Direction.OUT),
        (MovementType.CRT, Direction.OUT),
        (MovementType.CRT, Direction.IN),
        (MovementType.TAP, Direction.OUT),
        (MovementType.TAP, Direction.IN),
        (MovementType.REL, Direction.OUT),
    }
)

# Agency codes a movement may name that are no establishment.
OUTSIDE = "OUT"  # anywhere outside custody
IN_TRANSIT = "TRN"  # on the way from one prison to another

# Movement reasons the journey's commands and rules name.
TRANSFER_IN = "INT"  # ADM: the arrival end of a transfer, not a new reception
# ADM: from court to another prison than the one left for court (its fromAgency).
TRANSFER_VIA_COURT = "TRNCRT"
# ADM: from temporary absence to another prison than the one left (its fromAgency).
TRANSFER_VIA_TAP = "TRNTAP"
NORMAL_TRANSFER = "NOTR"  # TRN: the reason a transfer has when none is given
COURT_APPEARANCE = "CRT"  # CRT: the reason a court visit has when none is given
UAL_REASONS = frozenset({"ESCP", "UAL", "UAL_ECL"})  # REL: escaped or absconded
HOSPITAL_REASONS = frozenset({"HP"})  # REL: to hospital
DEATH_REASONS = frozenset({"DEC"})  # REL: died

# Who holds the case after a release, by its reason (docs/design.md has the table and why).
# On licence or supervision: the community, queued until a COM is allocated.
COMMUNITY_RELEASES = frozenset(
    {"CR", "CE", "HD", "HE", "HR", "HU", "PD", "PX", "NP", "IF", "NCS"}
    | {"D1", "D2", "D3", "D4", "D5", "D6"}
)
# No sentence to serve in custody or the community (or no longer in the country, or dead).
UNSUPERVISED_RELEASES = frozenset(
    {"SC", "NG", "BL", "BD", "DS", "DA", "AU", "AR", "PF", "HC", "ER", "RW", "99", "REL"}
    | {"DE", "DD", "DL", "EX", "RE", "ETR"}
    | DEATH_REASONS
)
# Any other release (escape, abscond, hospital, merge, accumulated visits) leaves it as it was.


# Where a person's journey stands. (No docstrings on the state's enums: the API's schema
# would carry them as descriptions.)
class Status(StrEnum):
    NONE = "none"  # no custody or supervision on record
    IN = "in"
    COURT = "court"
    TAP = "tap"
    TRANSIT = "transit"
    RELEASED = "released"
    SUPERVISED = "supervised"  # released (or sentenced in the community) and supervised
    UAL = "ual"  # unlawfully at large, escaped or absconded
    DIED = "died"


# On a prison's roll: in, out at court, on temporary absence, or in transit out.
CUSTODY = frozenset({Status.IN, Status.COURT, Status.TAP, Status.TRANSIT})

# ADM reasons of an arrival at another prison straight from an absence, with where the person
# must be: away from the prison the record names as its fromAgency.
ARRIVALS_FROM_ABSENCE: dict[str, Status] = {
    TRANSFER_VIA_COURT: Status.COURT,
    TRANSFER_VIA_TAP: Status.TAP,
}


# What kind of place a person's current agency is.
class AgencyKind(StrEnum):
    PRISON = "prison"
    COURT = "court"
    HOSPITAL = "hospital"  # secure or other; a restricted patient is released there
    IMMIGRATION = "immigration"
    OUTSIDE = "outside"
    TRANSIT = "transit"
    COMMUNITY = "community"
    OTHER = "other"  # a well-formed agency code in no register


# Which service holds the case.
class Responsibility(StrEnum):
    CUSTODY = "custody"
    COMMUNITY = "community"


# Sentence key dates, as NOMIS and Delius name them.
KEY_DATES = ("CRD", "ARD", "HDCED", "HDCAD", "PED", "SED", "LED", "TUSED", "ERSED")
