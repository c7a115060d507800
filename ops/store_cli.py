"""`journey store ...`, `journey backup` and `journey restore`: the store at rest."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from eventsourcing.cipher import AESCipher

from domain.errors import DomainError
from ops import backup as pg
from ops.common import application, console, load_settings
from ops.rotation import reencrypt as reencrypt_rows

cli = typer.Typer(help="The event store at rest: keys and re-encryption.", no_args_is_help=True)


@cli.command("new-key")
def new_key() -> None:
    """Print a new random AES-256 key for JOURNEY_CIPHER_KEY."""
    print(AESCipher.create_key(32))


@cli.command()
def reencrypt(
    batch: Annotated[int, typer.Option(min=1, max=100_000, help="rows per transaction")] = 500,
) -> None:
    """Rewrite every stored event under JOURNEY_CIPHER_KEY, decrypting with
    JOURNEY_CIPHER_OLD_KEYS; resumable (rows already under the current key are skipped)."""
    with application() as app:

        def report(rows: int, rewritten: int) -> None:
            console.print(f"{rows} rows read, {rewritten} re-encrypted")

        done = reencrypt_rows(app, batch=batch, progress=report)
    console.print(
        f"done: {done.rows} rows, {done.rewritten} re-encrypted under the current key; "
        "the old keys can now be removed from JOURNEY_CIPHER_OLD_KEYS"
    )


def backup(
    out: Annotated[Path, typer.Option("--out", help="the backup file to write")],
) -> None:
    """Back up the PostgreSQL store (pg_dump custom format of its schema)."""
    settings = load_settings()
    try:
        pg.backup(pg.postgres(settings.database_url, "JOURNEY_DATABASE_URL"), out)
    except (DomainError, pg.ToolError) as exc:
        fail(exc)
    console.print(f"backed up schema {settings.database.schema} to {out}")


def restore(
    file: Annotated[Path, typer.Argument(help="a file written by `journey backup`")],
    into: Annotated[str, typer.Option("--into", help="postgresql://.../fresh_db?schema=s")],
) -> None:
    """Restore a backup into a fresh database; then rebuild and verify the read models there."""
    try:
        pg.restore(file, pg.postgres(into, "--into"))
    except (DomainError, pg.ToolError) as exc:
        fail(exc)
    console.print(
        f"restored {file}; next, with JOURNEY_DATABASE_URL={into}: "
        "journey projections rebuild && journey projections verify"
    )


def fail(exc: Exception) -> None:
    if isinstance(exc, DomainError):
        console.print(f"[red]refused[/red] {exc.field}: {exc.reason}")
    else:
        console.print(f"[red]failed[/red] {exc}")
    raise typer.Exit(1)
