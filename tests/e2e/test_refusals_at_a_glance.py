"""Refused lines at a glance: a load, its dry run and its batch record group the refused lines
by kind (field and reason, particulars masked) with a count and the first line of each, over
HTTP and on the command line."""

from __future__ import annotations

from pathlib import Path

import orjson

from api.auth import Role
from replay.rejects import kind_of
from tests.e2e.conftest import LiveApi
from tests.e2e.test_cli import journey


def movement(spec: str) -> bytes:
    """A NOMIS movement from "NOMS DAY TYPE DIRECTION FROM TO REASON"."""
    noms, day, kind, direction, src, to, why = spec.split()
    return orjson.dumps(
        {
            "offenderNo": noms,
            "movementType": kind,
            "directionCode": direction,
            "fromAgency": src,
            "toAgency": to,
            "movementDate": f"2025-03-{int(day):02d}",
            "movementTime": "10:00:00",
            "movementReasonCode": why,
        }
    )


# Three people admitted; two released from a prison they are not in (one kind, two lines);
# three lines with a reason the reference data does not know (another kind); one good release.
LINES = [
    movement("R1000AA 1 ADM IN OUT LEI N"),
    movement("R1001AA 1 ADM IN OUT MDI N"),
    movement("R1002AA 1 ADM IN OUT WYI N"),
    movement("R1000AA 2 REL OUT MDI OUT CR"),
    movement("R1001AA 2 REL OUT LEI OUT CR"),
    movement("R1002AA 2 TRN OUT WYI LEI ZZ1"),
    movement("R1002AA 3 TRN OUT WYI MDI ZZ2"),
    movement("R1003AA 3 ADM IN OUT LEI QQ"),
    movement("R1002AA 4 REL OUT WYI OUT CR"),
]
FILE = b"\n".join(LINES) + b"\n"


def test_kinds_mask_the_particulars() -> None:
    one = "cannot release from MDI: the person was in (LEI) since entry 2 (ADM IN OUT->LEI at x)"
    other = "cannot release from LEI: the person was in (MDI) since entry 3 (ADM IN OUT->MDI at x)"
    assert kind_of(one) == kind_of(other)
    assert kind_of("unknown movement reason 'ZZ1' for movement type 'TRN'") == kind_of(
        "unknown movement reason 'QQ' for movement type 'ADM'"
    )


def test_a_load_and_its_batch_group_refusals_by_kind(api: LiveApi) -> None:
    loader = api.headers(Role.RECOVERY, user="rec.lead")
    dry = api.upload("source=NOMIS&format=nomis&dry_run=true", FILE, loader)
    assert dry.status_code == 200, dry.text
    loaded = api.upload("source=NOMIS&format=nomis&accept_valid=true", FILE, loader)
    assert loaded.status_code == 201, loaded.text
    for answer in (dry.json(), loaded.json()):
        groups = answer["refusals"]
        # Check the counts add up to every refused line, the largest kind first.
        assert sum(g["count"] for g in groups) == answer["rejected"] == 5
        assert [(g["field"], g["count"], g["first_line"]) for g in groups] == [
            ("reason", 3, 6),
            ("from_agency", 2, 4),
        ]
        assert all("…" in g["kind"] for g in groups)
    batch = api.client.get(f"/batches/{loaded.json()['batch_id']}", headers=loader)
    assert batch.status_code == 200, batch.text
    assert batch.json()["refusals"] == loaded.json()["refusals"]


def test_the_command_line_shows_refusals_by_kind(tmp_path: Path) -> None:
    path = tmp_path / "moves.jsonl"
    path.write_bytes(FILE)
    ran = journey(
        f"sqlite:///{tmp_path / 'j.sqlite'}", "import", str(path), "--source", "NOMIS", "--dry-run"
    )
    assert ran.returncode == 1, ran.stderr
    assert "refused, by kind" in ran.stdout
    assert "unknown movement reason … for movement type …" in ran.stdout
