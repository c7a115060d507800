"""`journey store ...`, `journey backup` and `journey restore`: the store at rest."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

from ops.common import application, console, fail, load_settings

cli = typer.Typer(help="The event store at rest: keys and re-encryption.", no_args_is_help=True)


@cli.command("new-key")
def new_key() -> None:
    """Print a new random AES-256 key for JOURNEY_CIPHER_KEY."""
    from eventsourcing.cipher import AESCipher

    print(AESCipher.create_key(32))


@cli.command()
def reencrypt(
    batch: Annotated[int, typer.Option(min=1, max=100_000, help="rows per transaction")] = 500,
) -> None:
    """Rewrite every stored event under JOURNEY_CIPHER_KEY, decrypting with
    JOURNEY_CIPHER_OLD_KEYS; resumable (rows already under the current key are skipped)."""
    from ops.rotation import reencrypt as reencrypt_rows

    with application() as app:

        def report(rows: int, rewritten: int) -> None:
            console.print(f"{rows} rows read, {rewritten} re-encrypted")

        done = reencrypt_rows(app, batch=batch, progress=report)
    console.print(
        f"done: {done.rows} rows, {done.rewritten} re-encrypted under the current key, "
        f"{done.keys} data keys rewrapped; "
        "the old keys can now be removed from JOURNEY_CIPHER_OLD_KEYS"
    )


def backup(
    out: Annotated[Path, typer.Option("--out", help="the backup file to write")],
) -> None:
    """Back up the PostgreSQL store (pg_dump custom format of its schema)."""
    from domain.errors import DomainError
    from ops import backup as pg

    settings = load_settings()
    try:
        pg.backup(pg.postgres(settings.database_url, "JOURNEY_DATABASE_URL"), out)
    except (DomainError, pg.ToolError) as exc:
        refuse(exc)
    console.print(f"backed up schema {settings.database.schema} to {out}")


def restore(
    file: Annotated[Path, typer.Argument(help="a file written by `journey backup`")],
    into: Annotated[str, typer.Option("--into", help="postgresql://.../fresh_db?schema=s")],
) -> None:
    """Restore a backup into a fresh database; then rebuild and verify the read models there."""
    from domain.errors import DomainError
    from ops import backup as pg

    try:
        pg.restore(file, pg.postgres(into, "--into"))
    except (DomainError, pg.ToolError) as exc:
        refuse(exc)
    console.print(
        f"restored {file}; next, with JOURNEY_DATABASE_URL={into}: "
        "journey projections rebuild && journey projections verify"
    )


def refuse(exc: Exception) -> NoReturn:
    from domain.errors import DomainError

    if isinstance(exc, DomainError):
        fail(exc.field, f"refused: {exc.reason}")
    fail("failed", str(exc))
