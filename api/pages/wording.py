"""What the pages say, in the words staff use: agencies and probation units by name (code kept
visible), statuses in words, and one plain sentence per timeline entry.

Names come from the reference data; a code it does not know is shown as it is, never an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from api.pages.dates import shown_moment
from api.schemas import Location, PersonLine
from domain import reference
from domain.errors import DomainError
from domain.person.vocabulary import (
    DEATH_REASONS,
    HOSPITAL_REASONS,
    IN_TRANSIT,
    OUTSIDE,
    TRANSFER_IN,
    UAL_REASONS,
    Direction,
    MovementType,
    Status,
)

STATUS = {
    Status.NONE: "No custody or supervision on record",
    Status.IN: "In prison",
    Status.COURT: "At court",
    Status.TAP: "On temporary absence",
    Status.TRANSIT: "In transit",
    Status.RELEASED: "Released",
    Status.SUPERVISED: "Supervised in the community",
    Status.UAL: "Unlawfully at large",
    Status.DIED: "Died",
}
KEY_DATE_NAMES = {
    "CRD": "Conditional release date",
    "ARD": "Automatic release date",
    "HDCED": "Home detention curfew eligibility date",
    "HDCAD": "Home detention curfew approved date",
    "PED": "Parole eligibility date",
    "SED": "Sentence expiry date",
    "LED": "Licence expiry date",
    "TUSED": "Top-up supervision expiry date",
    "ERSED": "Early removal scheme eligibility date",
}
PLACES = {OUTSIDE: "outside", IN_TRANSIT: "in transit"}  # NOMIS's pseudo-agencies
Lookup = Callable[[str], Any]
AGENCIES: tuple[Lookup, ...] = (reference.prison, reference.court)
UNITS: tuple[Lookup, ...] = (reference.pdu, reference.region, reference.prison)


# ---- codes to names ----


def named(code: object, lookups: tuple[Lookup, ...] = AGENCIES) -> str:
    """`Leeds (HMP) – LEI`: the name first, the code kept; an unknown code as it is."""
    if code is None or code == "":
        return ""
    key = str(code).strip().upper()
    if key in PLACES:
        return PLACES[key]
    for lookup in lookups:
        try:
            return f"{lookup(key).name} – {key}"
        except DomainError:
            continue
    return str(code)


def agency(code: object) -> str:
    """A prison or court by name; hospitals and other places by their code."""
    return named(code, AGENCIES)


def unit(code: object) -> str:
    """Who holds a case: a PDU, a probation region or a prison, by name."""
    return named(code, UNITS)


def status(value: object) -> str:
    """A location status in words; an unknown one as it is."""
    text = "" if value is None else str(value)
    try:
        return STATUS[Status(text)]
    except ValueError:
        return text


def key_date(code: str) -> str:
    """`Conditional release date (CRD)`."""
    name = KEY_DATE_NAMES.get(code.upper())
    return f"{name} ({code})" if name else code


def day(value: object) -> str:
    """A date as staff read it, 01 Sep 2026; ISO text is read first, anything else shown."""
    if isinstance(value, str):
        try:
            return day(date.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, datetime):
        return shown_moment(value)
    if isinstance(value, date):
        return value.strftime("%d %b %Y")
    return "" if value is None else str(value)


def probation(region: object, pdu: object = None, team: object = None) -> str:
    """`Leeds – N55LEE, Yorkshire & The Humber – N55, team T1`: the PDU first, then its region."""
    parts = [unit(pdu), unit(region), f"team {team}" if team else ""]
    return ", ".join(p for p in parts if p)


def responsibility(value: object, owner: object = None) -> str:
    """`Custody, held by Leeds (HMP) – LEI`, or `None recorded`."""
    if not value:
        return "None recorded"
    held = unit(owner)
    return f"{str(value).capitalize()}, held by {held}" if held else str(value).capitalize()


def where(line: PersonLine) -> str:
    """A list's `Where` cell: status in words, the agency by name, the cell."""
    parts = [status(line.status)]
    if line.agency and line.agency not in PLACES:
        parts.append(agency(line.agency))
    if line.cell:
        parts.append(f"cell {line.cell}")
    return ", ".join(parts)


def elsewhere(loc: Location) -> tuple[str, str] | None:
    """The person page's row for where they are when not in their prison: court, hospital, or
    the place a temporary absence or release names; none for NOMIS's pseudo-agencies."""
    if not loc.agency or loc.agency == loc.prison or loc.agency.upper() in PLACES:
        return None
    return (loc.agency_kind or "agency").capitalize(), agency(loc.agency)


def risk(level: object) -> str:
    return str(level or "").replace("_", " ").lower()


ACTIONS = {
    "person.read": "Read the person's record",
    "person.timeline": "Read the person's timeline",
    "person.search": "Shown in search results",
    "person.refusal": "Shown in a refused command's reason",
    "roll.read": "Shown on a prison roll",
    "population.read": "Read the population counts",
    "audit.access": "Read the access log",
    "batch.rejects": "Read a data load's rejected lines",
    "batch.void-plan": "Shown in a dry run of voiding a data load",
    "batch.reinstate-plan": "Shown in a dry run of reinstating a data load",
    "feed.page": "Sent in the partner feed",
    "person.restricted-read": "Read the restricted record",
    "person.restriction": "Restricted processing of the record",
    "person.restriction-lifted": "Lifted the restriction of processing",
    "person.retention-hold": "Held the record from retention review",
    "person.retention-hold-released": "Released the record's retention holds",
    "person.subject-access": "Produced a subject access report",
    "retention.review": "Listed as due in a retention review",
}


def action(code: str) -> str:
    """An access-log action in words; a work queue's by its name; an unknown one as it is."""
    if code in ACTIONS:
        return ACTIONS[code]
    if code.startswith("queue."):
        return f"Shown in the work queue: {code.removeprefix('queue.').replace('-', ' ')}"
    return code


def change(field: str, value: str) -> str:
    """A dry run's before or after value in words: `in MDI A-1-001` as `In prison, Moorland
    (HMP & YOI) – MDI, cell A-1-001`; `custody MDI` as `Custody, held by ...`."""
    if value in {"", "-"}:
        return "None"
    if field == "location":
        state, *rest = value.split()
        parts = [status(state)]
        if rest and rest[0].upper() not in PLACES:
            parts.append(agency(rest[0]))
        parts += [f"cell {cell}" for cell in rest[1:2]]
        return ", ".join(parts)
    if field == "owner":
        kind, _, held = value.partition(" ")
        return responsibility(None if kind == "-" else kind, None if held == "-" else held)
    if field.startswith("key date "):
        return day(value)
    return value


def change_field(field: str) -> str:
    """A dry run's field in words."""
    if field.startswith("key date "):
        return key_date(field.removeprefix("key date "))
    return {"location": "Where", "owner": "Who holds the case", "known": "Known"}.get(field, field)


def kind_name(kind: str) -> str:
    """An entry type in words: `MovementRecorded` as `Movement recorded`."""
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", kind).split()
    return " ".join([words[0], *(w.lower() for w in words[1:])]) if words else kind


def queue_detail(queue: str, value: object) -> str:
    """A work queue's own column: what is pending, where to, or when the release is due."""
    if value is None or value == "":
        return ""
    if queue == "pending-handovers":
        return f"Handover to {value} requested"
    if queue == "pending-area-transfers":
        return f"Transfer to {unit(value)} requested"
    if queue == "long-transits":
        return f"Going to {agency(value)}"
    if queue == "upcoming-releases":
        return f"Release due {day(value)}"
    return str(value)


# ---- one sentence per timeline entry ----

Details = Mapping[str, Any]


def sentence(kind: str, details: Details, reason: str | None = None) -> str:
    """What an entry says, in a sentence; an unknown kind of entry is named as it is."""
    say = SENTENCES.get(kind)
    return kind if say is None else say(details, reason)


def movement(d: Details, reason: str | None = None) -> str:
    kind, direction = str(d.get("movement_type", "")), str(d.get("direction", ""))
    src, to = agency(d.get("from_agency")), agency(d.get("to_agency"))
    code = str(d.get("reason_code") or "")
    why = because(kind, code)
    if kind == MovementType.ADM and code == TRANSFER_IN:
        start = "after a transfer" if d.get("from_agency") == IN_TRANSIT else f"from {src}"
        return f"Arrived at {to} {start}"
    if kind == MovementType.ADM:
        start = "" if d.get("from_agency") == OUTSIDE else f" from {src}"
        return f"Admitted to {to}{start}{why}"
    if kind == MovementType.TRN and direction == Direction.OUT:
        return f"Transferred from {src} to {to}{why}"
    if kind == MovementType.CRT:
        if direction == Direction.OUT:
            return f"Taken from {src} to court at {to}{why}"
        return f"Returned from court at {src} to {to}{why}"
    if kind == MovementType.TAP:
        if direction == Direction.OUT:
            away = "" if d.get("to_agency") == OUTSIDE else f" to {to}"
            return f"Temporary absence from {src}{away}{why}"
        return f"Returned from temporary absence to {to}{why}"
    if kind == MovementType.REL:
        return f"{left(code)} {src}{why}"
    return f"Movement {movement_kind(kind)} {direction.lower()} from {src} to {to}{why}"


def left(code: str) -> str:
    """How a REL movement is said: released, to hospital, escaped or absconded, or died."""
    if code in DEATH_REASONS:
        return "Died in custody at"
    if code in UAL_REASONS:
        return "Unlawfully at large from"
    if code in HOSPITAL_REASONS:
        return "Released to hospital from"
    return "Released from"


def because(kind: str, code: str) -> str:
    """` — reason: Normal Transfer (NOTR)`, or the code alone when the reference lacks it."""
    if not code:
        return ""
    try:
        return f" — reason: {reference.movement_reason(kind, code).description} ({code})"
    except DomainError:
        return f" — reason: {code}"


def movement_kind(code: str) -> str:
    try:
        return f"{reference.movement_type(code).lower()} ({code})"
    except DomainError:
        return code


def registered(d: Details, reason: str | None = None) -> str:
    name = " ".join(str(d[k]) for k in ("given_name", "family_name") if d.get(k))
    parts = [name or "name not recorded"]
    if d.get("date_of_birth"):
        parts.append(f"born {day(d['date_of_birth'])}")
    parts += [f"{k} {v}" for k, v in (d.get("identifiers") or {}).items()]
    return "Registered: " + ", ".join(parts)


def key_dates(d: Details, reason: str | None = None) -> str:
    said = [
        f"{code} {day(value)}" if value else f"{code} removed"
        for code, value in (d.get("dates") or {}).items()
    ]
    return "Key dates recorded: " + ", ".join(said)


def allocated(d: Details, reason: str | None = None) -> str:
    role = str(d.get("role", ""))
    who = {"POM": "Prison offender manager", "COM": "Community offender manager"}
    at = unit(d.get("unit"))
    return f"{who.get(role, role)} allocated: {d.get('officer', '')}" + (f", {at}" if at else "")


def entries(numbers: object) -> str:
    found = [str(n) for n in numbers] if isinstance(numbers, list | tuple) else []
    return ("Entry " if len(found) == 1 else "Entries ") + ", ".join(found)


def marked(verb: str) -> Callable[[Details, str | None], str]:
    """`Entries 3, 4 voided (batch B): the reason`."""

    def say(d: Details, reason: str | None = None) -> str:
        batch = f" (batch {d['target_batch']})" if d.get("target_batch") else ""
        return f"{entries(d.get('entries'))} {verb}{batch}" + (f": {reason}" if reason else "")

    return say


def fixed(text: str) -> Callable[[Details, str | None], str]:
    return lambda d, reason: text


SENTENCES: dict[str, Callable[[Details, str | None], str]] = {
    "Registered": registered,
    "IdentifierAdded": lambda d, r: f"Identifier added: {d.get('kind')} {d.get('value')}",
    "MovementRecorded": movement,
    "CellMoved": lambda d, r: f"Moved to cell {d.get('cell')} in {agency(d.get('agency'))}",
    "SupervisionStarted": lambda d, r: (
        "Supervision started: " + probation(d.get("region"), d.get("pdu"), d.get("team"))
    ),
    "AreaTransferRequested": lambda d, r: (
        "Area transfer requested to " + probation(d.get("region"), d.get("pdu"), d.get("team"))
    ),
    "AreaTransferAccepted": fixed("Area transfer accepted"),
    "AreaTransferRejected": fixed("Area transfer rejected"),
    "OffenderManagerAllocated": allocated,
    "HandoverRequested": lambda d, r: f"Handover to {d.get('to')} requested",
    "HandoverAccepted": fixed("Handover accepted"),
    "HandoverRejected": fixed("Handover rejected"),
    "RiskEscalated": lambda d, r: (
        "Risk escalated to the national probation service: " + risk(d.get("level"))
    ),
    "KeyDatesRecorded": key_dates,
    "EntriesVoided": marked("voided"),
    "EntriesReinstated": marked("reinstated"),
    "MergedInto": lambda d, r: f"Merged into the record {d.get('kept')}",
    "MergeUndone": lambda d, r: f"Merge into the record {d.get('kept')} undone",
    "RecordsMerged": lambda d, r: (
        f"Record {d.get('removed')} merged in, bringing " + entries(d.get("copies")).lower()
    ),
    "MergeReversed": lambda d, r: f"Merge of the record {d.get('removed')} reversed",
    "Restricted": fixed("Processing restricted"),
    "RestrictionLifted": fixed("Restriction of processing lifted"),
    "RetentionHeld": fixed("Held from retention review"),
    "HoldReleased": fixed("Retention holds released"),
}
