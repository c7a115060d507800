"""Independent model of the NOMIS booking state after each person's movements.

Reads prison_api_movements.json beside this file.

Standard library only; imports nothing from the project. Run from anywhere:

    python tests/corpus/model.py            # print the result
    python tests/corpus/model.py --write    # rewrite tests/corpus/expected.json

The rules are written out in tests/corpus/README.md ("expected.json").
"""

import json
import sys
from pathlib import Path
from typing import Any

Movement = dict[str, str]
State = dict[str, str | None]

HERE = Path(__file__).resolve().parent

# Hospital agencies (AGY_LOC_TYPE HSHOSP) named by public HMPPS code; see README.md for provenance.
HOSPITALS = frozenset({"HAZLWD", "ARNOLD", "BRADEN", "STANSD"})
# Release reasons whose MOVEMENT_REASONS row carries ESC_RECAP_FLAG 'Y' in prison-api's seed data.
ESCAPE_REASONS = frozenset({"ESCP", "UAL", "UAL_ECL"})
DIED = "DEC"


class Impossible(Exception):
    """The movement cannot follow the booking state it meets."""


def sort_key(indexed: tuple[int, Movement]) -> tuple[str, str, str]:
    _, m = indexed
    return (m["movementDate"], m["movementTime"], m["createDateTime"])


def state(status: str, agency: str | None, prison: str | None, **extra: str | None) -> State:
    return {"status": status, "agency": agency, "prison": prison, **extra}


def admit(s: State | None, m: Movement) -> State:
    reason = m.get("movementReasonCode")
    if s is None or s["status"] in ("out", "hospital", "ual"):
        return state("in", m["toAgency"], m["toAgency"])
    if s["status"] == "transit" and m.get("fromAgency") == s["left"]:
        return state("in", m["toAgency"], m["toAgency"])
    if s["status"] == "court" and reason == "TRNCRT" and m.get("fromAgency") == s["prison"]:
        return state("in", m["toAgency"], m["toAgency"])
    if s["status"] == "tap" and reason == "TRNTAP" and m.get("fromAgency") == s["prison"]:
        return state("in", m["toAgency"], m["toAgency"])
    raise Impossible(f"ADM IN while {s['status']} at {s['agency']}")


def leave(s: State | None, m: Movement) -> State:
    """TRN, CRT or TAP OUT: only from the prison the person is in."""
    frm = m.get("fromAgency")
    if s is not None and not (s["status"] == "in" and s["agency"] == frm):
        raise Impossible(f"{m['movementType']} OUT from {frm} while {s['status']} at {s['agency']}")
    to = m.get("toAgency")
    kind = m["movementType"]
    if kind == "TRN":
        return state("transit", to, None, left=frm)
    return state("court" if kind == "CRT" else "tap", to, frm)


def come_back(s: State | None, m: Movement) -> State:
    """CRT or TAP IN: only from the court or absence the person is on."""
    kind = m["movementType"]
    wanted = "court" if kind == "CRT" else "tap"
    if s is not None:
        if s["status"] != wanted:
            raise Impossible(f"{kind} IN while {s['status']} at {s['agency']}")
        frm = m.get("fromAgency")
        if s["agency"] is not None and frm is not None and frm != s["agency"]:
            raise Impossible(f"{kind} IN from {frm} but went to {s['agency']}")
    return state("in", m["toAgency"], m["toAgency"])


def release(s: State | None, m: Movement) -> State:
    frm = m.get("fromAgency")
    if s is not None and not (s["status"] in ("in", "hospital") and s["agency"] == frm):
        raise Impossible(f"REL OUT from {frm} while {s['status']} at {s['agency']}")
    to, reason = m.get("toAgency"), m.get("movementReasonCode")
    if reason == DIED:
        return state("died", to, None)
    if reason in ESCAPE_REASONS:
        return state("ual", to, None)
    if to in HOSPITALS:
        return state("hospital", to, None)
    return state("out", to, None)


def step(s: State | None, m: Movement) -> State:
    if s is not None and s["status"] == "died":
        raise Impossible("movement after death")
    kind, direction = m["movementType"], m["directionCode"]
    if kind == "ADM" and direction == "IN":
        return admit(s, m)
    if kind in ("TRN", "CRT", "TAP") and direction == "OUT":
        return leave(s, m)
    if kind in ("CRT", "TAP") and direction == "IN":
        return come_back(s, m)
    if kind == "REL" and direction == "OUT":
        return release(s, m)
    raise Impossible(f"unexpected {kind} {direction}")


def model(movements: list[Movement]) -> dict[str, Any]:
    by_person: dict[str, list[tuple[int, Movement]]] = {}
    for index, m in enumerate(movements):
        by_person.setdefault(m["offenderNo"], []).append((index, m))
    result: dict[str, Any] = {}
    impossible: list[dict[str, Any]] = []
    for noms in sorted(by_person):
        s: State | None = None
        for index, m in sorted(by_person[noms], key=sort_key):
            try:
                s = step(s, m)
            except Impossible as e:
                impossible.append({"offenderNo": noms, "index": index, "why": str(e)})
        if s is not None:
            result[noms] = {k: s[k] for k in ("status", "agency", "prison")}
    result["impossible"] = sorted(impossible, key=lambda i: i["index"])
    return result


def main() -> None:
    movements = json.loads((HERE / "prison_api_movements.json").read_text(encoding="utf-8"))
    text = json.dumps(model(movements), indent=2) + "\n"
    if "--write" in sys.argv[1:]:
        (HERE / "expected.json").write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
