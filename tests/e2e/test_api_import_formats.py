"""A load's format over HTTP: told from the file when omitted or auto, and a file sent under
the wrong format refused at once as problem details naming `format`, with nothing recorded."""

from __future__ import annotations

import orjson

from api.auth import Role
from replay.formats import NOMIS_FIELDS
from tests.e2e.conftest import LiveApi
from tests.helpers import nomis_movement


def movement(*values: str) -> bytes:
    """A NOMIS movement record from (number, type, direction, from, to, day)."""
    noms, kind, direction, src, to, day = values
    codes = (noms, day, kind, direction, src, to, "N" if kind == "ADM" else "CR")
    record = nomis_movement(*codes, created=f"{day}T10:04:31", toAgencyDescription="HMP Leeds")
    return orjson.dumps(record)


MOVEMENTS = (
    movement("N1111NN", "ADM", "IN", "OUT", "LEI", "2025-01-03")
    + b"\r\n"
    + movement("N1111NN", "REL", "OUT", "LEI", "OUT", "2025-03-03")
    + b"\r\n"
)
CSV = (
    "\ufeff" + ",".join(NOMIS_FIELDS) + "\r\n"
    "P2222PP,2025-02-01T09:00:00,OUT,MDI,ADM,IN,2025-02-01,09:00:00,N,\r\n"
).encode()


def test_an_upload_without_a_format_is_read_as_it_looks(api: LiveApi) -> None:
    recovery = api.headers(Role.RECOVERY)
    sent = api.upload("source=NOMIS", MOVEMENTS, recovery)
    assert sent.status_code == 201, sent.text
    assert (sent.json()["file_format"], sent.json()["entries"]) == ("nomis", 3)
    # Check the batch records the format found, not "auto".
    batch = api.client.get(f"/batches/{sent.json()['batch_id']}", headers=recovery)
    assert batch.json()["file_format"] == "nomis"
    spreadsheet = api.upload("source=NOMIS&format=auto", CSV, recovery, "text/csv")
    assert spreadsheet.status_code == 201, spreadsheet.text
    assert spreadsheet.json()["file_format"] == "nomis"


def test_an_upload_in_another_format_is_refused_at_once(api: LiveApi) -> None:
    recovery = api.headers(Role.RECOVERY)
    wrong = api.upload("source=NOMIS&format=jsonl", MOVEMENTS, recovery)
    assert wrong.status_code == 422, wrong.text
    assert wrong.headers["content-type"].startswith("application/problem+json")
    body = wrong.json()
    assert body["field"] == "format"
    assert body["reason"] == (
        "the file looks like nomis movements (its first line has offenderNo, movementType, "
        "directionCode), not jsonl; load it as nomis or auto"
    )
    assert "rejects" not in body
    unknown = api.upload("source=NOMIS", b"name,age\nJo,40\n", recovery, "text/csv")
    assert (unknown.status_code, unknown.json()["field"]) == (422, "format")
    assert "none of jsonl, nomis, allocations" in unknown.json()["reason"]
    empty = api.upload("source=NOMIS&format=nomis", b"", recovery)
    assert (empty.status_code, empty.json()["reason"]) == (422, "the file is empty")
    # Check nothing was recorded: no batch, refused or otherwise, and no person.
    assert api.client.get("/batches", headers=recovery).json() == []
    person = api.client.get("/people/N1111NN", headers=api.headers(Role.PRISON))
    assert person.status_code == 404
