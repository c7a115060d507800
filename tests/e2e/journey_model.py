"""An independent model of people's journeys for the model-based test: plain dicts, written
from the API's documented behaviour, not from the domain code.

Each person is a list of events in recorded order (which is also effective order here: every
command is later than the last). Their state is a fold of the entries not voided; a command is
refused when it is impossible in the state just before it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

CUSTODY = {"in", "court", "transit"}
OK, CONFLICT, INVALID = 200, 409, 422


@dataclass
class Event:
    version: int
    kind: str  # a command path, "register", "void" or "reinstate"
    body: dict[str, Any] = field(default_factory=dict)
    batch: str | None = None
    voided: bool = False


@dataclass
class ModelPerson:
    noms: str
    events: list[Event] = field(default_factory=list)

    def record(self, kind: str, body: dict[str, Any], batch: str | None = None) -> Event:
        event = Event(len(self.events) + 1, kind, body, batch)
        self.events.append(event)
        return event

    def state(self) -> dict[str, Any]:
        state = blank()
        for event in self.events:
            if event.kind not in {"register", "void", "reinstate"} and not event.voided:
                opened(state, event.kind, event.body)
                APPLY[event.kind](state, event.body)
        return state

    def timeline(self) -> list[tuple[int, bool]]:
        return [(e.version, e.voided) for e in self.events]


def blank() -> dict[str, Any]:
    return {
        "status": "none",
        "agency": None,
        "prison": None,
        "destination": None,
        "cell": None,
        "responsibility": None,
        "region": None,
        "pdu": None,
        "pom": None,
        "com": None,
        "handover_to": None,
        "key_dates": {},
        "moved": False,  # any movement on record yet
    }


COURT_CODES = {"LEEDCC", "SHEFCC"}


def opened(s: dict[str, Any], kind: str, b: dict[str, Any]) -> None:
    """A history starting part way through custody: before the first movement on record,
    the person is presumed where that movement leaves from."""
    if s["moved"] or kind not in MOVEMENTS:
        return
    s["moved"] = True
    source = b.get("from_prison") or b.get("from_agency")
    if kind in {"transfers-out", "court-departures"}:
        source = b.get("from_prison") or b["prison"]
        s.update(status="in", agency=source, prison=source)
    elif kind == "arrivals":
        s.update(status="transit", agency="TRN", prison=source, destination=b["prison"])
    elif kind == "court-returns":
        s.update(status="court", agency=b["court"], prison=b["prison"])
    elif kind == "releases" and source in COURT_CODES:
        s.update(status="court", agency=source, prison=None)
    elif kind == "releases":
        s.update(status="in", agency=source, prison=source)
    else:
        return
    if s["responsibility"] is None:
        s["responsibility"] = "custody"


def outcome(state: dict[str, Any], kind: str, body: dict[str, Any]) -> int:
    """The status a command gets in this state: 200, 409 (impossible now) or 422 (invalid)."""
    check = CHECKS.get(kind)
    if check is None:
        return OK
    state = {**state, "key_dates": dict(state["key_dates"])}
    opened(state, kind, body)
    return check(state, body)


def moved_in(s: dict[str, Any], prison: str) -> None:
    s["cell"] = s["cell"] if s["prison"] == prison else None
    s.update(status="in", agency=prison, prison=prison, destination=None)


def apply_admit(s: dict[str, Any], b: dict[str, Any]) -> None:
    moved_in(s, b["prison"])
    if s["responsibility"] is None:
        s["responsibility"] = "custody"


def apply_transfer(s: dict[str, Any], b: dict[str, Any]) -> None:
    s.update(status="transit", agency="TRN", prison=b["from_prison"])
    s.update(destination=b["to_prison"], cell=None)


def apply_court_out(s: dict[str, Any], b: dict[str, Any]) -> None:
    s.update(status="court", agency=b["court"], prison=b["prison"], destination=None)


def apply_release(s: dict[str, Any], b: dict[str, Any]) -> None:
    held = b["from_agency"]
    if s["status"] == "court" and held == s["agency"]:
        held = s["prison"]
    s.update(status="released", agency="OUT", prison=held, destination=None, cell=None)
    # Released on licence (CR, conditional release), the community holds the case.
    if s["responsibility"] == "custody" and b["movement_reason"] == "CR":
        s["responsibility"] = "community"


def apply_handover_accept(s: dict[str, Any], b: dict[str, Any]) -> None:
    if s["handover_to"] is not None:
        s["responsibility"] = s["handover_to"]
    s["handover_to"] = None


def apply_supervision(s: dict[str, Any], b: dict[str, Any]) -> None:
    s.update(region=b["region"], pdu=b["pdu"])
    s["responsibility"] = s["responsibility"] or "community"


def apply_key_dates(s: dict[str, Any], b: dict[str, Any]) -> None:
    for code, value in b["dates"].items():
        if value is None:
            s["key_dates"].pop(code, None)
        else:
            s["key_dates"][code] = value


Apply = Callable[[dict[str, Any], dict[str, Any]], None]
Check = Callable[[dict[str, Any], dict[str, Any]], int]

APPLY: dict[str, Apply] = {
    "admissions": apply_admit,
    "transfers-out": apply_transfer,
    "arrivals": lambda s, b: moved_in(s, b["prison"]),
    "court-departures": apply_court_out,
    "court-returns": lambda s, b: moved_in(s, b["prison"]),
    "releases": apply_release,
    "cell-moves": lambda s, b: s.update(cell=b["cell"]),
    "supervision": apply_supervision,
    "pom-allocations": lambda s, b: s.update(pom=b["officer"]),
    "com-allocations": lambda s, b: s.update(com=b["officer"]),
    "handovers": lambda s, b: s.update(handover_to=b["to"]),
    "handovers/accept": apply_handover_accept,
    "handovers/reject": lambda s, b: s.update(handover_to=None),
    "key-dates": apply_key_dates,
}


MOVEMENTS = {
    "admissions",
    "transfers-out",
    "arrivals",
    "court-departures",
    "court-returns",
    "releases",
}


def inside(s: dict[str, Any], prison: str) -> bool:
    return bool(s["status"] == "in" and s["agency"] == prison)


def check_transfer(s: dict[str, Any], b: dict[str, Any]) -> int:
    if b["from_prison"] == b["to_prison"]:
        return INVALID
    return OK if inside(s, b["from_prison"]) else CONFLICT


def check_release(s: dict[str, Any], b: dict[str, Any]) -> int:
    held_at = {"in": s["agency"], "court": s["agency"]}
    if s["status"] not in held_at:
        return CONFLICT
    return OK if b["from_agency"] in {held_at[s["status"]], s["prison"]} else CONFLICT


def check_handover(s: dict[str, Any], b: dict[str, Any]) -> int:
    if s["handover_to"] is not None or s["responsibility"] == b["to"]:
        return CONFLICT
    return OK


CHECKS: dict[str, Check] = {
    "admissions": lambda s, b: CONFLICT if s["status"] in CUSTODY else OK,
    "transfers-out": check_transfer,
    "arrivals": lambda s, b: (
        OK if s["status"] == "transit" and s["destination"] == b["prison"] else CONFLICT
    ),
    "court-departures": lambda s, b: OK if inside(s, b["prison"]) else CONFLICT,
    "court-returns": lambda s, b: (
        OK if s["status"] == "court" and s["agency"] == b["court"] else CONFLICT
    ),
    "releases": check_release,
    "cell-moves": lambda s, b: OK if inside(s, b["prison"]) else CONFLICT,
    "handovers": check_handover,
    "handovers/accept": lambda s, b: OK if s["handover_to"] is not None else CONFLICT,
    "handovers/reject": lambda s, b: OK if s["handover_to"] is not None else CONFLICT,
}


def presented(s: dict[str, Any]) -> dict[str, Any]:
    """What where-is shows: out of custody with a probation unit holding the case reads as
    supervised there; the owner is the holding prison or the probation unit."""
    shown = dict(s)
    if s["status"] in {"released", "none"} and s["pdu"] is not None:
        shown.update(status="supervised", agency=s["pdu"])
    owner = {"custody": s["prison"], "community": s["pdu"] or s["region"]}
    shown["owner"] = owner.get(s["responsibility"] or "")
    return shown
