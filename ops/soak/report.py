"""The soak's report: the samples as a table, the figures, and the verdict."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ops.soak.load import Tally
from ops.soak.sampling import Sample, Trend

# Memory is judged only over a long enough window: a short run is all warm-up.
JUDGED_AFTER_SECONDS = 600.0


@dataclass(frozen=True)
class Verdict:
    failures: list[str]
    notes: list[str]

    @property
    def ok(self) -> bool:
        return not self.failures


def judge(tally: Tally, trend: Trend, samples: list[Sample], max_slope: float) -> Verdict:
    failures, notes = [], []
    if tally.unexpected:
        failures.append(f"{tally.unexpected} unexpected answers")
    if tally.bad_races:
        failures.append(f"{tally.bad_races} races without exactly one winner")
    if not samples:
        failures.append("no samples were taken")
    if trend.window_seconds < JUDGED_AFTER_SECONDS:
        notes.append(
            f"memory trend not judged: {trend.window_seconds:.0f} s settled window "
            f"(needs {JUDGED_AFTER_SECONDS:.0f} s)"
        )
    else:
        growing = {r: v for r, v in trend.rss_slope.items() if r != "total" and v > max_slope}
        failures += [f"{r} memory grows {v:+.1f} MiB/h" for r, v in growing.items()]
        if new_high(samples):
            failures.append("connection count reached a new high in the last third")
    return Verdict(failures, notes)


def new_high(samples: list[Sample]) -> bool:
    """Whether the last third of the run opened more connections than ever before it."""
    cut = len(samples) * 2 // 3
    before, last = samples[:cut], samples[cut:]
    return bool(before and last) and max(s.connections for s in last) > max(
        s.connections for s in before
    )


def sample_line(sample: Sample) -> str:
    memory = " ".join(f"{role}={mib:.1f}" for role, mib in sorted(sample.rss.items()))
    return (
        f"t={sample.seconds:7.1f}s rss_mib[{memory}] total={sample.total_rss:.1f} "
        f"connections={sample.connections} requests={sample.requests} "
        f"unexpected={sample.unexpected}"
    )


def table(samples: list[Sample]) -> str:
    roles = sorted({role for s in samples for role in s.rss})
    head = ["t (s)", *(f"{r} MiB" for r in roles), "total MiB", "connections", "requests"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---:|" * len(head)]
    for s in samples:
        cells = [f"{s.seconds:.0f}", *(f"{s.rss.get(r, 0):.1f}" for r in roles)]
        cells += [f"{s.total_rss:.1f}", str(s.connections), str(s.requests)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def summary(
    minutes: float, tally: Tally, trend: Trend, samples: list[Sample], verdict: Verdict
) -> dict[str, Any]:
    """Every figure of the run, as plain data (also written as JSON with `--summary`)."""
    return {
        "minutes": minutes,
        "duration_seconds": samples[-1].seconds if samples else 0.0,
        "samples": [asdict(s) for s in samples],
        "requests": tally.requests,
        "by_status": tally.by_status(),
        "unexpected": tally.unexpected,
        "unexpected_examples": tally.examples,
        "races": tally.races,
        "winners": tally.winners,
        "trend": asdict(trend),
        "verdict": "pass" if verdict.ok else "fail",
        "failures": verdict.failures,
        "notes": verdict.notes,
    }


def text(figures: dict[str, Any], samples: list[Sample]) -> str:
    trend = figures["trend"]
    slopes = ", ".join(f"{r} {v:+.1f}" for r, v in trend["rss_slope"].items())
    lines = [
        table(samples),
        "",
        f"duration: {figures['duration_seconds']:.0f} s sampled "
        f"({len(samples)} samples); requests: {figures['requests']}",
        f"answers by kind and status: {figures['by_status']}",
        f"races: {figures['races']}, winners: {figures['winners']}",
        f"memory slope over the last two thirds ({trend['window_seconds']:.0f} s), "
        f"MiB/hour: {slopes}",
        f"database connections: min {trend['connections_min']}, max "
        f"{trend['connections_max']}, slope {trend['connections_slope']:+.1f}/hour",
        *(f"note: {n}" for n in figures["notes"]),
        *(f"unexpected: {e}" for e in figures["unexpected_examples"]),
        f"verdict: {figures['verdict'].upper()}"
        + (f" ({'; '.join(figures['failures'])})" if figures["failures"] else ""),
    ]
    return "\n".join(lines)
