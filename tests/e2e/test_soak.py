"""The soak tool itself, in its short mode: a real stack under its mixed load for a few seconds,
and the report's figures present and sane; and its verdict on made-up trends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ops.soak.__main__ import main
from ops.soak.load import Tally
from ops.soak.report import JUDGED_AFTER_SECONDS, judge
from ops.soak.sampling import Sample, Trend, slope_per_hour
from tests.conftest import ADMIN_URL


@pytest.mark.postgres
def test_a_short_soak_reports_every_figure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = tmp_path / "soak.json"
    args = ["--minutes", "0.25", "--url", ADMIN_URL, "--sample-every", "2", "--people", "20"]
    args += ["--import-every", "4", "--import-people", "5", "--summary", str(summary)]
    assert main(args) == 0, capsys.readouterr().err[-3000:]
    figures = json.loads(summary.read_text())
    out = capsys.readouterr().out
    # Check every kind of load ran and only expected answers came back.
    by_status = figures["by_status"]
    assert by_status["read"].keys() == {"200"} and by_status["read"]["200"] > 10
    assert by_status["command"].keys() == {"200"}
    assert by_status["import"]["201"] >= 1 and by_status["void"]["200"] >= 1
    assert set(by_status["race"]) <= {"200", "409", "412"}
    assert figures["unexpected"] == 0 and figures["verdict"] == "pass"
    assert figures["races"] > 0 and figures["winners"] == figures["races"]
    # Check the samples cover the server, its two workers and the projection worker.
    samples = figures["samples"]
    assert len(samples) >= 5
    for sample in samples:
        assert {"server", "server.1", "server.2", "projections"} <= sample["rss"].keys()
        assert all(10 < mib < 2000 for mib in sample["rss"].values()), sample
        assert sample["connections"] > 0
    assert samples[-1]["requests"] > samples[0]["requests"]
    assert 12 < figures["duration_seconds"] < 120
    trend = figures["trend"]
    assert {"server.1", "server.2", "projections", "total"} <= trend["rss_slope"].keys()
    assert 0 < trend["connections_min"] <= trend["connections_max"]
    # A run this short is all warm-up: its memory trend is reported, not judged.
    assert any("not judged" in note for note in figures["notes"])
    assert "verdict: PASS" in out and "MiB/hour" in out and "| t (s) |" in out


def test_slope_is_the_least_squares_fit_per_hour() -> None:
    assert slope_per_hour([(0, 100.0), (1800, 105.0), (3600, 110.0)]) == pytest.approx(10.0)
    assert slope_per_hour([(0, 5.0), (60, 1.0), (120, 5.0)]) == pytest.approx(0.0)
    assert slope_per_hour([(0, 1.0)]) == 0.0


def run_of(minutes: int, mib_per_hour: float, connections: list[int]) -> list[Sample]:
    points = len(connections)
    return [
        Sample(
            seconds=minutes * 60 * k / (points - 1),
            rss={"server.1": 80 + mib_per_hour * minutes / 60 * k / (points - 1)},
            connections=connections[k],
            requests=k * 100,
            unexpected=0,
        )
        for k in range(points)
    ]


def test_the_verdict_fails_growth_and_errors_only_over_a_long_window() -> None:
    steady = run_of(30, 0.5, [10, 12, 12, 12, 12, 11, 12, 12, 12])
    growing = run_of(30, 60.0, [10, 12, 12, 12, 12, 11, 12, 14, 15])
    short = run_of(1, 600.0, [10, 12, 12, 14])
    assert Trend.of(steady).window_seconds >= JUDGED_AFTER_SECONDS
    assert judge(Tally(), Trend.of(steady), steady, max_slope=20).ok
    verdict = judge(Tally(), Trend.of(growing), growing, max_slope=20)
    assert not verdict.ok
    assert any("server.1 memory grows" in f for f in verdict.failures)
    assert any("connection count" in f for f in verdict.failures)
    brief = judge(Tally(), Trend.of(short), short, max_slope=20)
    assert brief.ok and "not judged" in brief.notes[0]
    errors = Tally()
    errors.add("command", 500, "boom")
    errors.race([200, 200])
    failed = judge(errors, Trend.of(steady), steady, max_slope=20)
    assert failed.failures == ["1 unexpected answers", "1 races without exactly one winner"]
    assert errors.examples == ["command 500: boom"]
