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
    """Back up the store (PostgreSQL: pg_dump custom format of its schema; SQLite: a copy)."""
    from domain.errors import DomainError
    from ops import backup as pg

    settings = load_settings()
    try:
        if settings.database.kind == "sqlite":
            pg.sqlite_backup(settings.database, out)
        else:
            pg.backup(pg.postgres(settings.database_url, "JOURNEY_DATABASE_URL"), out)
    except (DomainError, pg.ToolError) as exc:
        refuse(exc)
    url = settings.database
    where = url.path if url.kind == "sqlite" else f"schema {url.schema}"
    console.print(f"backed up {where} to {out}")


def restore(
    file: Annotated[Path, typer.Argument(help="a file written by `journey backup`")],
    into: Annotated[
        str, typer.Option("--into", help="postgresql://.../fresh_db?schema=s or sqlite:///new")
    ],
) -> None:
    """Restore a backup into a fresh store, and make again there every erasure the live store
    (JOURNEY_DATABASE_URL) made since; then rebuild and verify the read models there."""
    from domain.errors import DomainError
    from domain.service.storage import DatabaseURL
    from ops import backup as pg

    try:
        target = DatabaseURL.parse(into)
        if target.kind == "sqlite":
            pg.sqlite_restore(file, target)
        else:
            pg.restore(file, pg.postgres(into, "--into"))
    except (DomainError, pg.ToolError) as exc:
        refuse(exc)
    console.print(f"restored {file}")
    carry(into)
    console.print(
        f"next, with JOURNEY_DATABASE_URL={into}: "
        "journey projections rebuild && journey projections verify"
    )


def carry(into: str) -> None:
    """The live store's erasures, made again in the restored one."""
    from dataclasses import replace

    from ops import backup as pg

    live = load_settings()
    if live.database_url == into:
        console.print("no live store apart from the restored one: no erasures carried over")
        return
    done = pg.carry_erasures(live, replace(live, database_url=into))
    console.print(f"{len(done)} erasures made since the backup made again in the restored store")


def refuse(exc: Exception) -> NoReturn:
    from domain.errors import DomainError

    if isinstance(exc, DomainError):
        fail(exc.field, f"refused: {exc.reason}")
    fail("failed", str(exc))
