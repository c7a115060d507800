"""A large load takes a second process only when a core stood idle while it read the file,
as the kernel's CPU counters tell over that very interval."""

from __future__ import annotations

from pathlib import Path

import pytest

from replay.cores import IdleMeter, counters
from replay.importer import HELPED_FROM, worth_helping


def stat(path: Path, idle: int, busy: int, cores: int = 2) -> None:
    """A /proc/stat of `cores` cores with so many ticks idle (half of it iowait) and busy."""
    per_core = "".join(f"cpu{n} 1 0 1 1 0 0 0 0 0 0\n" for n in range(cores))
    path.write_text(
        f"cpu {busy} 0 0 {idle - idle // 2} {idle // 2} 0 0 0 7 0\n{per_core}intr 1 2 3\n"
    )


@pytest.mark.parametrize(
    ("idle", "busy", "cores", "expected"),
    [(100, 100, 2, 1.0), (0, 200, 2, 0.0), (150, 50, 4, 3.0), (30, 270, 2, 0.2)],
)
def test_idle_cores_over_an_interval(
    tmp_path: Path, idle: int, busy: int, cores: int, expected: float
) -> None:
    path = tmp_path / "stat"
    stat(path, 1000, 1000, cores)
    meter = IdleMeter(path)
    stat(path, 1000 + idle, 1000 + busy, cores)
    assert meter.cores() == pytest.approx(expected)


def test_no_counters_or_no_time_passed_tells_nothing(tmp_path: Path) -> None:
    missing = IdleMeter(tmp_path / "absent")
    assert missing.cores() is None
    path = tmp_path / "stat"
    stat(path, 10, 10)
    assert IdleMeter(path).cores() is None  # no tick between the two readings
    (tmp_path / "odd").write_text("intr 1 2\n")
    assert counters(tmp_path / "odd") is None


def test_the_real_counters_are_read() -> None:
    found = counters()
    assert found is not None
    idle, total, cores = found
    assert 0 <= idle <= total and cores >= 1


def test_a_large_file_is_helped_only_with_half_a_core_idle(tmp_path: Path) -> None:
    large, small = tmp_path / "large.jsonl", tmp_path / "small.jsonl"
    large.write_bytes(b"x" * HELPED_FROM)
    small.write_bytes(b"x" * (HELPED_FROM - 1))
    assert worth_helping(large, 0.9)
    assert worth_helping(large, 0.5)
    assert not worth_helping(large, 0.3)
    assert not worth_helping(small, 2.0)
    assert not worth_helping(small, None)
