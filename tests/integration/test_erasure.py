"""Erasure by crypto-shredding: after a person is erased, nothing in the store's bytes names
them, other people are untouched, the read models rebuild and verify with no drift, and the
person's record answers only "erased on D under rule R"."""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest
from eventsourcing.cipher import AESCipher

from api.access_log import Access, AccessLog
from api.erasure_cover import covers
from domain.erasure import PersonErased
from domain.errors import IdentifierTaken, InvalidValue, NotFound
from domain.service.application import JourneyApp
from domain.service.catalogue import Admit, MoveCell
from domain.service.settings import Settings
from domain.service.storage import DatabaseURL
from ops import backup as pg_backup
from projections.db import ReadDb, open_read_db
from projections.rebuild import rebuild
from projections.runner import Runner
from projections.schema import BY_NAME
from replay.erasure import Erasure
from tests.conftest import at, prov
from tests.helpers import no_drift, register

NOMS, CRN, PNC = "A1963ZQ", "X918273", "1963/0412345J"
GIVEN, FAMILY, BORN = "Zephyrine", "Quillfeather", date(1963, 7, 19)
MERGED_NOMS = "A1964ZQ"
# Every form the person's data could take in the store's bytes.
PERSONAL = [
    GIVEN,
    FAMILY,
    GIVEN.upper(),
    FAMILY.upper(),
    NOMS,
    MERGED_NOMS,
    CRN,
    "0412345J",
    "412345J",
    "1963-07-19",
    "19/07/1963",
    "19630719",
]


def populate(app: JourneyApp, db: ReadDb) -> None:
    """The person (with a record merged into them, and consulted once), and someone else."""
    register(app, {"NOMS": NOMS, "CRN": CRN, "PNC": PNC}, GIVEN, FAMILY, BORN)
    app.handle(NOMS, [Admit(prison="LEI", movement_reason="N")], prov(at(0)))
    app.handle(NOMS, [MoveCell(prison="LEI", cell="A-1-001")], prov(at(1)))
    register(app, MERGED_NOMS, GIVEN, FAMILY, BORN)
    app.merge(NOMS, MERGED_NOMS, prov(at(2)))
    register(app, "A7000KP", "Keeper", "Other", date(1975, 3, 4))
    app.handle("A7000KP", [Admit(prison="MDI", movement_reason="N")], prov(at(0)))
    Runner(app, db).catch_up()
    AccessLog(db).ensure()
    AccessLog(db).record(
        [Access("auditor", "auditor", "person.read", "r1", str(app.resolve(NOMS)), "audit")]
    )


def erase(app: JourneyApp, db: ReadDb, rule: str = "NO-LONGER-NEEDED") -> Erasure:
    erasure = Erasure(app, db, covers(db))
    plan = erasure.plan(NOMS, rule)
    # Check the dry run lists what will go, and nothing goes without its token and a reason.
    assert plan.merged and plan.claims == 4 and plan.events >= 9
    assert plan.rows["rm_people"] == 1 and plan.covered["access_log_entries"] == 1
    with pytest.raises(InvalidValue, match="confirm"):
        erasure.erase(NOMS, rule, "retention period over", "admin", "0" * 12)
    with pytest.raises(InvalidValue, match="reason"):
        erasure.erase(NOMS, rule, f"{FAMILY} no longer needed", "admin", plan.token)
    entry = erasure.erase(NOMS, rule, "retention period over", "admin", plan.token)
    assert entry.destroyed["events"] == plan.events and entry.base_record
    return erasure


def check_erased(app: JourneyApp, db: ReadDb) -> None:
    """The person answers only with their erasure; the other person is as they were."""
    today = datetime.now(UTC).date().isoformat()
    for ref in (NOMS, CRN, MERGED_NOMS):
        with pytest.raises(PersonErased, match=f"erased on {today} under rule NO-LONGER-NEEDED"):
            app.timeline(ref)
    other = app.state("A7000KP")
    assert other is not None and other.location.agency == "MDI"
    # Check the read models rebuild from the log and agree with it: one person left.
    rebuild(app, db, list(BY_NAME))
    no_drift(app, db, 1)
    assert not db.query("SELECT * FROM rm_people WHERE family_name = %s", [FAMILY])
    entries = AccessLog(db).query(user="auditor")
    assert [e.person_id for e in entries] == ["erased:1"]
    # Check the destruction log is an immutable record too.
    for change in (
        "UPDATE journey_destruction_log SET rule = 'X'",
        "DELETE FROM journey_destruction_log",
    ):
        with pytest.raises((sqlite3.DatabaseError, psycopg.Error), match="append-only"):
            db.execute(change)


def sqlite_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def pg_dump(url: str) -> bytes:
    parsed = DatabaseURL.parse(url)
    dump = pg_backup.tool("pg_dump", pg_backup.server_major(parsed))
    done = subprocess.run([dump, pg_backup.dbname(parsed)], capture_output=True, check=True)
    return done.stdout


def assert_absent(raw: bytes) -> None:
    found = [value for value in PERSONAL if value.encode() in raw]
    assert not found, f"still in the store: {found}"
    # Check the other person is still there (only they were not erased).
    assert b"A7000KP" in raw


def erased_from(settings: Settings, stored: Callable[[], bytes]) -> None:
    """Erase the person from a populated store, checking its bytes name them before and not
    after (unencrypted read models name them)."""
    with closing(JourneyApp(settings)) as app, closing(open_read_db(settings.database)) as db:
        populate(app, db)
        assert FAMILY.encode() in stored()
        erase(app, db)
        check_erased(app, db)
    assert_absent(stored())


@pytest.mark.parametrize("keyed", [False, True], ids=["no-app-key", "app-key"])
def test_erasure_leaves_nothing_in_the_sqlite_file(tmp_path: Path, keyed: bool) -> None:
    path = tmp_path / "erase.sqlite"
    key = AESCipher.create_key(32) if keyed else None
    settings = Settings(database_url=f"sqlite:///{path}", cipher_key=key)
    erased_from(settings, lambda: sqlite_bytes(path))


@pytest.mark.postgres
def test_erasure_leaves_nothing_in_a_dump_of_postgres(pg_url: str) -> None:
    erased_from(Settings(database_url=pg_url), lambda: pg_dump(pg_url))


def test_an_erasure_without_a_base_record_leaves_no_trace_of_the_record(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'gone.sqlite'}")
    with closing(JourneyApp(settings)) as app, closing(open_read_db(settings.database)) as db:
        populate(app, db)
        erasure = Erasure(app, db, covers(db))
        plan = erasure.plan(NOMS, "UNLAWFUL")
        entry = erasure.erase(NOMS, "UNLAWFUL", "processed unlawfully", "admin", plan.token)
        assert not entry.base_record
        with pytest.raises(NotFound) as refused:
            app.state(NOMS)
        assert not isinstance(refused.value, PersonErased)
        # Check a second erasure of the same record is refused: there is nothing left.
        with pytest.raises(NotFound):
            erasure.plan(NOMS, "UNLAWFUL")
        # Check its identifiers stay taken: a claim is shredded, never released.
        with pytest.raises(IdentifierTaken, match="belonged to an erased record"):
            register(app, NOMS, "Someone", "Else", date(1990, 1, 1))


def test_an_unknown_rule_is_refused_by_name(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'rule.sqlite'}")
    with closing(JourneyApp(settings)) as app, closing(open_read_db(settings.database)) as db:
        populate(app, db)
        with pytest.raises(InvalidValue, match="unknown erasure rule 'SOMETIME'"):
            Erasure(app, db, covers(db)).plan(NOMS, "SOMETIME")


def test_every_read_model_table_is_reached_by_erasure() -> None:
    # Erasure deletes a person's rows by `person_id` from every read-model table: a table
    # without that column would keep them, so it must first say how erasure reaches it.
    tables = [table for projection in BY_NAME.values() for table in projection.tables]
    assert tables and all("person_id" in table.column_names for table in tables)
