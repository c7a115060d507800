"""`journey generate`: realistic, deterministic journeys to load."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from ops.common import console, errors, parse_time


def generate_problem(
    file_format: str, people: int, *, noise: bool, duplicates: Path | None
) -> str | None:
    """What is wrong with the generate options, as a message naming the option (None: fine)."""
    from ops.generator import FORMATS as GENERATED
    from ops.noise import DUPLICATE_SPACE

    if file_format not in GENERATED:
        return f"[red]--format[/red]: must be one of {', '.join(GENERATED)}"
    if duplicates is not None and not noise:
        return "[red]--duplicates-out[/red]: duplicates are made only with --noise"
    if noise and people > DUPLICATE_SPACE:
        # Beyond this, two duplicate records would share a NOMS number.
        return f"[red]--people[/red]: at most {DUPLICATE_SPACE:,} with --noise"
    return None


def generate(
    people: Annotated[int, typer.Option(min=1, help="how many people")] = 20_000,
    years: Annotated[float, typer.Option(min=0.5, max=50, help="years of history")] = 10,
    seed: Annotated[int, typer.Option(help="the same seed gives the same bytes")] = 1,
    file_format: Annotated[str, typer.Option("--format", help="jsonl or nomis")] = "jsonl",
    end: Annotated[str, typer.Option(help="the last day of history (ISO date)")] = "",
    noise: Annotated[
        bool, typer.Option(help="late and backdated records, and people booked twice")
    ] = False,
    duplicates_out: Annotated[
        Path | None, typer.Option(help="with --noise: CSV of (kept, duplicate) NOMS to merge")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="the file to write (default: stdout)")] = None,
) -> None:
    """Realistic, deterministic journeys to load with `journey import`."""
    from ops.generator import Generator, noting_duplicates
    from ops.generator import write as write_journeys

    problem = generate_problem(file_format, people, noise=noise, duplicates=duplicates_out)
    if problem:
        errors.print(problem)
        raise typer.Exit(2)
    last = parse_time(end, "--end") if end else datetime.now(UTC)
    assert last is not None
    journeys = Generator(seed=seed, years=years, end=last, noise=noise).people(people)
    with ExitStack() as stack:
        if duplicates_out is not None:
            pairs = stack.enter_context(duplicates_out.open("w", encoding="utf-8"))
            journeys = noting_duplicates(journeys, pairs)
        if out is None:
            written = write_journeys(sys.stdout.buffer, journeys, file_format)
        else:
            handle = stack.enter_context(out.open("wb"))
            written = write_journeys(handle, journeys, file_format)
    if out is not None:
        console.print(f"{written} lines for {people} people written to {out}")
