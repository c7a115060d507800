"""`journey people restrict | lift-restriction | hold | release-holds | report` and
`journey retention review` as an operator runs them: real processes on a SQLite file."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import orjson

from domain.service.catalogue import Admit, RecordKeyDates, Release
from domain.service.settings import Settings
from tests.conftest import prov
from tests.e2e.test_cli import journey
from tests.helpers import journey_app, register

NOMS = "A7101RS"


def served(url: str) -> None:
    """Registered in 2007, one reception in 2008, released, sentence expiry 29 Feb 2012."""
    with journey_app(Settings(database_url=url)) as app:
        register(app, NOMS, "Ada", "Quill", date(1979, 4, 5), when=moment(2007, 12, 1))
        app.handle(NOMS, [Admit(prison="LEI", movement_reason="N")], prov(moment(2008, 1, 10)))
        app.handle(
            NOMS, [RecordKeyDates(dates={"SED": date(2012, 2, 29)})], prov(moment(2008, 1, 11))
        )
        app.handle(
            NOMS, [Release(from_agency="LEI", movement_reason="SC")], prov(moment(2008, 6, 1))
        )


def moment(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 10, tzinfo=UTC)


def due(url: str, on: str) -> list[str]:
    run = journey(url, "retention", "review", "--as-of", on, "--json")
    assert run.returncode == 0, run.stderr
    return [d["noms"] for d in orjson.loads(run.stdout)["due"]]


def test_restrict_hold_report_and_review_from_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    served(url)
    assert journey(url, "projections", "rebuild").returncode == 0
    # Check the review: due the day after 28 Feb 2019 (seven years on from a leap day), not on it.
    assert due(url, "2019-02-28") == [] and due(url, "2019-03-01") == [NOMS]
    shown = journey(url, "retention", "review", "--as-of", "2019-03-01")
    assert "1 due of 1 people on 2019-03-01 (as_of given)" in shown.stdout
    # Check a reason is required, then a hold keeps the record from the review.
    assert journey(url, "people", "hold", NOMS).returncode != 0
    held = journey(url, "people", "hold", NOMS, "--reason", "civil claim", "--by", "dpo.one")
    assert held.returncode == 0, held.stderr
    assert "held" in held.stdout and "logged as dpo.one" in held.stdout
    assert due(url, "2030-01-01") == []
    assert journey(url, "people", "release-holds", NOMS, "--reason", "settled").returncode == 0
    assert due(url, "2030-01-01") == [NOMS]
    # Check restriction hides the record from search and keeps it from the review too.
    restricted = journey(url, "people", "restrict", NOMS, "--reason", "accuracy contested")
    assert restricted.returncode == 0, restricted.stderr
    assert due(url, "2030-01-01") == []
    again = journey(url, "people", "restrict", NOMS, "--reason", "again")
    assert again.returncode == 1 and "already restricted" in again.stderr
    # Check the report: every entry, the restriction, and the acts logged, itself last.
    page = tmp_path / "report.html"
    made = journey(url, "people", "report", NOMS, "--json", "--html", str(page), "--by", "sar.team")
    assert made.returncode == 0, made.stderr
    report = orjson.loads(made.stdout)
    kinds = [e["kind"] for e in report["timeline"]]
    assert kinds[-3:] == ["RetentionHeld", "HoldReleased", "Restricted"]
    assert report["restricted"]["reason"] == "accuracy contested"
    actions = [c["action"] for c in report["consulted"]]
    assert actions[-1] == "person.subject-access" and report["consulted"][-1]["by"] == "sar.team"
    for act in ("person.retention-hold", "person.retention-hold-released", "person.restriction"):
        assert act in actions
    html = page.read_text(encoding="utf-8")
    assert "@media print" in html and "Quill" in html and "accuracy contested" in html
    lifted = journey(url, "people", "lift-restriction", NOMS, "--reason", "corrected")
    assert lifted.returncode == 0 and due(url, "2030-01-01") == [NOMS]
