"""How many cores stood idle while this process did something: read from the kernel's CPU
counters over that very interval, not from the minute's load average, which lags and counts
this process's own work."""

from __future__ import annotations

import os
from pathlib import Path

STAT = Path("/proc/stat")
# The first eight counters of the `cpu` line: user, nice, system, idle, iowait, irq, softirq,
# steal (guest time is counted in user already).
COUNTED = 8
IDLE = (3, 4)  # idle and iowait


def counters(stat: Path = STAT) -> tuple[int, int, int] | None:
    """(idle, total) CPU time of the whole machine so far, in ticks, and its number of cores;
    None where the kernel does not say."""
    try:
        lines = stat.read_text().splitlines()
    except OSError:
        return None
    first = lines[0].split() if lines else []
    if not first or first[0] != "cpu" or len(first) < 1 + COUNTED:
        return None
    values = [int(v) for v in first[1 : 1 + COUNTED]]
    cores = sum(1 for line in lines if line.startswith("cpu") and line[3:4].isdigit())
    return sum(values[i] for i in IDLE), sum(values), cores


class IdleMeter:
    """Started when made; `cores()` tells how many cores were idle on average since."""

    def __init__(self, stat: Path = STAT) -> None:
        self.stat = stat
        self.start = counters(stat)

    def cores(self) -> float | None:
        """Idle cores on average since the meter started; None if it cannot tell (no
        counters, or too short an interval to count)."""
        end = counters(self.stat)
        if self.start is None or end is None:
            return None
        idle, total = end[0] - self.start[0], end[1] - self.start[1]
        if total <= 0:
            return None
        return (end[2] or os.cpu_count() or 1) * idle / total
