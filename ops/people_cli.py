"""`journey people ...`: one person's record under data protection law (DPA 2018 Part 3).

Subject access, restriction and erasure of a single person, each a recorded act.
"""

from __future__ import annotations

import typer

cli = typer.Typer(
    help="One person's record: subject access, restriction and erasure.", no_args_is_help=True
)
